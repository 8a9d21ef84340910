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

The decision itself is, where it can be, computed block by block straight into the
class-major matrix (``coef @ X_block.T``), which spares writing the chunk's decision
out to memory and reading it back transposed. BLAS gives no promise that this rounds as
the chunk's own product does (OpenBLAS has kernels for small products, and one of them
rounds otherwise), so ``blocked_product_matches`` compares the two on random values of
the very shapes, float type and layout first, once per process; where they differ, the
chunk's product is taken whole, as ``predict_proba`` takes it.
"""

from __future__ import annotations

from functools import cache
from typing import Literal

import numpy as np
from sklearn.base import ClassifierMixin

CLASSMAJOR_STRATEGIES = ("least_confidence", "margin", "entropy")
"""Strategies scored here (``random`` needs no model)."""

_BLOCK_VALUES = 163_840
"""Values of a block's class-major matrix (640 KB of float32, 1.3 MB of float64): on an
AVX2 machine 8-15 % quicker than a quarter of it (``/tmp`` timing of 100,000 x 20 x 10
classes, 20 interleaved runs), the BLAS product of few rows being dearer per row than
the passes over a matrix that spills to the next cache."""

_CHECKED_WIDTH = 128
"""Most features plus classes of a dense pool whose blocked product is checked (the
check draws a chunk of random values and its product: up to 67 MB of float64 at
65,536 rows); wider ones take the chunk's product whole."""

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
        # The eight running sums start as views of E's rows; each becomes an array of
        # its own at its first addition (copying them first would be eight more passes).
        r = [E[lo + j] for j in range(8)]
        i = 8
        if i < n - (n % 8):
            r = [r[j] + E[lo + i + j] for j in range(8)]
            i += 8
        while i < n - (n % 8):
            for j in range(8):
                r[j] += E[lo + i + j]
            i += 8
        total = r[0] + r[1]
        right = r[2] + r[3]
        total += right
        np.add(r[4], r[5], out=right)
        low = r[6] + r[7]
        right += low
        total += right
        for j in range(lo + i, hi):
            total += E[j]
        return total
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


@cache
def blocked_product_matches(
    n_rows: int,
    n_features: int,
    n_classes: int,
    dtype: str,
    coef_order: Literal["C", "F"],
    block_rows: int,
) -> bool:
    """Whether ``coef @ X[block].T``, block by block, equals ``(X @ coef.T)[block].T``.

    Compared on random values of these shapes, float type and ``coef``'s memory layout
    ("C" or "F"): BLAS rounds differently only where it sums in another order, which
    its kernel choice fixes from shapes and layouts, not values (threads split rows and
    columns, not the sums); a different order shows on a good share of random values.
    """
    rng = np.random.default_rng(n_rows + n_features)
    X = rng.standard_normal((n_rows, n_features), dtype=np.dtype(dtype).type)
    coef = np.asarray(rng.standard_normal((n_classes, n_features)), dtype=dtype, order=coef_order)
    whole = X @ coef.T
    part = np.empty((n_classes, block_rows), dtype=dtype)
    for start in range(0, n_rows, block_rows):
        block = X[start : start + block_rows]
        e = part[:, : block.shape[0]]
        np.matmul(coef, block.T, out=e)
        if not np.array_equal(e, whole[start : start + block_rows].T):
            return False
    return True


def blocked_product(model: ClassifierMixin, X: object, dtype: np.dtype, rows: int) -> bool:
    """Whether this chunk's decision may be computed block by block (see the module)."""
    coef = model.coef_
    if not (
        isinstance(X, np.ndarray)
        and X.flags.c_contiguous
        and X.dtype == dtype
        and coef.dtype == dtype
        and model.intercept_.dtype == dtype
    ):
        return False
    order = coef_layout(model, X.shape[1])
    if order is None:
        return False
    return blocked_product_matches(X.shape[0], X.shape[1], coef.shape[0], dtype.name, order, rows)


def coef_layout(model: ClassifierMixin, n_features: int) -> Literal["C", "F"] | None:
    """``coef_``'s memory layout, which a check of a product's rounding is made for;
    None where no check is made (neither layout, or wider than ``_CHECKED_WIDTH``)."""
    coef = model.coef_
    if n_features + coef.shape[0] > _CHECKED_WIDTH:
        return None
    if coef.flags.c_contiguous:
        return "C"
    return "F" if coef.flags.f_contiguous else None


def decision_dtype(model: ClassifierMixin, X_dtype: np.dtype) -> np.dtype:
    """The float type of ``X @ coef.T + intercept``, which the scores are computed in."""
    return np.result_type(X_dtype, model.coef_, model.intercept_)


def can_score(model: ClassifierMixin, X_dtype: np.dtype, strategy: str) -> bool:
    """Whether a pool of this float type is scored here under a plain logistic regression
    (of more than two classes)."""
    n_classes = model.coef_.shape[0]
    dtype = decision_dtype(model, X_dtype).name
    return (
        n_classes > 2
        and strategy in CLASSMAJOR_STRATEGIES
        and dtype in ("float32", "float64")
        and sums_match_numpy(n_classes, dtype)
    )


def score_block(model: ClassifierMixin, X: np.ndarray, strategy: str, out: np.ndarray) -> None:
    """Write the strategy's scores of the rows of ``X`` into ``out``.

    The work runs block by block of rows that stay in cache; the decision too where
    ``blocked_product_matches`` found that BLAS rounds it there as in the product of all
    of ``X``, which ``predict_proba`` takes (otherwise that one product is taken first).

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
    rows = block_rows(n_classes)
    dtype = decision_dtype(model, X.dtype)
    E = np.empty((n_classes, min(rows, X.shape[0])), dtype=dtype)
    scores = np.empty(E.shape[1], dtype=dtype)
    intercept = model.intercept_.reshape(-1, 1)
    blocked = blocked_product(model, X, dtype, rows)
    decision = X if blocked else X @ model.coef_.T
    for start in range(0, X.shape[0], rows):
        block = decision[start : start + rows]
        m = block.shape[0]
        e = E[:, :m]
        if blocked:
            np.matmul(model.coef_, block.T, out=e)
            e += intercept
        else:
            # The transposed sum: the very additions of ``X @ coef.T + intercept``.
            np.add(block.T, intercept, out=e)
        finish_block(e, strategy, scores[:m])
        out[start : start + m] = scores[:m]


def block_rows(n_classes: int) -> int:
    """Rows of a block of ``score_block``: its class-major matrix stays in cache."""
    return max(256, _BLOCK_VALUES // n_classes)


def finish_block(e: np.ndarray, strategy: str, out: np.ndarray) -> None:
    """The strategy's scores of a block from its decision, as ``predict_proba`` and the
    scorer compute them: softmax's maxima, exponentials and pairwise sums, column by
    column (so a column's score does not depend on the other columns of ``e``).

    Parameters
    ----------
    e : ndarray of shape (n_classes, n_rows)
        The decision ``X @ coef.T + intercept`` of the block, class-major; overwritten.
    strategy : {"least_confidence", "margin", "entropy"}
    out : ndarray of shape (n_rows,)
    """
    e -= e.max(axis=0)
    np.exp(e, out=e)
    sums = pairwise_row_sums(e)
    _SCORE[strategy](e, sums, out)


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
