"""Screening a large float64 multiclass pool: exact scores only where they can decide.

Scored class by class (``classmajor``), a float64 pool of many classes spends most of
its time in ``np.exp``: numpy has SIMD exponentials for float64 only with AVX-512, and
elsewhere calls the C library's, about 5 ns a value (on an AVX2 machine, 100,000 rows of
10 classes: 5 of the 11 ms). Yet a query needs the exact scores of the few rows that can
be chosen, not of all of them. So:

1. The pool is scored in float32, from a float32 copy of it kept once per pool (half the
   pool's bytes), with an error bound ``tau`` that holds for every row: the decision's
   rounding is bounded by the features' largest magnitudes times the weights
   (``error_bound``), and the float32 exponential is checked against float64 once per
   process (``exp32_error_ok``).
2. With ``T`` the ``SCREEN_TOP``-th best float32 score of the pool, every row whose
   float32 score is within ``2 tau`` of ``T`` or above is a candidate, and its exact
   score is computed as ``classmajor.score_block`` computes it: the product of gathered
   rows, which
   ``gathered_product_matches`` vouches rounds as the chunk's own product, then the
   same column-wise steps; so it is the score of ``predict_proba`` bit for bit.
3. The rest keep their float32 score as key. The cut ``T - tau`` splits the keys
   cleanly: every row whose exact score reaches the cut is a candidate holding that
   score (a row that is not has a float32 score below ``T - 2 tau``, so an exact one
   below ``T - tau``), every other key lies below it. A query whose choice stays at or
   above the cut is the exact query, ties and all; one that reaches below it (a large
   batch, many rows held) has the pool scored exactly first (``LabelingSession.query``).

Pools below ``SCREEN_MIN_ROWS`` rows, float32 pools (their exact exponential is the
float32 one already), sparse ones and any whose bound is too loose to spare rows are
scored exactly throughout.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass
from functools import cache
from typing import Literal

import numpy as np
from sklearn.base import ClassifierMixin

from al_core.learning.classmajor import (
    coef_layout,
    decision_dtype,
    finish_block,
    second_largest,
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

_U = 2.0**-24
"""float32's unit roundoff."""

_EXP_ULPS = 12
"""Allowance for the float32 exponential's error, in units of ``_U`` (checked)."""

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


@cache
def exp32_error_ok() -> bool:
    """Whether numpy's float32 ``exp`` is within ``_EXP_ULPS - 1`` units of roundoff of
    the exact value on [-87, 0] (checked against float64 on 200,001 points)."""
    x = np.linspace(-87.0, 0.0, 200_001).astype(np.float32)
    exact = np.exp(x.astype(np.float64))
    rel = np.abs(np.exp(x).astype(np.float64) - exact) / exact
    return bool(rel.max() <= (_EXP_ULPS - 1) * _U)


def error_bound(model: ClassifierMixin, pool: ScreenPool) -> float:
    """A bound on |float32 score - exact score| for every row of the pool, any strategy.

    The float32 decision of class k differs from the float64 one by at most
    ``(n_features + 2) u sum_j |x_j| |w_kj|`` in any order of additions, plus the
    intercept's rounding (u: float32's unit roundoff; the copies' rounding included),
    so by at most ``delta`` below (a quarter added for the bound's higher-order terms);
    each exponential
    ``exp(d_k - max d)`` then by a factor within ``exp(+-eta)``, with ``eta`` adding the
    subtraction's rounding (``u |d_k - max d|``, at most 88 u before float32 underflows)
    and the exponential's own. Least confidence and margin move by at most
    ``2 eta`` plus the sums' rounding, entropy by ``2 eta (1 + log K)`` plus its own;
    ``tau`` takes the larger, and a quarter more.
    """
    coef = np.abs(model.coef_.astype(np.float64))
    n_classes, n_features = coef.shape
    reach = float((coef @ pool.col_max).max() + np.abs(model.intercept_).max())
    delta = 1.25 * (n_features + 4) * _U * reach
    eta = 2.0 * delta + (88 + _EXP_ULPS) * _U
    log_k = float(np.log(n_classes))
    return 1.25 * (2.0 * eta * (1.0 + log_k) + 4.0 * n_classes * _U * (1.0 + log_k)) + 1e-30


def screened_rank(
    model: ClassifierMixin,
    X: np.ndarray,
    pool: ScreenPool,
    strategy: str,
    chunk_rows: int,
    out: np.ndarray,
) -> float | None:
    """Key every row of the pool into ``out`` by the screen; return the cut.

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
        or above it; keys below it are float32 scores. None when the screen does not
        apply (nothing written): score the pool exactly.
    """
    n, n_classes = X.shape[0], model.coef_.shape[0]
    rows = _GATHER_ROWS
    if decision_dtype(model, X.dtype) != np.float64 or not exp32_error_ok():
        return None
    # Candidates are scored in blocks of ``rows`` gathered rows, which must round as
    # each chunk's own product does (the exact path's reference).
    order = coef_layout(model, X.shape[1])
    if order is None:
        return None
    for length in {min(chunk_rows, n), n % chunk_rows or min(chunk_rows, n)}:
        if not gathered_product_matches(length, X.shape[1], n_classes, order, rows):
            return None
    tau = error_bound(model, pool)
    if not tau <= _MAX_TAU:
        return None
    w32 = np.hstack([model.coef_, model.intercept_.reshape(-1, 1)]).astype(np.float32)
    d = np.empty((n_classes, min(_SCREEN_ROWS, n)), dtype=np.float32)
    # Entropy needs the decision beside its exponentials; the others exponentiate in place.
    p = np.empty_like(d) if strategy == "entropy" else d
    approx = np.empty(n, dtype=np.float32)
    for start in range(0, n, _SCREEN_ROWS):
        block = pool.X32[start : start + _SCREEN_ROWS]
        m = block.shape[0]
        _approx_scores(w32, block, strategy, d[:, :m], p[:, :m], approx[start : start + m])
    top = float(np.partition(approx, n - SCREEN_TOP)[n - SCREEN_TOP])
    # NaN compares false: such a row is a candidate, never silently below the cut.
    candidates = np.flatnonzero(~(approx < np.float64(top - 2.0 * tau)))
    out[:] = approx
    _exact_scores(model, X, candidates, strategy, rows, out)
    return top - tau


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
