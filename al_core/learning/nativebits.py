"""The bit screen's sums in one compiled pass (``native/bitsums.c``), where a C compiler is.

The bit screen (``bitexp``) spends its time in passes over a block of decisions: the
product, the largest decision, the shift, the clamp, the cast and the sum, each a numpy
pass over ``n_classes x rows`` values. Fused, they cost about what the product alone
costs in OpenBLAS: 100,000 rows of 10 classes from the pool's float32 copy took 0.65-0.7
ms against 1.5-1.7 for OpenBLAS's product alone, and about 2.7 for the numpy passes with
it (``/tmp`` timing, AVX-512 AMD, stop 36). numba was tried first and dropped: it left
the product unvectorized (4.4 ms) or no quicker than OpenBLAS, and its import took 115
MB of resident memory before compiling anything.

It is built and loaded by ``nativebuild`` (compiled once per machine, kept in a cache
directory, ``AL_NATIVE=0`` to turn it off). Where there is no compiler, the build fails,
or the kernel's sums on a fixed check disagree with numpy's, ``kernel()`` is None and
the screen keeps its numpy passes. Either way the queries are the same: the kernel
computes the same float32 values as those passes (its decisions in another order of
additions, which the screen's bound on their error covers), and every row it cannot
decide is scored exactly as before.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable
from pathlib import Path

import numpy as np

from al_core.learning import nativebuild
from al_core.learning.bitexp import SCALE, bit_sums_block
from al_core.learning.nativebuild import is_vector as _vector

SOURCE = nativebuild.NATIVE_DIR / "bitsums.c"
MAX_CLASSES = 64
"""Most classes the kernel takes (its accumulators are a fixed array)."""
MAX_FEATURES = 256
"""Most features of a float32 pool the kernel reads row by row (a group's rows are
copied into a fixed array, transposed)."""

BitSums = Callable[..., None]

_loaded: dict[Path, BitSums | None] = {}


def kernel() -> BitSums | None:
    """The compiled ``bit_sums(X, w, start, stop, sums, second, upper, intercept)``,
    built or loaded on first call; None where it is turned off or cannot be built (the
    screen then keeps its numpy passes).

    The function writes, for rows ``start:stop`` of the pool ``XT`` (shape
    (n_features + 1, n_samples), float32, C-contiguous, last row ones) and scaled
    weights ``w`` (shape (n_classes, n_features + 1), float32, C-contiguous), the sum of
    each row's bit terms into ``sums`` (shape (stop - start,), float32) and, if given,
    the second largest term into ``second``. With ``upper = (skip, hi, neg_lower,
    c_hi)`` it then writes least confidence's upper bounds as ``bounds_from_sums``
    does: ``sums`` zero where ``skip`` (bool), ``hi = neg_lower / sums + c_hi``
    (float64; ``-inf`` where a sum is zero). With ``intercept`` (shape (n_classes,),
    float32, scaled) ``X`` is a float32 pool itself, shape (n_samples, n_features), and
    ``w`` of shape (n_classes, n_features).
    """
    return nativebuild.load_once(_loaded, SOURCE, _wrap, _agrees_with_numpy)


def _wrap(library: ctypes.CDLL) -> BitSums:
    function = library.bit_sums
    pointer, size, real = ctypes.c_void_p, ctypes.c_int64, ctypes.c_double
    function.argtypes = [pointer, size, size, ctypes.c_int, pointer, pointer, size, size, size]
    function.argtypes += [pointer, pointer, pointer, real, real, pointer]
    function.restype = ctypes.c_int

    def bit_sums(
        X: np.ndarray,
        w: np.ndarray,
        start: int,
        stop: int,
        sums: np.ndarray,
        second: np.ndarray | None = None,
        upper: tuple[np.ndarray, np.ndarray, float, float] | None = None,
        intercept: np.ndarray | None = None,
    ) -> None:
        # The C code reads raw memory: every shape and layout is checked here.
        transposed = intercept is None
        k, n = X.shape if transposed else X.shape[::-1]
        c = w.shape[0]
        rows = stop - start
        skip, hi, neg_lower, c_hi = (None, None, 0.0, 0.0) if upper is None else upper
        if not (
            X.dtype == w.dtype == np.float32
            and X.flags.c_contiguous
            and w.flags.c_contiguous
            and w.shape[1] == k
            and 0 <= start <= stop <= n
            and 2 <= c <= MAX_CLASSES
            and (transposed or (k <= MAX_FEATURES and _vector(intercept, np.float32, c)))
            and _vector(sums, np.float32, rows)
            and (second is None or _vector(second, np.float32, rows))
            and (skip is None or _vector(skip, np.bool_, rows))
            and (hi is None or _vector(hi, np.float64, rows))
        ):
            raise ValueError("bit_sums: arrays of the wrong type, shape or layout")
        status = function(
            X.ctypes.data,
            n,
            k,
            int(transposed),
            w.ctypes.data,
            None if intercept is None else intercept.ctypes.data,
            c,
            start,
            stop,
            sums.ctypes.data,
            None if second is None else second.ctypes.data,
            None if skip is None else skip.ctypes.data,
            neg_lower,
            c_hi,
            None if hi is None else hi.ctypes.data,
        )
        if status != 0:
            raise ValueError("bit_sums: the kernel refused its arguments")

    return bit_sums


def numpy_bit_sums(
    XT: np.ndarray, w: np.ndarray, start: int, stop: int
) -> tuple[np.ndarray, np.ndarray]:
    """What the kernel computes, in numpy passes as ``bitexp`` makes them: the sums and
    second largest terms of rows ``start:stop``, float32 (for checks)."""
    d = np.matmul(w, XT[:, start:stop])
    work = (np.empty(d.shape, dtype=np.int32), np.zeros(d.shape[1], dtype=np.float32))
    sums, second = bit_sums_block(d, work, with_second=True)
    assert second is not None
    return sums, second


def _agrees_with_numpy(function: BitSums) -> bool:
    """A fixed check of the loaded kernel against the numpy passes: its decisions may be
    summed in another order, so its sums may differ in the last bits, never by more."""
    rng = np.random.default_rng(0)
    rows, features, classes = 517, 9, 7  # not a whole number of the kernel's lanes
    XT = np.ones((features + 1, rows), dtype=np.float32)
    XT[:-1] = rng.normal(size=(features, rows))
    w = (rng.normal(size=(classes, features + 1)) * SCALE).astype(np.float32)
    sums, second = np.empty(rows, np.float32), np.empty(rows, np.float32)
    skip, hi = rng.random(rows) < 0.3, np.empty(rows)
    try:
        function(XT, w, 0, rows, sums, second, (skip, hi, -1.5, 1.25))
    except (ValueError, OSError):
        return False
    want_sums, want_second = numpy_bit_sums(XT, w, 0, rows)
    want_sums[skip] = 0.0
    with np.errstate(divide="ignore"):
        want_hi = -1.5 / want_sums.astype(np.float64) + 1.25
        own_hi = -1.5 / sums.astype(np.float64) + 1.25
    return bool(
        np.allclose(sums, want_sums, rtol=1e-4, atol=0)
        and np.allclose(second, want_second, rtol=1e-4, atol=0)
        and np.allclose(hi, want_hi, rtol=1e-4, atol=0)
        and np.array_equal(hi, own_hi)
    )
