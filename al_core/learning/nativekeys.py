"""A two-class pool's keys in one compiled pass (``native/rowkeys.c``), where a C compiler is.

A two-class plain logistic regression keys each row ``-|w . x + b|``. Through numpy that
is OpenBLAS's matrix-vector product over the float64 pool, which reads 100,000 rows of
20 features in 0.6-0.8 ms after a fit (a sum reads them in 0.4), then passes for the
intercept, the magnitude and the largest key. The kernel reads the pool quantized to
int16 in tiles of 16 rows (``screenpool.row_tiles``: a quarter of the bytes, read as one
stream) and does all of it in one pass, gathering on the way the few rows whose keys may
be among the largest, so that nothing need pass over the keys again. Read once out of
the cache at 100,000 rows: 0.61-0.65 ms from a float32 transposed copy (stop 37),
0.41-0.45 from float32 tiles (stop 38), 0.33 from int16 tiles (stop 39; ``/tmp``
timing after a 64 MB write). With AVX-512 each tile's feature is converted to float32 in
one instruction since stop 41 (GCC had lowered the generic conversion in halves joined
by shuffles): 0.12 ms in cache against 0.21, 0.20-0.22 inside a step against 0.26.

Its decisions are float32 sums over quantized rows, so its keys may differ from the
exact ones: ``binaryscreen`` bounds that difference (``RowTiles.decision_error``) and
gives the rows that can be queried their exact keys from BLAS. Built and loaded by
``nativebuild``; None where it cannot be built or disagrees with numpy on a fixed check.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable
from pathlib import Path

import numpy as np

from al_core.learning import nativebuild
from al_core.learning.nativebuild import is_vector
from al_core.learning.roundoff import U32
from al_core.learning.rowtiles import QMAX, TILE_ROWS, tile

SOURCE = nativebuild.NATIVE_DIR / "rowkeys.c"

RowKeys = Callable[..., "tuple[np.ndarray, np.ndarray] | None"]

_loaded: dict[Path, RowKeys | None] = {}


def kernel() -> RowKeys | None:
    """The compiled ``row_keys(tiles, w, c, skip, keys, top, margin)``, built or
    loaded on first call; None where it is turned off or cannot be built.

    The function writes ``keys = -|Q @ w + c|`` (float64; ``-inf`` where ``skip``), the
    products summed in float32 and ``c`` added in float64, for integer rows ``Q`` kept
    as ``tiles = rowtiles.tile(Q)`` of shape (ceil(n_samples / 16), n_features, 16),
    int16, C-contiguous, weights ``w`` of shape (n_features,), float32, a float ``c``,
    and ``skip`` and ``keys`` of shape (n_samples,) (bool or None; float64): ``keys``
    says how many rows there are. It returns ``(rows, gathered)``: ascending rows
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
    function.argtypes = [pointer, size, size, pointer, real, pointer, pointer, size, real]
    function.argtypes += [pointer, pointer, pointer, size]
    function.restype = ctypes.c_int64

    def row_keys(
        tiles: np.ndarray,
        w: np.ndarray,
        c: float,
        skip: np.ndarray | None,
        keys: np.ndarray,
        top: int,
        margin: float,
    ) -> tuple[np.ndarray, np.ndarray] | None:
        # The C code reads raw memory: every shape and layout is checked here.
        n = keys.shape[0] if keys.ndim == 1 else -1
        groups, k, width = tiles.shape if tiles.ndim == 3 else (0, 0, 0)
        if not (
            tiles.dtype == np.int16
            and tiles.flags.c_contiguous
            and width == TILE_ROWS
            and groups == -(-n // TILE_ROWS)
            and is_vector(w, np.float32, k)
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
            float(c),
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
    Q = rng.integers(-QMAX, QMAX + 1, size=(rows, features))
    w, c = (rng.normal(size=features) / QMAX).astype(np.float32), 0.3
    skip, keys = rng.random(rows) < 0.3, np.empty(rows)
    try:
        found = function(tile(Q), w, c, skip, keys, top, margin)
    except (ValueError, OSError):
        return False
    if found is None:
        return False
    products = np.abs(Q) @ np.abs(w.astype(np.float64))
    want = -np.abs(Q @ w.astype(np.float64) + c)
    bound = (features + 2) * U32 * products
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
