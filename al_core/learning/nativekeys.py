"""A two-class pool's keys in one compiled pass (``native/rowkeys.c``), where a C compiler is.

A two-class plain logistic regression keys each row ``-|w . x + b|``. Through numpy that
is OpenBLAS's matrix-vector product over the float64 pool, which reads 100,000 rows of
20 features in 0.6-0.8 ms after a fit (a sum reads them in 0.4), then passes for the
intercept, the magnitude and the largest key. The kernel reads the pool's float32 copy
in tiles of 16 rows (``screenpool.row_tiles``: half the bytes, read as one stream) and
does all of it in one pass, gathering on the way the few rows whose keys may be among
the largest, so that nothing need pass over the keys again: 0.5 ms at 100,000 rows and
4.4 ms at 1,000,000 inside a session, against 0.6 and 6.0 for a float64 kernel of the
same pass (``/tmp`` timing, stop 37, from a transposed copy; tiles read it once out of
the cache in 0.45-0.48 ms against 0.61-0.65, stop 38).

Its decisions are float32 sums, so its keys may differ from the exact ones:
``binaryscreen`` bounds that difference and gives the rows that can be queried their
exact keys from BLAS. Built and loaded by ``nativebuild``; None where it cannot be
built or disagrees with numpy on a fixed check.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable
from pathlib import Path

import numpy as np

from al_core.learning import nativebuild
from al_core.learning.nativebuild import is_vector
from al_core.learning.roundoff import U32
from al_core.learning.screenpool import TILE_ROWS, tile_rows

SOURCE = nativebuild.NATIVE_DIR / "rowkeys.c"

RowKeys = Callable[..., "tuple[np.ndarray, np.ndarray] | None"]

_loaded: dict[Path, RowKeys | None] = {}


def kernel() -> RowKeys | None:
    """The compiled ``row_keys(tiles, w, skip, keys, top, margin)``, built or loaded
    on first call; None where it is turned off or cannot be built.

    The function writes ``keys = -|X @ w[:-1] + w[-1]|`` (float64; ``-inf`` where
    ``skip``), the products summed in float32, for a pool ``X`` kept as
    ``tiles = screenpool.tile_rows(X)`` of shape (ceil(n_samples / 16), n_features, 16),
    float32, C-contiguous, weights ``w`` of shape (n_features + 1,), float32, the
    intercept last, and ``skip`` and ``keys`` of shape
    (n_samples,) (bool or None; float64): ``keys`` says how many rows there are. It
    returns ``(rows, gathered)``: ascending rows
    (int64) and their keys, holding every row not skipped whose key is at least
    ``T - margin``, with ``T`` the ``top``-th largest key of the rows not skipped (that
    subtraction rounded as float64 rounds it), every NaN key, and maybe more; or None
    where more rows are within ``margin`` of ``T`` than the kernel keeps room for
    (thousands of ties).
    """
    return nativebuild.load_once(_loaded, SOURCE, _wrap, _agrees_with_numpy)


def _wrap(library: ctypes.CDLL) -> RowKeys:
    function = library.row_keys_t
    pointer, size, real = ctypes.c_void_p, ctypes.c_int64, ctypes.c_double
    function.argtypes = [pointer, size, size, pointer, pointer, pointer, size, real]
    function.argtypes += [pointer, pointer, pointer, size]
    function.restype = ctypes.c_int64

    def row_keys(
        tiles: np.ndarray,
        w: np.ndarray,
        skip: np.ndarray | None,
        keys: np.ndarray,
        top: int,
        margin: float,
    ) -> tuple[np.ndarray, np.ndarray] | None:
        # The C code reads raw memory: every shape and layout is checked here.
        n = keys.shape[0] if keys.ndim == 1 else -1
        groups, k, width = tiles.shape if tiles.ndim == 3 else (0, 0, 0)
        if not (
            tiles.dtype == np.float32
            and tiles.flags.c_contiguous
            and width == TILE_ROWS
            and groups == -(-n // TILE_ROWS)
            and is_vector(w, np.float32, k + 1)
            and (skip is None or is_vector(skip, np.bool_, n))
            and is_vector(keys, np.float64, n)
            and top >= 1
            and margin >= 0.0
        ):
            raise ValueError("row_keys: arrays of the wrong type, shape or layout")
        cap = max(16 * top, 1_024)
        gathered, rows, scratch = np.empty(cap), np.empty(cap, dtype=np.int64), np.empty(cap)
        count = function(
            tiles.ctypes.data,
            n,
            k,
            w.ctypes.data,
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
    """A fixed check of the loaded kernel against numpy: its keys within float32's
    rounding of the decisions, ``-inf`` where skipped, and every row near the top
    gathered, in order."""
    rng = np.random.default_rng(0)
    rows, features, top, margin = 1_037, 13, 9, 0.05  # not a whole number of lanes
    X = rng.normal(size=(rows, features)).astype(np.float32)
    w = rng.normal(size=features + 1).astype(np.float32)
    skip, keys = rng.random(rows) < 0.3, np.empty(rows)
    try:
        found = function(tile_rows(X), w, skip, keys, top, margin)
    except (ValueError, OSError):
        return False
    if found is None:
        return False
    X64 = np.hstack([X.astype(np.float64), np.ones((rows, 1))])
    w64 = w.astype(np.float64)
    want = -np.abs(X64 @ w64)
    bound = (features + 2) * U32 * (np.abs(X64) @ np.abs(w64))
    want[skip], bound[skip] = -np.inf, 0.0
    # What is gathered is decided on the kernel's own keys (checked against numpy's).
    floor = np.sort(keys[~skip])[-top] - margin
    near = np.flatnonzero(~skip & (keys >= floor))
    gathered_rows, gathered_keys = found
    return bool(
        np.all(np.abs(keys[~skip] - want[~skip]) <= bound[~skip])
        and np.all(keys[skip] == -np.inf)
        and np.all(np.diff(gathered_rows) > 0)
        and np.isin(near, gathered_rows).all()
        and np.array_equal(gathered_keys, keys[gathered_rows])
    )
