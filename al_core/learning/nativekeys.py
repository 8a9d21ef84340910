"""A two-class pool's keys in one compiled pass (``native/rowkeys.c``), where a C compiler is.

A two-class plain logistic regression keys each row ``-|w . x + b|``. Through numpy that
is OpenBLAS's matrix-vector product, which reads a pool of 20 features at about half
the speed of a sum (0.6-0.8 ms for 100,000 rows after a fit, against 0.4 for a sum),
then passes for the intercept, the magnitude and the largest key. The kernel does all of
it in one pass of 8 rows at a time (0.45-0.6 ms, ``/tmp`` timing, stop 37), and gathers
on the way the few rows whose keys may be among the largest, so that nothing else need
pass over the keys again.

Its decisions are summed in another order than BLAS's, so its keys may differ from the
exact ones in the last bits: ``binaryscreen`` bounds that difference and gives the rows
that can be queried their exact keys from BLAS. Built and loaded by ``nativebuild``;
None where it cannot be built or disagrees with numpy on a fixed check.
"""

from __future__ import annotations

import ctypes
import threading
from collections.abc import Callable

import numpy as np

from al_core.learning import nativebuild
from al_core.learning.nativebuild import is_vector
from al_core.learning.roundoff import U64

SOURCE = nativebuild.NATIVE_DIR / "rowkeys.c"
MAX_FEATURES = 4_096
"""Most features the kernel takes (its weights are kept in a fixed array)."""

RowKeys = Callable[..., "tuple[np.ndarray, np.ndarray] | None"]

_lock = threading.Lock()
_loaded: dict[str, RowKeys | None] = {}


def kernel() -> RowKeys | None:
    """The compiled ``row_keys(X, w, b, skip, keys, top, margin)``, built or loaded on
    first call; None where it is turned off or cannot be built.

    The function writes ``keys = -|X @ w + b|`` (``-inf`` where ``skip``) for a pool
    ``X`` of shape (n_samples, n_features), float64, C-contiguous, weights ``w`` of
    shape (n_features,), float64, and ``skip`` (shape (n_samples,), bool, or None). It
    returns ``(rows, gathered)``: ascending rows (int64) and their keys, holding every
    row not skipped whose key is at least ``T - margin``, with ``T`` the ``top``-th
    largest key of the rows not skipped (that subtraction rounded as float64 rounds
    it), every NaN key, and maybe more; or None where more rows are within ``margin``
    of ``T`` than the kernel keeps room for (thousands of ties).
    """
    if not nativebuild.enabled():
        return None
    with _lock:
        if "row_keys" not in _loaded:
            _loaded["row_keys"] = nativebuild.first_checked(SOURCE, _wrap, _agrees_with_numpy)
        return _loaded["row_keys"]


def _wrap(library: ctypes.CDLL) -> RowKeys:
    function = library.row_keys
    pointer, size, real = ctypes.c_void_p, ctypes.c_int64, ctypes.c_double
    function.argtypes = [pointer, size, size, pointer, real, pointer, pointer, size, real]
    function.argtypes += [pointer, pointer, pointer, size]
    function.restype = ctypes.c_int64

    def row_keys(
        X: np.ndarray,
        w: np.ndarray,
        b: float,
        skip: np.ndarray | None,
        keys: np.ndarray,
        top: int,
        margin: float,
    ) -> tuple[np.ndarray, np.ndarray] | None:
        # The C code reads raw memory: every shape and layout is checked here.
        n, k = X.shape
        if not (
            X.dtype == np.float64
            and X.flags.c_contiguous
            and 1 <= k <= MAX_FEATURES
            and is_vector(w, np.float64, k)
            and (skip is None or is_vector(skip, np.bool_, n))
            and is_vector(keys, np.float64, n)
            and top >= 1
            and margin >= 0.0
        ):
            raise ValueError("row_keys: arrays of the wrong type, shape or layout")
        cap = max(16 * top, 4_096)
        gathered, rows, scratch = np.empty(cap), np.empty(cap, dtype=np.int64), np.empty(cap)
        count = function(
            X.ctypes.data,
            n,
            k,
            w.ctypes.data,
            float(b),
            None if skip is None else skip.ctypes.data,
            keys.ctypes.data,
            top,
            float(margin),
            gathered.ctypes.data,
            rows.ctypes.data,
            scratch.ctypes.data,
            cap,
        )
        if count == -2:
            return None
        if count < 0:
            raise ValueError("row_keys: the kernel refused its arguments")
        return rows[:count], gathered[:count]

    return row_keys


def _agrees_with_numpy(function: RowKeys) -> bool:
    """A fixed check of the loaded kernel against numpy: its keys within the rounding
    of two orders of additions, ``-inf`` where skipped, and every row near the top
    gathered, in order."""
    rng = np.random.default_rng(0)
    rows, features, top, margin = 1_037, 13, 9, 0.05  # not a whole number of lanes
    X = rng.normal(size=(rows, features))
    w, b = rng.normal(size=features), 0.25
    skip, keys = rng.random(rows) < 0.3, np.empty(rows)
    try:
        found = function(X, w, b, skip, keys, top, margin)
    except (ValueError, OSError):
        return False
    if found is None:
        return False
    want = -np.abs(X @ w + b)
    bound = 4 * (features + 2) * U64 * (np.abs(X) @ np.abs(w) + abs(b))
    want[skip], bound[skip] = -np.inf, 0.0
    free = want[~skip]
    floor = np.sort(free)[-top] - 2 * margin
    near = np.flatnonzero(~skip & (want >= floor))
    gathered_rows, gathered_keys = found
    return bool(
        np.all(np.abs(keys[~skip] - want[~skip]) <= bound[~skip])
        and np.all(keys[skip] == -np.inf)
        and np.all(np.diff(gathered_rows) > 0)
        and np.isin(near, gathered_rows).all()
        and np.array_equal(gathered_keys, keys[gathered_rows])
    )
