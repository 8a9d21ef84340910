"""Screening a large multiclass pool: exact scores only where they can decide.

Scored class by class (``classmajor``), a float64 pool of many classes spends most of
its time in ``np.exp``: numpy has SIMD exponentials for float64 only with AVX-512, and
elsewhere calls the C library's, about 5 ns a value (on an AVX2 machine, 100,000 rows of
10 classes: 5 of the 11 ms). Yet a query needs the exact scores of the few rows that can
be chosen, not of all of them. So every row gets bounds ``lo <= exact <= hi`` from a
pass over the pool's float32 rows (for a float64 pool, a transposed copy kept once per
pool: half the pool's bytes, with a row of ones so that one product gives the intercept
too):

- least confidence and margin: exponentials read off float bits (``bitexp``), within a
  factor 1.07 of exact, which takes no ``np.exp`` at all;
- entropy: float32 scores, within ``tau`` of exact (``roundoff.error_bound``).

With ``T`` the ``top``-th largest ``lo`` of the rows that may be queried (rows labeled
or in the test set do not count: they crowd the top once hundreds of the most uncertain
rows are labeled), every row whose ``hi`` reaches ``T`` is a candidate, and its exact
score is computed as ``classmajor.score_block`` computes it: the product of gathered
rows, which ``gathered.gather_rows`` vouches rounds as the chunk's own product (or each
row's own chain of fused multiply-adds, where ``gathered.fma_chains_match`` vouches for
those: 0.11 ms against 0.28 for 140 rows of 100,000 x 20, 10 classes), then the same
column-wise steps; so it is the score of ``predict_proba`` bit for bit. The rest
keep their ``hi`` as key, below ``T``. So ``T`` is a clean cut: every row whose exact
score reaches it holds that score, every other key lies below it. A query whose choice
stays at or above the cut is the exact query, ties and all; one that reaches below it (a
large batch, many rows held) has the pool scored exactly first
(``LabelingSession.query``).

A float32 pool's exact exponentials are float32 ones already (numpy's SIMD ones, about
1.3 ns a value on an AVX2 machine), so the bit screen spares less there, and it is used
only where it was measured quicker (two sessions stepped alternately on 100,000 x 20,
``/tmp`` timing, 2026-11-23): least confidence from ``FLOAT32_MIN_CLASSES`` classes (10
classes: the engine step 0.95x, its scoring 0.82-0.85x; 8: 0.97x; 5: 1.02x), not
margin, whose looser bounds leave 3-6 times the candidates (10 classes: 1.06x), nor
entropy; and not where numpy has its AVX-512 exponentials (``FLOAT32_SCREEN``): there
the exact float32 scoring of 100,000 x 10 took 3.1 ms against the screen's 4.0 (its
product from the pool's rows read as columns costs about twice that from a transposed
copy, which a float32 pool does not get).

Where the C kernel of ``nativebits`` builds, the bit bounds come from one compiled pass
instead of numpy's (the product, the largest decision, the shift, clamp, cast and sum,
and least confidence's upper bounds): 100,000 rows of 10 classes took 0.6-0.8 ms inside
a step against 2.2-2.7, and a float32 pool is then screened for least confidence from
``FLOAT32_MIN_CLASSES`` classes on every machine, its rows read as they are (the step
1.52x-1.57x its floor against 1.80x-1.86x exact, ``/tmp`` timing, stop 36).

Pools below ``screenpool.SCREEN_MIN_ROWS`` rows, sparse ones, shapes whose gathered
products BLAS rounds otherwise (OpenBLAS's float32 kernels at 20 classes) and bounds too
loose to spare rows are scored exactly throughout.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.base import ClassifierMixin

from al_core.learning import nativebits
from al_core.learning.bitexp import (
    BIT_STRATEGIES,
    SCALE,
    Largest,
    bit_bounds,
    bit_scores_block,
    bounds_from_sums,
    least_confidence_upper,
)
from al_core.learning.classmajor import (
    coef_layout,
    decision_dtype,
    second_largest,
)
from al_core.learning.gathered import (
    chunk_lengths,
    exact_scores,
    fma_chains_match,
    gather_rows,
)
from al_core.learning.keytop import KeyTopFinder
from al_core.learning.roundoff import (
    U32,
    U64,
    decision_error,
    error_bound,
    exp32_error_ok,
    reach,
)
from al_core.learning.screenpool import (
    SCREEN_BLOCK_ROWS,
    ScreenPool,
    blocked_rows_mask,
    screen_pool,
)

SCREEN_TOP = 64
"""Rows whose exact scores are sure to be known beyond a query's own and those it holds
out (``screen_top``): room for rows leased to other annotators. Fewer rows, fewer
candidates: 100,000 rows of 10 classes had about 850 candidates at 512, 260 at 128 and
85 at 32 (``/tmp`` timing, 2026-11-23: the screen 2.9, 2.6 and 2.5 ms)."""


def screen_top(batch_size: int, n_held: int) -> int:
    """Rows the screen must key exactly so that a query of ``batch_size`` rows, with
    ``n_held`` rows held out of it (skipped), needs no exact pass over the pool."""
    return SCREEN_TOP + int(batch_size) + int(n_held)


def _numpy_has_avx512() -> bool:
    """Whether numpy dispatches its AVX-512 loops here (exponentials among them)."""
    try:
        from numpy._core._multiarray_umath import __cpu_features__
    except ImportError:  # a numpy that keeps it elsewhere: take the AVX2 measurements
        return False
    return bool(__cpu_features__.get("AVX512_SKX", False))


FLOAT32_SCREEN = not _numpy_has_avx512()
"""Whether float32 pools are screened at all (see the module's docstring)."""

FLOAT32_STRATEGIES = ("least_confidence",)
"""Strategies a float32 pool is screened for (see the module's docstring)."""

FLOAT32_MIN_CLASSES = 8
"""Fewest classes a float32 pool is screened at (see the module's docstring)."""

_MAX_TAU = 0.05
"""Above this bound on the score error (of scores between 0 and 1, or log K for
entropy) a screen would spare too few rows to be worth its float32 pass."""


def screened_rank(
    model: ClassifierMixin,
    X: np.ndarray,
    pool: ScreenPool,
    strategy: str,
    chunk_rows: int,
    out: np.ndarray,
    blocked: Sequence[np.ndarray] = (),
    top: int | None = None,
    blocked_mask: np.ndarray | None = None,
    top_keys: KeyTopFinder | None = None,
) -> float | None:
    """Key every row of the pool into ``out`` by the screen; return the cut.

    Least confidence and margin are bounded from exponentials read off float bits
    (``bitexp``), entropy (of a float64 pool) from float32 scores within
    ``error_bound``, both from the pool's float32 rows. Every row gets bounds
    ``lo <= exact <= hi``;
    the cut ``T`` is the ``top``-th largest ``lo`` of the rows not blocked, and every
    row whose ``hi`` reaches it gets its exact score, the others their ``hi`` (below
    ``T``); blocked rows are keyed ``-inf``.

    Parameters
    ----------
    model : fitted plain LogisticRegression of more than two classes
    X : ndarray of shape (n_samples, n_features), float64 or float32
        The pool ``pool`` was made from.
    pool : ScreenPool
    strategy : {"least_confidence", "margin", "entropy"}
    chunk_rows : int
        The chunks the exact path scores the pool in (their product is the reference).
    out : ndarray of shape (n_samples,), float64
    blocked : sequence of ndarray of int
        Rows that may never be queried, part by part: keyed ``-inf``, and left out of
        the cut.
    top : int, optional
        Rows not blocked that are sure to be keyed with their exact scores; default
        ``SCREEN_TOP``.
    blocked_mask : ndarray of shape (n_samples,), bool, optional
        The rows of ``blocked`` as a mask, where the caller keeps one (spares making it).
    top_keys : KeyTopFinder, optional
        Takes in the exact keys of the rows at or above the cut (every other key lies
        below them), once the screen applies.

    Returns
    -------
    cut : float or None
        Keys at or above it are the exact scores of exactly the rows whose score is at
        or above it; keys below it are upper bounds. None when the screen does not
        apply (``out`` is then to be written whole): score the pool exactly.
    """
    n, n_classes = X.shape[0], model.coef_.shape[0]
    # The exact scores are the pool's own float type's (a float32 pool's model too).
    if decision_dtype(model, X.dtype) != X.dtype:
        return None
    if X.dtype == np.float32 and not (
        (FLOAT32_SCREEN or _native_kernel(X, n_classes) is not None)
        and strategy in FLOAT32_STRATEGIES
        and n_classes >= FLOAT32_MIN_CLASSES
    ):
        return None
    # Candidates are scored in products of gathered rows, which must round as each
    # chunk's own product does (the exact path's reference).
    order = coef_layout(model, X.shape[1])
    if order is None:
        return None
    lengths = chunk_lengths(n, chunk_rows)
    gather = None
    if not (
        X.flags.c_contiguous
        and fma_chains_match(lengths, X.shape[1], n_classes, X.dtype.name, order)
    ):
        gather = gather_rows(lengths, X.shape[1], n_classes, X.dtype.name, order)
        if gather is None:
            return None
    top = SCREEN_TOP if top is None else top
    taken = blocked_rows_mask(n, blocked, blocked_mask)
    best = Largest(top)
    passes = _bit_pass(model, X, pool, strategy, out, best, taken) or _float32_pass(
        model, pool, strategy, out, best, taken
    )
    if passes is None:
        return None
    for _ in passes:
        pass
    cut = best.floor
    if not np.isfinite(cut):
        return None  # fewer rows free than ``top``: nothing to spare
    # NaN compares false: such a row is a candidate, never silently below the cut.
    candidates = np.flatnonzero(~(out < cut))
    exact_scores(model, X, candidates, strategy, chunk_rows, out, gather)
    if top_keys is not None:
        top_keys.add_rows(out[candidates], candidates)
    return cut


def row_bounds(
    model: ClassifierMixin, X: np.ndarray, strategy: str
) -> tuple[np.ndarray, np.ndarray] | None:
    """Every row's bounds ``lo <= exact score <= hi`` from ``bitexp``, shapes (n_samples,);
    None where they do not apply. (What the screen computes, kept whole: for checks.)"""
    pool = screen_pool(X)
    lo, hi = np.empty(X.shape[0]), np.empty(X.shape[0])
    passes = None if pool is None else _bit_pass(model, X, pool, strategy, hi, Largest(1), lows=lo)
    if passes is None:
        return None
    for _ in passes:
        pass
    return lo, hi


def _bit_pass(
    model: ClassifierMixin,
    X: np.ndarray,
    pool: ScreenPool,
    strategy: str,
    out: np.ndarray,
    best: Largest,
    taken: np.ndarray | None = None,
    lows: np.ndarray | None = None,
):
    """Upper bounds into ``out`` block by block from ``bitexp`` (lower ones into
    ``lows``, if given), the lower bounds of rows not ``taken`` (a mask) into ``best``,
    yielding after each block; None where they do not apply."""
    if strategy not in BIT_STRATEGIES:
        return None
    # The exact path's own rounding is that of the pool's float type: its decisions,
    # exponentials and sums.
    exact_unit, underflow = (U64, 745.0) if X.dtype == np.float64 else (U32, 88.0)
    bounds = bit_bounds(
        decision_error(model, pool.col_max, U32),
        reach(model, pool.col_max),
        model.coef_.shape[0],
        error_bound(model, pool.col_max, exact_unit, underflow),
    )
    if bounds is None:
        return None
    # Scaled in float64, rounded to float32 once (decision_error counts that rounding).
    w = (_with_intercept(model).astype(np.float64) * SCALE).astype(np.float32)
    bit_sums = _native_kernel(X, w.shape[0])
    if pool.XT32 is None:  # a float32 pool's rows have no column of ones
        w, b = np.ascontiguousarray(w[:, :-1]), np.ascontiguousarray(w[:, -1])
        source = X
    else:
        w, b, source = np.ascontiguousarray(w), None, pool.XT32
    if bit_sums is not None:
        return _native_blocks(bit_sums, source, w, b, strategy, bounds, out, lows, taken, best)
    return _blocks(pool, X, w, b, strategy, bounds, out, lows, taken, best)


def _native_kernel(X: np.ndarray, n_classes: int) -> nativebits.BitSums | None:
    """The compiled kernel where it reads this pool (a float64 one through its float32
    copy, a float32 one row by row), else None."""
    if n_classes > nativebits.MAX_CLASSES:
        return None
    if X.dtype == np.float32 and X.shape[1] > nativebits.MAX_FEATURES:
        return None
    return nativebits.kernel()


def _with_intercept(model: ClassifierMixin) -> np.ndarray:
    """The weights with the intercept as a last column, shape (n_classes, n_features + 1):
    their product with a column of ``ScreenPool.XT32`` (ending in a one) is its decision."""
    return np.hstack([model.coef_, model.intercept_.reshape(-1, 1)])


def _blocks(pool, X, w, b, strategy, bounds, out, lows, taken, best):
    n = X.shape[0]
    m = min(SCREEN_BLOCK_ROWS, n)
    d = np.empty((w.shape[0], m), dtype=np.float32)
    bits, zeros = np.empty(d.shape, dtype=np.int32), np.zeros(m, dtype=np.float32)
    for start in range(0, n, SCREEN_BLOCK_ROWS):
        block = pool.columns(X, start, start + SCREEN_BLOCK_ROWS)
        m = block.shape[1]
        scaled = np.matmul(w, block, out=d[:, :m])
        if b is not None:
            scaled += b[:, None]  # the intercept, where the rows have no column of ones
        hi, lo = out[start : start + m], None if lows is None else lows[start : start + m]
        work = (bits[:, :m], zeros[:m])
        skip = None if taken is None else taken[start : start + m]
        bit_scores_block(scaled, strategy, work, bounds, hi, best, lo, skip)
        yield


def _native_blocks(bit_sums, X, w, b, strategy, bounds, out, lows, taken, best):
    # The same blocks as _blocks, their sums (and least confidence's upper bounds) from
    # one compiled pass (``nativebits``): of the float32 copy (b None), or of a float32
    # pool itself with its intercepts b.
    n = X.shape[1] if b is None else X.shape[0]
    m = min(SCREEN_BLOCK_ROWS, n)
    sums = np.empty(m, dtype=np.float32)
    second = np.empty(m, dtype=np.float32) if strategy == "margin" else None
    fused = strategy == "least_confidence" and taken is not None and lows is None
    terms = least_confidence_upper(bounds)
    for start in range(0, n, SCREEN_BLOCK_ROWS):
        stop = min(start + SCREEN_BLOCK_ROWS, n)
        m = stop - start
        hi, lo = out[start:stop], None if lows is None else lows[start:stop]
        skip = None if taken is None else taken[start:stop]
        block_second = None if second is None else second[:m]
        upper = (skip, hi, *terms) if fused else None
        bit_sums(X, w, start, stop, sums[:m], block_second, upper, b)
        bounds_from_sums(
            sums[:m], block_second, strategy, bounds, hi, best, lo, skip, hi_written=fused
        )
        yield


def _float32_pass(
    model: ClassifierMixin,
    pool: ScreenPool,
    strategy: str,
    out: np.ndarray,
    best: Largest,
    taken: np.ndarray,
):
    """Upper bounds into ``out`` block by block from float32 scores within
    ``error_bound``, the lower bounds of rows not ``taken`` into ``best``, yielding
    after each block; None where the bound is too loose to spare rows (or numpy's
    float32 exponential is not as accurate as it assumes)."""
    if pool.XT32 is None or not exp32_error_ok():
        return None  # a float32 pool's exact scores are float32 scores already
    tau = error_bound(model, pool.col_max)
    if not tau <= _MAX_TAU:
        return None
    return _float32_blocks(model, pool.XT32, strategy, tau, out, taken, best)


def _float32_blocks(model, XT32, strategy, tau, out, taken, best):
    n, n_classes = XT32.shape[1], model.coef_.shape[0]
    w32 = _with_intercept(model).astype(np.float32)
    d = np.empty((n_classes, min(SCREEN_BLOCK_ROWS, n)), dtype=np.float32)
    # Entropy needs the decision beside its exponentials; the others exponentiate in place.
    p = np.empty_like(d) if strategy == "entropy" else d
    approx = np.empty(d.shape[1], dtype=np.float32)
    for start in range(0, n, SCREEN_BLOCK_ROWS):
        block = XT32[:, start : start + SCREEN_BLOCK_ROWS]
        m = block.shape[1]
        _approx_scores(w32, block, strategy, d[:, :m], p[:, :m], approx[:m])
        np.putmask(approx[:m], taken[start : start + m], -np.inf)
        np.add(approx[:m], tau, out=out[start : start + m], dtype=np.float64)
        values, floor = approx[:m], best.floor
        if floor > -np.inf:
            # Two float32 ulps below the floor: no rounding of it drops a value that
            # reaches it once widened and lowered by tau.
            reach32 = np.float32(floor + tau)
            values = values[values >= reach32 - 2 * np.spacing(abs(reach32))]
        best.add(values.astype(np.float64) - tau)
        yield


def _approx_scores(
    w32: np.ndarray,
    block: np.ndarray,
    strategy: str,
    d: np.ndarray,
    p: np.ndarray,
    out: np.ndarray,
) -> None:
    """Write the float32 scores of a block of the float32 pool (its rows as columns)
    into ``out``, shape (m,)."""
    np.matmul(w32, block, out=d)
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
