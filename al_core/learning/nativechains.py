"""Products of a few gathered rows as chains of fused multiply-adds (``native/chains.c``).

A screen needs the exact decisions of its hundred or so candidates, rounded as the
exact path's chunk products ``X @ coef.T`` round them. ``gathered`` gets them from
products of gathered rows padded to as many rows as make BLAS pick its chunks' kernel:
on the AVX-512 machine 8,192 rows of 20 features and 10 classes for a float64 pool,
0.28 ms inside a step for about 140 rows, almost all of it padding. OpenBLAS's
matrix-matrix kernels there sum each element of a product as one chain of fused
multiply-adds from zero, the features in order; so the candidates' own chains give the
very same values in microseconds. Whether BLAS sums so on the machine at hand is
checked on random values of the shapes at hand before a screen relies on it
(``gathered.fma_chains_match``); where it does not, the gathered products stay.

Built and loaded by ``nativebuild``; None where it cannot be built or fails a fixed
check of its fused roundings.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable
from pathlib import Path

import numpy as np

from al_core.learning import nativebuild

SOURCE = nativebuild.NATIVE_DIR / "chains.c"

Chains = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]

_loaded: dict[Path, Chains | None] = {}


def kernel() -> Chains | None:
    """The compiled ``fma_products(X, ids, B)``, built or loaded on first call; None
    where it is turned off or cannot be built.

    The function returns ``P`` of shape (len(ids), n_classes), X's float type, with
    ``P[r, c]`` the chain ``fma(X[i, K-1], B[K-1, c], ... fma(X[i, 0], B[0, c], 0))``
    for ``i = ids[r]``: ``X`` of shape (n_samples, K) and ``B`` of shape (K,
    n_classes), both C-contiguous, float64 or float32 alike, ``ids`` int64 rows of X.
    """
    return nativebuild.load_once(_loaded, SOURCE, _wrap, _fuses_each_step)


def _wrap(library: ctypes.CDLL) -> Chains:
    pointer, size = ctypes.c_void_p, ctypes.c_int64
    functions = {}
    for dtype, name in ((np.float64, "chains64"), (np.float32, "chains32")):
        function = getattr(library, name)
        function.argtypes = [pointer, size, pointer, size, pointer, size, pointer]
        function.restype = None
        functions[np.dtype(dtype)] = function

    def fma_products(X: np.ndarray, ids: np.ndarray, B: np.ndarray) -> np.ndarray:
        # The C code reads raw memory: every shape, layout and row is checked here.
        if not (
            X.ndim == 2
            and B.ndim == 2
            and X.dtype in functions
            and B.dtype == X.dtype
            and X.flags.c_contiguous
            and B.flags.c_contiguous
            and B.shape[0] == X.shape[1]
            and nativebuild.is_vector(ids, np.int64, ids.size)
            and (ids.size == 0 or (ids.min() >= 0 and ids.max() < X.shape[0]))
        ):
            raise ValueError("fma_products: arrays of the wrong type, shape or layout")
        out = np.empty((ids.size, B.shape[1]), dtype=X.dtype)
        functions[X.dtype](
            X.ctypes.data,
            X.shape[1],
            ids.ctypes.data,
            ids.size,
            B.ctypes.data,
            B.shape[1],
            out.ctypes.data,
        )
        return out

    return fma_products


def _fuses_each_step(function: Chains) -> bool:
    """A fixed check of the loaded kernel: rows picked by index, features in order, and
    each step one rounding. The last step of row 0 is ``(1 + e)(1 - e) - 1 = -e**2``
    with ``e**2`` below half an ulp of 1, which a product rounded on its own loses."""
    for dtype, e in ((np.float64, 2.0**-27), (np.float32, 2.0**-13)):
        X = np.array([[1.0, 1.0 + e, 0.0], [2.0, 3.0, 4.0], [0.5, 0.0, 8.0]], dtype=dtype)
        B = np.array([[-1.0, 1.0], [1.0 - e, 2.0], [0.0, -0.25]], dtype=dtype)
        ids = np.array([2, 0, 2, 1], dtype=np.int64)
        want = np.array([[-0.5, -1.5], [-(e**2), 3.0 + 2 * e], [-0.5, -1.5], [1 - 3 * e, 7.0]])
        try:
            got = function(X, ids, B)
        except (ValueError, OSError):
            return False
        if not (got.dtype == dtype and np.array_equal(got, want.astype(dtype))):
            return False
    return True
