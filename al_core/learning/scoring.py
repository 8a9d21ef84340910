"""Scoring a pool for the next query: one ranking key per row, chunk by chunk.

The pool is read once per retrain, in chunks of ``chunk_rows`` so that temporaries
stay small whatever its size. For a two-class plain logistic regression the key is
``-|decision|``: least confidence, margin and entropy are all decreasing functions of
``|decision|`` there, so it ranks rows exactly as they do, at the cost of one
matrix-vector product; the strategy's own score is then computed for the few rows
shown. Every other model goes through ``predict_proba`` and the strategy's scorer.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.base import ClassifierMixin

from al_core.data.matrix import row_slice
from al_core.learning.models import is_plain_logistic, predict_proba_fast
from al_core.learning.strategies import SCORERS


def _binary_linear(model: ClassifierMixin) -> bool:
    return is_plain_logistic(model) and model.coef_.shape[0] == 1


def rank_pool(
    model: ClassifierMixin,
    X: np.ndarray,
    strategy: str,
    blocked: Sequence[np.ndarray],
    chunk_rows: int,
    rng: np.random.Generator,
    out: np.ndarray | None = None,
) -> tuple[np.ndarray, bool]:
    """A ranking key for every row: higher means ask sooner.

    Parameters
    ----------
    model : fitted classifier
    X : ndarray of shape (n_samples, n_features)
    strategy : str
        A registered strategy name.
    blocked : sequence of ndarray of int
        Rows that may never be queried (labeled, test set), part by part; their key is
        ``-inf``.
    chunk_rows : int
    rng : Generator
        Draws the keys of the ``random`` strategy.
    out : ndarray of shape (n_samples,), optional
        The previous ranking, written over and returned when its shape and dtype fit
        (on a pool of millions a fresh array each label costs a page fault per 4 KB,
        and the allocator's heap grows with the freed ones); otherwise a new array.

    Returns
    -------
    rank : ndarray of shape (n_samples,)
        float32 for a two-class plain logistic regression on a float32 pool, whose
        keys are computed in float32 (so they are stored exactly, in half the memory);
        float64 otherwise.
    exact : bool
        True when ``rank`` holds the strategy's scores themselves; otherwise use
        ``scores_of`` for the rows shown.
    """
    n = X.shape[0]
    scorer = SCORERS[strategy]
    binary_linear = scorer is not None and _binary_linear(model)
    dtype = np.dtype(np.float32 if binary_linear and X.dtype == np.float32 else np.float64)
    rank: np.ndarray
    if out is not None and out.shape == (n,) and out.dtype == dtype:
        rank = out
    else:
        rank = np.empty(n, dtype=dtype)
    if scorer is None:
        rng.random(out=rank)
        exact = False
    elif binary_linear:
        w = model.coef_[0].astype(X.dtype, copy=False)
        b = X.dtype.type(model.intercept_[0])
        for start in range(0, n, chunk_rows):
            d = row_slice(X, start, start + chunk_rows) @ w
            d += b
            np.abs(d, out=d)
            np.negative(d, out=rank[start : start + chunk_rows], casting="unsafe")
        exact = False
    elif is_plain_logistic(model) and strategy in _FROM_EXPONENTIALS:
        for start in range(0, n, chunk_rows):
            rank[start : start + chunk_rows] = _FROM_EXPONENTIALS[strategy](
                *_exponentials(model, row_slice(X, start, start + chunk_rows))
            )
        exact = True
    else:
        for start in range(0, n, chunk_rows):
            rank[start : start + chunk_rows] = scorer(
                predict_proba_fast(model, row_slice(X, start, start + chunk_rows))
            )
        exact = True
    for rows in blocked:
        rank[rows] = -np.inf
    return rank, exact


def _exponentials(model: ClassifierMixin, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``exp(d - max d)`` per row and its row sums, the steps of ``predict_proba_fast``.

    The probabilities are these divided by the sums; least confidence and margin need only
    the largest one or two of them, so the division of the whole matrix is skipped.
    Each operation is the one scikit-learn's ``softmax`` does, in the same order, so the
    scores come out bit for bit as from the probabilities (ties stay ties).
    """
    e = X @ model.coef_.T
    e += model.intercept_  # in place: the same sums, without a second matrix
    # The row maxima column by column: a maximum is exact in any order, and numpy's
    # reduction along a short row costs twice as much as these few passes.
    top = e[:, 0].copy()
    for j in range(1, e.shape[1]):
        np.maximum(top, e[:, j], out=top)
    e -= top.reshape(-1, 1)
    np.exp(e, out=e)
    return e, e.sum(axis=1).reshape(-1, 1)


def _least_confidence_from(e: np.ndarray, sums: np.ndarray) -> np.ndarray:
    # The largest exponential is exp(0) = 1 exactly, so the top probability is 1 / sum.
    return 1.0 - (1.0 / sums[:, 0])


def _margin_from(e: np.ndarray, sums: np.ndarray) -> np.ndarray:
    second = _second_largest(e)
    return 1.0 - (1.0 / sums[:, 0] - second / sums[:, 0])


def _second_largest(e: np.ndarray) -> np.ndarray:
    """Each row's second largest value (the largest again when it occurs twice).

    Column by column, keeping the two largest so far: selection only, so exactly the
    value ``np.partition`` gives, at a fraction of its cost on short rows.
    """
    first = e[:, 0].copy()
    second = np.full_like(first, -np.inf)
    low = np.empty_like(first)
    for j in range(1, e.shape[1]):
        np.minimum(first, e[:, j], out=low)
        np.maximum(second, low, out=second)
        np.maximum(first, e[:, j], out=first)
    return second


_FROM_EXPONENTIALS = {"least_confidence": _least_confidence_from, "margin": _margin_from}
"""Strategies scored from the exponentials alone, for multiclass plain LR."""


def scores_of(model: ClassifierMixin, X: np.ndarray, ids: np.ndarray, strategy: str) -> np.ndarray:
    """The strategy's uncertainty scores of some rows, shape (len(ids),); NaN for random."""
    scorer = SCORERS[strategy]
    ids = np.asarray(ids, dtype=np.int64)
    if scorer is None:
        return np.full(ids.size, np.nan)
    return scorer(predict_proba_fast(model, X[ids]))
