"""Screening a large float64 multiclass pool: exact scores only where they can decide.

Scored class by class (``classmajor``), a float64 pool of many classes spends most of
its time in ``np.exp``: numpy has SIMD exponentials for float64 only with AVX-512, and
elsewhere calls the C library's, about 5 ns a value (on an AVX2 machine, 100,000 rows of
10 classes: 5 of the 11 ms). Yet a query needs the exact scores of the few rows that can
be chosen, not of all of them. So every row gets bounds ``lo <= exact <= hi`` from a
pass over a float32 copy of the pool, kept once per pool (half the pool's bytes, with a
column of ones so that one product gives the intercept too):

- least confidence and margin: exponentials read off float bits (``bitexp``), within a
  factor 1.07 of exact, which takes no ``np.exp`` at all;
- entropy: float32 scores, within ``tau`` of exact (``roundoff.error_bound``).

With ``T`` the ``SCREEN_TOP``-th largest ``lo``, every row whose ``hi`` reaches ``T``
is a candidate, and its exact score is computed as ``classmajor.score_block`` computes
it: the product of gathered rows, which ``gathered_product_matches`` vouches rounds as
the chunk's own product, then the same column-wise steps; so it is the score of
``predict_proba`` bit for bit. The rest keep their ``hi`` as key, below ``T``. So ``T``
is a clean cut: every row whose exact score reaches it holds that score, every other
key lies below it. A query whose choice stays at or above the cut is the exact query,
ties and all; one that reaches below it (a large batch, many rows held) has the pool
scored exactly first (``LabelingSession.query``).

Pools below ``SCREEN_MIN_ROWS`` rows, sparse ones, and bounds too loose to spare rows
are scored exactly throughout; so are float32 pools. Their exact exponential is the
float32 one already, and neither screen was quicker there (``/tmp`` timing, 2026-11-23):
a bit screen on the pool as it is costs what the exact scores cost at 5 classes, and
from 8 classes on OpenBLAS's float32 kernels round some rows by their position in a
product, so gathered rows do not reproduce the chunk's product (and the chunk's own
product, read back transposed for the bounds, costs as much as the exponentials spared).
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass
from functools import cache
from typing import Literal

import numpy as np
from sklearn.base import ClassifierMixin

from al_core.learning.bitexp import (
    BIT_STRATEGIES,
    SCALE,
    bit_bounds,
    bit_scores_block,
    largest,
)
from al_core.learning.classmajor import (
    coef_layout,
    decision_dtype,
    finish_block,
    second_largest,
)
from al_core.learning.roundoff import (
    U32,
    U64,
    decision_error,
    error_bound,
    exp32_error_ok,
    reach,
)

SCREEN_MIN_ROWS = 32_768
"""Smallest pool screened: below it the exact scores cost about a millisecond."""

SCREEN_TOP = 512
"""Rows whose exact scores are sure to be known: queries of up to this many rows, less
those held, need no exact pass over the pool."""

_GATHER_ROWS = 1_024
"""Candidates are scored exactly in products of this many gathered rows (the shape
``gathered_product_matches`` checks)."""

_SCREEN_ROWS = 16_384
"""Rows of a block of the float32 pass (640 KB of float32 at 10 classes)."""

_MAX_TAU = 0.05
"""Above this bound on the score error (of scores between 0 and 1, or log K for
entropy) a screen would spare too few rows to be worth its float32 pass."""


@dataclass(frozen=True, eq=False)
class ScreenPool:
    """A float32 copy of a pool and its features' largest magnitudes."""

    X32: np.ndarray
    """shape (n_samples, n_features + 1), float32, C-contiguous: the pool and a column of
    ones, so that one product gives the decision, intercept and all."""
    col_max: np.ndarray
    """shape (n_features,), float64: ``max |X[:, j]|``."""


_pools: dict[int, ScreenPool] = {}
_lock = threading.Lock()


def screen_pool(X: object) -> ScreenPool | None:
    """The float32 copy of ``X``, made on first use and kept while ``X`` lives.

    None for a pool that is not screened: not a C-contiguous float64 ndarray, fewer
    than ``SCREEN_MIN_ROWS`` rows, or values that are not all finite. The pool must not
    change afterwards (a session's never does).
    """
    if not (
        isinstance(X, np.ndarray)
        and X.ndim == 2
        and X.dtype == np.float64
        and X.flags.c_contiguous
        and X.shape[0] >= SCREEN_MIN_ROWS
    ):
        return None
    with _lock:
        if id(X) in _pools:
            return _pools[id(X)]
        col_max = np.abs(X).max(axis=0)
        if not np.isfinite(col_max).all():
            return None
        X32 = np.empty((X.shape[0], X.shape[1] + 1), dtype=np.float32)
        X32[:, :-1] = X
        X32[:, -1] = 1.0
        pool = ScreenPool(X32, col_max)
        # Several sessions share one pool: one copy for all, dropped with the pool.
        _pools[id(X)] = pool
        weakref.finalize(X, _pools.pop, id(X), None)
        return pool


@cache
def gathered_product_matches(
    chunk_rows: int, n_features: int, n_classes: int, coef_order: Literal["C", "F"], rows: int
) -> bool:
    """Whether ``G @ coef.T``, G being ``rows`` rows gathered from a chunk, equals those
    rows of the chunk's product ``X @ coef.T`` (float64).

    Compared on random values of these shapes and ``coef``'s layout, as
    ``classmajor.blocked_product_matches`` compares blocks: BLAS picks its kernels,
    and so its order of additions, from shapes and layouts, not values.
    """
    rng = np.random.default_rng(chunk_rows + 7 * n_features)
    X = rng.standard_normal((chunk_rows, n_features))
    coef = np.asarray(rng.standard_normal((n_classes, n_features)), order=coef_order)
    whole = X @ coef.T
    ids = rng.integers(0, chunk_rows, size=rows)
    return bool(np.array_equal(X[ids] @ coef.T, whole[ids]))


def screened_rank(
    model: ClassifierMixin,
    X: np.ndarray,
    pool: ScreenPool,
    strategy: str,
    chunk_rows: int,
    out: np.ndarray,
) -> float | None:
    """Key every row of the pool into ``out`` by the screen; return the cut.

    Least confidence and margin are bounded from exponentials read off float bits
    (``bitexp``), entropy from float32 scores within ``error_bound``, both from the
    pool's float32 copy. Every row gets bounds ``lo <= exact <= hi``;
    the cut ``T`` is the ``SCREEN_TOP``-th largest ``lo``, and every row whose ``hi``
    reaches it gets its exact score, the others their ``hi`` (below ``T``).

    Parameters
    ----------
    model : fitted plain LogisticRegression of more than two classes
    X : ndarray of shape (n_samples, n_features), float64
        The pool ``pool`` was made from.
    pool : ScreenPool
    strategy : {"least_confidence", "margin", "entropy"}
    chunk_rows : int
        The chunks the exact path scores the pool in (their product is the reference).
    out : ndarray of shape (n_samples,), float64

    Returns
    -------
    cut : float or None
        Keys at or above it are the exact scores of exactly the rows whose score is at
        or above it; keys below it are upper bounds. None when the screen does not
        apply (``out`` is then to be written whole): score the pool exactly.
    """
    n, n_classes = X.shape[0], model.coef_.shape[0]
    if decision_dtype(model, X.dtype) != np.float64:
        return None
    # Candidates are scored in blocks of gathered rows, which must round as each
    # chunk's own product does (the exact path's reference).
    order = coef_layout(model, X.shape[1])
    if order is None:
        return None
    for length in {min(chunk_rows, n), n % chunk_rows or min(chunk_rows, n)}:
        if not gathered_product_matches(length, X.shape[1], n_classes, order, _GATHER_ROWS):
            return None
    passes = _bit_pass(model, pool, strategy, out) or _float32_pass(model, pool, strategy, out)
    if passes is None:
        return None
    best = np.empty(0)
    for lows in passes:
        best = largest(np.concatenate([best, lows]), SCREEN_TOP)
    cut = float(best.min())
    if not np.isfinite(cut):
        return None
    # NaN compares false: such a row is a candidate, never silently below the cut.
    candidates = np.flatnonzero(~(out < cut))
    _exact_scores(model, X, candidates, strategy, _GATHER_ROWS, out)
    return cut


def row_bounds(
    model: ClassifierMixin, X: np.ndarray, strategy: str
) -> tuple[np.ndarray, np.ndarray] | None:
    """Every row's bounds ``lo <= exact score <= hi`` from ``bitexp``, shapes (n_samples,);
    None where they do not apply. (What the screen computes, kept whole: for checks.)"""
    pool = screen_pool(X)
    lo, hi = np.empty(X.shape[0]), np.empty(X.shape[0])
    passes = None if pool is None else _bit_pass(model, pool, strategy, hi, lo)
    if passes is None:
        return None
    for _ in passes:
        pass
    return lo, hi


def _bit_pass(
    model: ClassifierMixin,
    pool: ScreenPool,
    strategy: str,
    out: np.ndarray,
    lows: np.ndarray | None = None,
):
    """Upper bounds into ``out`` block by block from ``bitexp`` (lower ones into
    ``lows``, if given), yielding each block's largest lower bounds; None where they do
    not apply."""
    if strategy not in BIT_STRATEGIES:
        return None
    # The exact path's own rounding is float64's: its decisions, exponentials and sums.
    bounds = bit_bounds(
        decision_error(model, pool.col_max, U32),
        reach(model, pool.col_max),
        model.coef_.shape[0],
        error_bound(model, pool.col_max, U64, 745.0),
    )
    if bounds is None:
        return None
    w = _with_intercept(model) * SCALE
    return _blocks(pool.X32, w.astype(np.float32), strategy, bounds, out, lows)


def _with_intercept(model: ClassifierMixin) -> np.ndarray:
    """The weights with the intercept as a last column, shape (n_classes, n_features + 1):
    their product with a row of ``ScreenPool.X32`` (ending in a one) is its decision."""
    return np.hstack([model.coef_, model.intercept_.reshape(-1, 1)])


def _blocks(X32, w, strategy, bounds, out, lows):
    n = X32.shape[0]
    m = min(_SCREEN_ROWS, n)
    d = np.empty((w.shape[0], m), dtype=np.float32)
    bits, zeros = np.empty(d.shape, dtype=np.int32), np.zeros(m, dtype=np.float32)
    for start in range(0, n, _SCREEN_ROWS):
        block = X32[start : start + _SCREEN_ROWS]
        m = block.shape[0]
        scaled = np.matmul(w, block.T, out=d[:, :m])
        hi, lo = out[start : start + m], None if lows is None else lows[start : start + m]
        work = (bits[:, :m], zeros[:m])
        yield bit_scores_block(scaled, strategy, work, bounds, hi, SCREEN_TOP, lo)


def _float32_pass(model: ClassifierMixin, pool: ScreenPool, strategy: str, out: np.ndarray):
    """Upper bounds into ``out`` block by block from float32 scores within
    ``error_bound``, yielding each block's largest lower bounds; None where the bound
    is too loose to spare rows (or numpy's float32 exponential is not as accurate as
    it assumes)."""
    if not exp32_error_ok():
        return None
    tau = error_bound(model, pool.col_max)
    if not tau <= _MAX_TAU:
        return None
    return _float32_blocks(model, pool.X32, strategy, tau, out)


def _float32_blocks(model, X32, strategy, tau, out):
    n, n_classes = X32.shape[0], model.coef_.shape[0]
    w32 = _with_intercept(model).astype(np.float32)
    d = np.empty((n_classes, min(_SCREEN_ROWS, n)), dtype=np.float32)
    # Entropy needs the decision beside its exponentials; the others exponentiate in place.
    p = np.empty_like(d) if strategy == "entropy" else d
    approx = np.empty(d.shape[1], dtype=np.float32)
    for start in range(0, n, _SCREEN_ROWS):
        block = X32[start : start + _SCREEN_ROWS]
        m = block.shape[0]
        _approx_scores(w32, block, strategy, d[:, :m], p[:, :m], approx[:m])
        np.add(approx[:m], tau, out=out[start : start + m], dtype=np.float64)
        yield largest(approx[:m], SCREEN_TOP).astype(np.float64) - tau


def _approx_scores(
    w32: np.ndarray,
    block: np.ndarray,
    strategy: str,
    d: np.ndarray,
    p: np.ndarray,
    out: np.ndarray,
) -> None:
    """Write the float32 scores of a block of the float32 pool into ``out``, shape (m,)."""
    np.matmul(w32, block.T, out=d)
    d -= d.max(axis=0)
    second = second_largest(d) if strategy == "margin" else None
    np.exp(d, out=p)
    sums = p.sum(axis=0)
    if strategy == "least_confidence":
        np.divide(1.0, sums, out=sums)
        np.subtract(1.0, sums, out=out)
    elif strategy == "margin":
        # The top exponential is exp(0) = 1: margin = 1 - (1 - p2) / sums.
        assert second is not None
        np.exp(second, out=second)
        np.subtract(1.0, second, out=second)
        second /= sums
        np.subtract(1.0, second, out=out)
    else:
        # entropy = log(sums) - sum_k p_k (d_k - max d) / sums, with no log of a zero
        np.multiply(p, d, out=p)
        weighted = p.sum(axis=0)
        weighted /= sums
        np.log(sums, out=sums)
        np.subtract(sums, weighted, out=out)


def _exact_scores(
    model: ClassifierMixin,
    X: np.ndarray,
    ids: np.ndarray,
    strategy: str,
    rows: int,
    out: np.ndarray,
) -> None:
    """Write the exact scores of the rows ``ids`` into ``out[ids]``: each block of
    gathered rows padded to ``rows`` so that its product is the checked one."""
    gathered = np.zeros((rows, X.shape[1]), dtype=X.dtype)
    product = np.empty((rows, model.coef_.shape[0]), dtype=X.dtype)
    e = np.empty((model.coef_.shape[0], rows), dtype=X.dtype)
    scores = np.empty(rows, dtype=X.dtype)
    intercept = model.intercept_.reshape(-1, 1)
    for start in range(0, ids.size, rows):
        part = ids[start : start + rows]
        m = part.size
        np.take(X, part, axis=0, out=gathered[:m])
        np.matmul(gathered, model.coef_.T, out=product)
        # The transposed sum: the very additions of ``X @ coef.T + intercept``.
        block = np.add(product[:m].T, intercept, out=e[:, :m])
        finish_block(block, strategy, scores[:m])
        out[part] = scores[:m]
