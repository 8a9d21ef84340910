"""Classifiers the engine can train, and how it gets probabilities from them.

Every estimator is ``clone``d before fitting, so the caller's object is never mutated.
For logistic regression the pool is scored from ``coef_`` directly, with the same
formulas as scikit-learn's ``predict_proba`` (a test checks the result is identical),
which skips per-call input validation on every chunk of a large pool.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.special import expit
from sklearn.base import ClassifierMixin, clone
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import GaussianNB
from sklearn.utils.extmath import softmax

from al_core.errors import ConfigError, ModelFitError
from al_core.learning.lbfgs import can_fit_logistic, fit_logistic

MODELS: dict[str, Callable[[int], ClassifierMixin]] = {
    "logistic_regression": lambda seed: LogisticRegression(max_iter=2000, random_state=seed),
    "random_forest": lambda seed: RandomForestClassifier(
        n_estimators=100, random_state=seed, n_jobs=1
    ),
    "naive_bayes": lambda seed: GaussianNB(),
}
"""Name-to-factory registry of the models offered in the UI and the CLI."""

DENSE_ONLY = frozenset({"naive_bayes"})
"""Models that cannot read a sparse pool (one with text columns)."""


def check_model_for(name: str, sparse: bool) -> None:
    """Refuse a registered model that cannot read the pool's kind of matrix.

    Raises
    ------
    ConfigError
        If ``name`` needs dense features and the pool is sparse.
    """
    if sparse and name in DENSE_ONLY:
        usable = ", ".join(m for m in MODELS if m not in DENSE_ONLY)
        raise ConfigError(
            f"the model {name!r} needs numeric features, and this data has text columns "
            f"(word features); choose one of: {usable}"
        )


def make_model(name: str, seed: int = 42) -> ClassifierMixin:
    """A fresh, unfitted estimator for a registered model name.

    Raises
    ------
    ConfigError
        If ``name`` is not in ``MODELS``.
    """
    if name not in MODELS:
        raise ConfigError(f"unknown model {name!r}; choose one of: {', '.join(MODELS)}")
    return MODELS[name](seed)


def fit_model(estimator: ClassifierMixin, X: np.ndarray, y: np.ndarray) -> ClassifierMixin:
    """Clone ``estimator`` and fit the clone on ``(X, y)``.

    Parameters
    ----------
    estimator : classifier with ``predict_proba``
    X : ndarray of shape (n_labeled, n_features)
    y : ndarray of shape (n_labeled,)

    Returns
    -------
    model : fitted clone of ``estimator``

    Raises
    ------
    ModelFitError
        If the estimator raises while fitting (the message says why).
    """
    try:
        if can_fit_logistic(estimator, X, y):
            # The same model as clone(estimator).fit(X, y), bit for bit, in a third of
            # the time (a simulated run refits after every label).
            return fit_logistic(estimator, X, y)
        return clone(estimator).fit(X, y)
    except Exception as exc:  # any estimator, any failure: report it as one type
        raise ModelFitError(f"{type(estimator).__name__} could not be fitted: {exc}") from exc


def fit_labeled(
    estimator: ClassifierMixin, X: np.ndarray, rows: np.ndarray, y: np.ndarray
) -> tuple[ClassifierMixin | None, str | None]:
    """The model of the labels ``y`` of ``X[rows]``, or None and why not.

    No model while fewer than two classes are labeled (and no error: it is not one); a
    fit that fails gives None and its message. Both a label and a step computed ahead
    for it (``lookahead``) get their model here, so the two are the same model.

    Parameters
    ----------
    estimator : classifier
    X : ndarray or sparse matrix of shape (n_samples, n_features)
    rows : ndarray of int, shape (n_labeled,)
    y : ndarray of int64, shape (n_labeled,)
    """
    if y.size == 0 or not (y != y[0]).any():  # fewer than two classes
        return None, None
    try:
        return fit_model(estimator, X[rows], y), None
    except ModelFitError as exc:
        return None, str(exc)


def is_plain_logistic(model: ClassifierMixin) -> bool:
    """A fitted ``LogisticRegression`` itself (no subclass, no pipeline)."""
    return type(model) is LogisticRegression and hasattr(model, "coef_")


def predict_proba_fast(model: ClassifierMixin, X: np.ndarray) -> np.ndarray:
    """``model.predict_proba(X)``, computed without input validation for plain LR.

    Parameters
    ----------
    model : fitted classifier
    X : ndarray of shape (n_rows, n_features)

    Returns
    -------
    proba : ndarray of shape (n_rows, len(model.classes_))
    """
    if not is_plain_logistic(model):
        return model.predict_proba(X)
    decision = X @ model.coef_.T + model.intercept_
    if decision.shape[1] == 1:
        # scikit-learn's binary formula: p1 = expit(d), p0 = 1 - p1.
        proba = np.empty((decision.shape[0], 2))
        p1 = expit(decision[:, 0], out=proba[:, 1])
        np.subtract(1.0, p1, out=proba[:, 0])
        return proba
    return softmax(decision, copy=False)


def predict_fast(model: ClassifierMixin, X: np.ndarray) -> np.ndarray:
    """``model.predict(X)``, computed without input validation for plain LR.

    The same rule as scikit-learn's linear classifiers: the sign of the decision for two
    classes, its argmax for more; runs after every label (test set and stop set).
    """
    if not is_plain_logistic(model):
        return model.predict(X)
    decision = X @ model.coef_.T + model.intercept_
    if decision.shape[1] == 1:
        return model.classes_[(decision[:, 0] > 0).astype(np.intp)]
    return model.classes_[decision.argmax(axis=1)]


def full_proba(model: ClassifierMixin, X: np.ndarray, n_classes: int) -> np.ndarray:
    """Probabilities for every class of the dataset, 0 for classes not yet seen.

    Parameters
    ----------
    model : fitted classifier whose ``classes_`` are class indices
    X : ndarray of shape (n_rows, n_features)
    n_classes : int

    Returns
    -------
    proba : ndarray of shape (n_rows, n_classes)
    """
    proba = predict_proba_fast(model, X)
    out = np.zeros((X.shape[0], n_classes))
    out[:, np.asarray(model.classes_, dtype=np.int64)] = proba
    return out
