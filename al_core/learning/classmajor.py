"""Multiclass uncertainty scores of a plain logistic regression, computed class by class.

scikit-learn's ``softmax`` works on an (n_rows, n_classes) matrix: the row maxima, the
exponentials and the row sums each run along rows of a handful of values, which on a
pool of many rows costs several times the arithmetic. Here a block of rows small enough
to stay in cache is turned once into a class-major (n_classes, n_rows) matrix, and every
later step is a pass over contiguous rows of it. Each value comes out of the same
operation in the same order as in ``predict_proba`` followed by the strategy's scorer:
the decision is the same product and sum; maxima and second largest values are exact
in any order; the row sums are taken in numpy's own pairwise order, which
``sums_match_numpy`` checks against numpy on first use (a numpy that sums differently
sends the pool to the probabilities instead). So scores, and ties, are bit for bit the
scores of the probabilities.
"""

from __future__ import annotations

from functools import cache

import numpy as np
from sklearn.base import ClassifierMixin

CLASSMAJOR_STRATEGIES = ("least_confidence", "margin", "entropy")
"""Strategies scored here (``random`` needs no model)."""

_BLOCK_VALUES = 40_960
"""Values of a block's class-major matrix (320 KB of float64): well within L2."""

_PAIRWISE_BLOCK = 128
"""numpy's ``PW_BLOCKSIZE``: longer rows are summed in two halves, recursively."""


def pairwise_row_sums(E: np.ndarray) -> np.ndarray:
    """Column sums of a class-major matrix, each in numpy's pairwise summation order.

    ``pairwise_row_sums(P.T)`` equals ``P.sum(axis=1)`` bit for bit for a C-ordered
    float32 or float64 ``P`` (numpy sums each contiguous row with ``pairwise_sum``: fewer than 8
    values one after another; up to 128 in eight running sums combined as a tree, then
    the rest; more in two halves).

    Parameters
    ----------
    E : ndarray of shape (n_classes, n_rows)

    Returns
    -------
    sums : ndarray of shape (n_rows,)
    """
    return _pairwise(E, 0, E.shape[0])


def _pairwise(E: np.ndarray, lo: int, hi: int) -> np.ndarray:
    n = hi - lo
    if n < 8:
        total = np.zeros(E.shape[1], dtype=E.dtype)
        for j in range(lo, hi):
            total += E[j]
        return total
    if n <= _PAIRWISE_BLOCK:
        r = [E[lo + j].copy() for j in range(8)]
        i = 8
        while i < n - (n % 8):
            for j in range(8):
                r[j] += E[lo + i + j]
            i += 8
        r[0] += r[1]
        r[2] += r[3]
        r[4] += r[5]
        r[6] += r[7]
        r[0] += r[2]
        r[4] += r[6]
        r[0] += r[4]
        for j in range(lo + i, hi):
            r[0] += E[j]
        return r[0]
    half = n // 2
    half -= half % 8
    total = _pairwise(E, lo, lo + half)
    total += _pairwise(E, lo + half, hi)
    return total


@cache
def sums_match_numpy(n_classes: int, dtype: str = "float64") -> bool:
    """Whether ``pairwise_row_sums`` reproduces this numpy's row sums for this width.

    Checked on 1,000 rows of positive values spread over many magnitudes, where any
    other order of additions would round differently in a good share of the rows.
    """
    rng = np.random.default_rng(n_classes)
    P = np.exp(rng.normal(scale=4.0, size=(1_000, n_classes))).astype(dtype)
    return bool(np.array_equal(pairwise_row_sums(np.ascontiguousarray(P.T)), P.sum(axis=1)))


def _decision_dtype(model: ClassifierMixin, X_dtype: np.dtype) -> np.dtype:
    """The float type of ``X @ coef.T + intercept``, which the scores are computed in."""
    return np.result_type(X_dtype, model.coef_, model.intercept_)


def can_score(model: ClassifierMixin, X_dtype: np.dtype, strategy: str) -> bool:
    """Whether a pool of this float type is scored here under a plain logistic regression
    (of more than two classes)."""
    n_classes = model.coef_.shape[0]
    dtype = _decision_dtype(model, X_dtype).name
    return (
        n_classes > 2
        and strategy in CLASSMAJOR_STRATEGIES
        and dtype in ("float32", "float64")
        and sums_match_numpy(n_classes, dtype)
    )


def score_block(model: ClassifierMixin, X: np.ndarray, strategy: str, out: np.ndarray) -> None:
    """Write the strategy's scores of the rows of ``X`` into ``out``.

    The decision of all of ``X`` is one matrix product, as ``predict_proba`` takes it
    (BLAS may round a row differently in a product of another height: it has a kernel
    for small matrices); the rest runs block by block of rows that stay in cache.

    Parameters
    ----------
    model : fitted plain LogisticRegression with more than two classes
    X : ndarray or sparse matrix of shape (n_rows, n_features)
    strategy : {"least_confidence", "margin", "entropy"}
    out : ndarray of shape (n_rows,)
        Scores are computed in the model's float type (float32 for a model fitted on a
        float32 pool, as ``predict_proba`` does) and then stored into ``out``.
    """
    n_classes = model.coef_.shape[0]
    rows = max(256, _BLOCK_VALUES // n_classes)
    dtype = _decision_dtype(model, X.dtype)
    E = np.empty((n_classes, min(rows, X.shape[0])), dtype=dtype)
    scores = np.empty(E.shape[1], dtype=dtype)
    intercept = model.intercept_.reshape(-1, 1)
    decision = X @ model.coef_.T
    for start in range(0, X.shape[0], rows):
        block = decision[start : start + rows]
        m = block.shape[0]
        e = E[:, :m]
        # The transposed sum: the very additions of ``X @ coef.T + intercept``.
        np.add(block.T, intercept, out=e)
        top = e[0].copy()
        for j in range(1, n_classes):
            np.maximum(top, e[j], out=top)
        e -= top
        np.exp(e, out=e)
        sums = pairwise_row_sums(e)
        _SCORE[strategy](e, sums, scores[:m])
        out[start : start + m] = scores[:m]


def _least_confidence(e: np.ndarray, sums: np.ndarray, out: np.ndarray) -> None:
    # The largest exponential is exp(0) = 1 exactly, so the top probability is 1 / sum.
    np.divide(1.0, sums, out=sums)
    np.subtract(1.0, sums, out=out)


def _margin(e: np.ndarray, sums: np.ndarray, out: np.ndarray) -> None:
    second = second_largest(e)
    second /= sums
    np.divide(1.0, sums, out=sums)
    sums -= second
    np.subtract(1.0, sums, out=out)


def _entropy(e: np.ndarray, sums: np.ndarray, out: np.ndarray) -> None:
    e /= sums  # the probabilities, as softmax divides them
    with np.errstate(divide="ignore", invalid="ignore"):
        plogp = e * np.log(e)
    plogp[~(e > 0)] = 0.0  # 0 log 0 taken as 0, as entropy_scores does
    np.negative(pairwise_row_sums(plogp), out=out)


_SCORE = {"least_confidence": _least_confidence, "margin": _margin, "entropy": _entropy}


def second_largest(e: np.ndarray) -> np.ndarray:
    """Each column's second largest value (the largest again when it occurs twice).

    Row by row, keeping the two largest so far: selection only, so exactly the value
    ``np.partition`` gives.

    Parameters
    ----------
    e : ndarray of shape (n_classes, n_rows)

    Returns
    -------
    second : ndarray of shape (n_rows,)
    """
    first = e[0].copy()
    second = np.full_like(first, -np.inf)
    low = np.empty_like(first)
    for j in range(1, e.shape[0]):
        np.minimum(first, e[j], out=low)
        np.maximum(second, low, out=second)
        np.maximum(first, e[j], out=first)
    return second
