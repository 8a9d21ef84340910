"""scikit-learn's lbfgs logistic regression fit, the same models for a fraction of the time.

A simulated run refits on 20-200 rows after every label, and there scikit-learn's
``LogisticRegression.fit`` spends most of its time on per-call work that does not depend
on the data: parameter and input validation, and the array-API dispatch that runs in
every evaluation of the loss (about 0.15 ms of each, against microseconds of
arithmetic). ``fit_logistic`` does what ``fit`` does for the settings the engine uses
(solver lbfgs, L2 penalty, no class or sample weights, a float array, dense or CSR),
step for step: the same loss and gradient from scikit-learn's own compiled loss, the same
numpy operations in the same order, handed to the same ``scipy.optimize.minimize`` call
with the same options (under the checked scipy release, its driver loop replayed without
its per-evaluation wrappers: ``lbfgsb_driver``). So the optimiser sees bit-identical
numbers and returns bit-identical coefficients (``tests/test_lbfgs.py`` checks every
attribute against ``fit`` on random problems, two and many classes, float64 and float32).

It follows scikit-learn's private code, so it is used only with the release it was
checked against (``CHECKED_WITH``); any other release, or any other setting, takes
scikit-learn's own ``fit``.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import scipy
import scipy.sparse as sp
import sklearn
from scipy import optimize
from sklearn._loss.loss import HalfBinomialLoss, HalfMultinomialLoss
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.utils.extmath import squared_norm

from al_core.learning.lbfgsb_driver import minimize_lbfgsb

CHECKED_WITH = "1.9.1"
"""The scikit-learn release whose ``LogisticRegression.fit`` this replays exactly."""

CHECKED_SCIPY = "1.17.1"
"""The scipy release whose L-BFGS-B driver ``minimize_lbfgsb`` replays exactly (any
other goes through ``scipy.optimize.minimize``)."""

_MISSING = object()
_PARAMS = LogisticRegression._get_param_names()

_DEFAULTS = {
    "penalty": "deprecated",
    "l1_ratio": 0.0,
    "dual": False,
    "class_weight": None,
    "solver": "lbfgs",
    "verbose": 0,
    "warm_start": False,
    "n_jobs": None,
}


def can_fit_logistic(estimator: object, X: Any, y: Any) -> bool:
    """Whether ``fit_logistic`` reproduces ``clone(estimator).fit(X, y)`` exactly.

    True for a plain ``LogisticRegression`` with the settings above, a finite positive
    ``C``, a float32/float64 ``X`` (C-ordered dense, or CSR, which ``fit`` takes as it
    is) and a 1-d integer ``y`` with at least two classes, under the checked
    scikit-learn release. Anything else (including every input ``fit`` would refuse)
    goes to scikit-learn, which gives its own error.
    """
    if sklearn.__version__ != CHECKED_WITH or type(estimator) is not LogisticRegression:
        return False
    params = vars(estimator)
    if any(params.get(k, _MISSING) != v for k, v in _DEFAULTS.items()):
        return False
    C, tol, max_iter = params.get("C"), params.get("tol"), params.get("max_iter")
    if not (isinstance(C, float | int) and 0 < C < np.inf):
        return False
    if not (
        isinstance(tol, float | int) and tol > 0 and isinstance(max_iter, int) and max_iter > 0
    ):
        return False
    seed = params.get("random_state")
    if not (seed is None or isinstance(seed, int)) or type(params.get("fit_intercept")) is not bool:
        return False
    if type(X) is np.ndarray:
        if not X.flags.c_contiguous:
            return False
    elif not (sp.issparse(X) and X.format == "csr"):
        return False
    if not (X.ndim == 2 and X.dtype in (np.float32, np.float64) and min(X.shape) > 0):
        return False
    if not (type(y) is np.ndarray and y.ndim == 1 and y.shape[0] == X.shape[0]):
        return False
    if y.dtype.kind not in "iu" or np.unique(y).size < 2:
        return False
    # fit refuses non-finite input; let it say so.
    return bool(np.isfinite(X.data if sp.issparse(X) else X).all())


def fit_logistic(estimator: LogisticRegression, X: np.ndarray, y: np.ndarray) -> LogisticRegression:
    """``clone(estimator).fit(X, y)`` without the per-call overhead.

    Call only where ``can_fit_logistic(estimator, X, y)`` holds.

    Parameters
    ----------
    estimator : LogisticRegression
        Left unchanged; a clone is fitted.
    X : ndarray (C-ordered) or CSR matrix of shape (n_samples, n_features), float32 or float64
    y : ndarray of shape (n_samples,), integer class labels (two or more distinct)

    Returns
    -------
    model : fitted clone, with the same ``coef_``, ``intercept_``, ``classes_``,
        ``n_iter_`` and ``n_features_in_`` as scikit-learn's ``fit`` gives.
    """
    # clone() for an estimator whose parameters are all plain numbers, strings and None
    # (can_fit_logistic checked): the same object, without clone's signature lookups.
    model = LogisticRegression.__new__(LogisticRegression)
    model.__dict__.update({name: getattr(estimator, name) for name in _PARAMS})
    n_samples, n_features = X.shape
    classes = np.unique(y)
    n_classes = classes.size
    fit_intercept = bool(model.fit_intercept)
    n_dof = n_features + int(fit_intercept)
    loss: _BinaryLoss | _MultinomialLoss
    if n_classes == 2:
        w0 = np.zeros(n_dof, dtype=X.dtype)
        target = np.ones(y.shape, dtype=X.dtype)
        target[~(y == classes[1])] = 0.0
        loss = _BinaryLoss(X, target, fit_intercept)
    else:
        target = np.asarray(np.searchsorted(classes, y), dtype=X.dtype)
        w0 = np.zeros((n_classes, n_dof), order="F", dtype=X.dtype).ravel(order="F")
        loss = _MultinomialLoss(X, target, fit_intercept, n_classes)
    l2_reg_strength = 1.0 / (model.C * n_samples)
    options = {
        "maxiter": model.max_iter,
        "maxls": 50,
        "gtol": model.tol,
        "ftol": 64 * np.finfo(float).eps,
    }
    if scipy.__version__ == CHECKED_SCIPY:
        result = minimize_lbfgsb(loss, w0, l2_reg_strength, **options)
    else:
        result = optimize.minimize(
            loss, w0, method="L-BFGS-B", jac=True, args=(l2_reg_strength,), options=options
        )
    n_iter = min(result.nit, model.max_iter)
    if result.status != 0:
        warnings.warn(
            f"lbfgs failed to converge after {n_iter} iteration(s) "
            f"(status={result.status}):\n{result.message}\n",
            ConvergenceWarning,
            stacklevel=2,
        )
    w = result.x
    if n_classes == 2:
        coef = np.asarray(w.copy(order="K"), dtype=X.dtype)
    else:
        coef = np.asarray(np.reshape(w, (n_classes, -1), order="F").copy(order="K"), dtype=X.dtype)
    coef = np.stack([coef])[0, ...]  # as fit leaves it: a view of the stacked path
    model.n_features_in_ = n_features
    model.classes_ = classes
    model.n_iter_ = np.asarray([n_iter], dtype=np.int32)
    if n_classes == 2:
        model.intercept_ = coef[-1:] if fit_intercept else np.zeros(1, dtype=X.dtype)
        model.coef_ = (coef[:-1] if fit_intercept else coef)[None, :]
    else:
        model.intercept_ = coef[:, -1] if fit_intercept else np.zeros(n_classes, dtype=X.dtype)
        model.coef_ = coef[:, :-1] if fit_intercept else coef
    return model


class _BinaryLoss:
    """``LinearModelLoss(HalfBinomialLoss()).loss_gradient`` for a numpy or CSR ``X``."""

    def __init__(self, X: np.ndarray, target: np.ndarray, fit_intercept: bool) -> None:
        self.X, self.target, self.fit_intercept = X, target, fit_intercept
        self.base_loss = HalfBinomialLoss()

    def __call__(self, coef: np.ndarray, l2_reg_strength: float) -> tuple[float, np.ndarray]:
        X = self.X
        n_samples, n_features = X.shape
        if self.fit_intercept:
            intercept, weights = coef[-1], coef[:-1]
        else:
            intercept, weights = 0.0, coef
        raw = X @ np.asarray(weights, dtype=X.dtype) + np.asarray(intercept, dtype=X.dtype)
        loss, grad_pointwise = self.base_loss.loss_gradient(
            y_true=self.target, raw_prediction=raw, sample_weight=None, n_threads=1
        )
        value = float(np.sum(loss) / n_samples)
        value += float(0.5 * l2_reg_strength * (weights @ weights))
        grad_pointwise /= n_samples
        grad = np.empty_like(coef, dtype=weights.dtype)
        grad[:n_features] = X.T @ grad_pointwise + l2_reg_strength * weights
        if self.fit_intercept:
            grad[-1] = np.sum(grad_pointwise)
        return value, grad


class _MultinomialLoss:
    """``LinearModelLoss(HalfMultinomialLoss(k)).loss_gradient`` for a numpy or CSR ``X``
    and coefficients raveled in Fortran order, as the lbfgs path passes them."""

    def __init__(
        self, X: np.ndarray, target: np.ndarray, fit_intercept: bool, n_classes: int
    ) -> None:
        self.X, self.target, self.fit_intercept = X, target, fit_intercept
        self.n_classes = n_classes
        self.base_loss = HalfMultinomialLoss(n_classes=n_classes)

    def __call__(self, coef: np.ndarray, l2_reg_strength: float) -> tuple[float, np.ndarray]:
        X = self.X
        n_samples, n_features = X.shape
        n_classes = self.n_classes
        weights = coef.reshape((n_classes, -1), order="F")
        intercept: np.ndarray | float = 0.0
        if self.fit_intercept:
            intercept, weights = weights[:, -1], weights[:, :-1]
        raw = X @ np.asarray(weights, dtype=X.dtype).T + np.asarray(intercept, dtype=X.dtype)
        loss, grad_pointwise = self.base_loss.loss_gradient(
            y_true=self.target, raw_prediction=raw, sample_weight=None, n_threads=1
        )
        value = float(np.sum(loss) / n_samples)
        value += float(0.5 * l2_reg_strength * squared_norm(weights))
        grad_pointwise /= n_samples
        grad = np.empty((n_classes, n_features + int(self.fit_intercept)), order="F")
        grad[:, :n_features] = grad_pointwise.T @ X + l2_reg_strength * weights
        if self.fit_intercept:
            grad[:, -1] = np.sum(grad_pointwise, axis=0)
        return value, grad.ravel(order="F")
