"""Likely label mistakes: out-of-fold probabilities ranked by confident learning.

Every labeled row is predicted by a model that never saw it (stratified k-fold
cross-validation), and cleanlab ranks the rows by how little that prediction supports
the given label (``get_label_quality_scores``), flagging those it estimates to be wrong
(``find_label_issues``, confident learning). ``benchmarks/suspects.py`` measures how many
deliberately flipped labels come out on top.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from cleanlab.filter import find_label_issues
from cleanlab.rank import get_label_quality_scores
from sklearn.base import ClassifierMixin, clone
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from al_core.data.matrix import is_sparse
from al_core.errors import ModelFitError, NotEnoughLabelsError

MAX_FOLDS = 5


@dataclass(frozen=True)
class Suspects:
    """Labeled rows ranked by how likely their label is wrong.

    Attributes
    ----------
    order : ndarray of shape (n,)
        Positions into the rows given, most suspect first.
    quality : ndarray of shape (n,)
        cleanlab's label quality score per row (0: surely wrong, 1: surely right).
    flagged : ndarray of shape (n,), bool
        Rows confident learning estimates to be mislabeled.
    proba : ndarray of shape (n, n_classes)
        Out-of-fold class probabilities (zero for classes without labels).
    suggested : ndarray of shape (n,)
        The class the out-of-fold model finds most likely.
    """

    order: np.ndarray
    quality: np.ndarray
    flagged: np.ndarray
    proba: np.ndarray
    suggested: np.ndarray


def check_cross_validation(y: np.ndarray, class_names: list[str] | None = None) -> int:
    """The number of folds the labels allow; raises if they allow none.

    Raises
    ------
    NotEnoughLabelsError
        With fewer than two classes, or a class with a single labeled row.
    """
    present, counts = np.unique(y, return_counts=True)
    if present.size < 2:
        raise NotEnoughLabelsError(
            f"ranking labels needs labeled rows of at least two classes; found {present.size}"
        )
    if counts.min() < 2:
        names = class_names or [str(c) for c in range(int(present.max()) + 1)]
        few = ", ".join(
            f"{names[c]!r} ({n})" for c, n in zip(present, counts, strict=True) if n < 2
        )
        raise NotEnoughLabelsError(
            "cross-validation needs at least 2 labeled rows of every class; too few: "
            f"{few}. Label more rows of these classes, or leave them out"
        )
    return int(min(MAX_FOLDS, counts.min()))


def out_of_fold_proba(
    estimator: ClassifierMixin,
    X: np.ndarray,
    y: np.ndarray,
    n_classes: int,
    random_state: int = 0,
) -> np.ndarray:
    """Class probabilities of every row from a model fitted without it.

    The estimator is cloned and put behind a ``StandardScaler`` (well-scaled inputs give
    a linear model calibrated probabilities; trees ignore the scaling).

    Returns
    -------
    ndarray of shape (n_rows, n_classes)
    """
    folds = check_cross_validation(y)
    present = np.unique(y)
    # Centering would densify a sparse (text) pool; its words are TF-IDF-scaled anyway.
    model = make_pipeline(StandardScaler(with_mean=not is_sparse(X)), clone(estimator))
    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=random_state)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # convergence chatter on tiny folds
            proba = cross_val_predict(model, X, y, cv=cv, method="predict_proba")
    except (ValueError, np.linalg.LinAlgError) as exc:
        raise ModelFitError(f"the model could not be cross-validated: {exc}") from exc
    full = np.zeros((y.size, n_classes))
    full[:, present] = proba
    return full


def rank_suspects(y: np.ndarray, proba: np.ndarray) -> Suspects:
    """Rank rows by cleanlab's label quality and flag likely mistakes.

    Parameters
    ----------
    y : ndarray of shape (n,)
        Class indices given.
    proba : ndarray of shape (n, n_classes)
        Out-of-fold probabilities.
    """
    present = np.unique(y)
    # cleanlab wants classes 0..K-1, each with labels: keep the classes that have some.
    dense = np.searchsorted(present, y)
    sub = proba[:, present]
    sub = sub / np.clip(sub.sum(axis=1, keepdims=True), 1e-12, None)
    quality = get_label_quality_scores(dense, sub, method="self_confidence")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # n_jobs=1: cleanlab's default forks worker processes, which can deadlock inside
        # a threaded server (a fork copies locks other threads hold); seen as a Review
        # page stuck on its spinner under load.
        flagged = find_label_issues(dense, sub, filter_by="prune_by_noise_rate", n_jobs=1)
    order = np.lexsort((np.arange(y.size), quality))  # ties: the earlier row first
    return Suspects(order, quality, np.asarray(flagged, dtype=bool), proba, proba.argmax(axis=1))


def find_suspects(
    estimator: ClassifierMixin,
    X: np.ndarray,
    y: np.ndarray,
    n_classes: int,
    random_state: int = 0,
) -> Suspects:
    """Out-of-fold probabilities, then the ranking (see the module's docstring)."""
    y = np.asarray(y, dtype=np.int64)
    proba = out_of_fold_proba(estimator, X, y, n_classes, random_state)
    return rank_suspects(y, proba)
