"""The pool as the screen reads it: float32 rows and each feature's largest magnitude.

Made once per pool on first use and kept while the pool lives (``_per_pool``): several
sessions share one pool, and a float64 pool's transposed float32 copy costs half its
bytes, so it is made once for all and dropped with the pool. ``screening`` keys the
rows from it; the two-class pass of ``binaryscreen`` from the rows quantized to int16
in tiles of 16 (``row_tiles``), which a pool makes instead.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from al_core.learning.rowtiles import RowTiles, tile_rows

SCREEN_MIN_ROWS = 32_768
"""Smallest pool screened: below it the exact scores cost about a millisecond."""

SCREEN_BLOCK_ROWS = 16_384
"""Rows of a block of the screen's float32 pass (640 KB of float32 at 10 classes)."""


@dataclass(frozen=True, eq=False)
class ScreenPool:
    """What the screen reads of a pool: its float32 rows and features' largest magnitudes."""

    XT32: np.ndarray | None
    """shape (n_features + 1, n_samples), float32, C-contiguous: a float64 pool
    transposed, and a row of ones, so that one product gives the decision, intercept
    and all, class-major (the screen of 100,000 rows of 10 classes took 0.95x-0.97x as
    long as from the same rows stored row by row: ``/tmp`` timing, 2026-11-23). None for
    a float32 pool, which is read as it is (a copy would double its memory)."""
    col_max: np.ndarray
    """shape (n_features,), float64: ``max |X[:, j]|``."""

    def columns(self, X: np.ndarray, start: int, stop: int) -> np.ndarray:
        """Rows ``start:stop`` of the pool ``X`` this was made from, float32, as
        columns: shape (n_features (+ 1 for a float64 pool's row of ones), m)."""
        return X[start:stop].T if self.XT32 is None else self.XT32[:, start:stop]


_kept: dict[tuple[int, str], object] = {}
_lock = threading.RLock()  # re-entered: the float32 copy asks for col_max


def _per_pool(X: np.ndarray, kind: str, make):
    """``make(X)``, made on first use and kept while ``X`` lives: several sessions share
    one pool, and what is made of it is made once for all and dropped with it."""
    key = (id(X), kind)
    with _lock:
        if key not in _kept:
            _kept[key] = make(X)
            weakref.finalize(X, _kept.pop, key, None)
        return _kept[key]


def pool_col_max(X: np.ndarray) -> np.ndarray | None:
    """``max |X[:, j]|`` of a dense pool, shape (n_features,), float64, kept while ``X``
    lives; None where some value is not finite. The pool must not change afterwards (a
    session's never does)."""
    return _per_pool(X, "col_max", _col_max)


def _col_max(X: np.ndarray) -> np.ndarray | None:
    col_max = np.zeros(X.shape[1])
    for start in range(0, X.shape[0], SCREEN_BLOCK_ROWS):
        # In blocks: np.abs of the whole pool would be a second pool in memory.
        np.maximum(col_max, np.abs(X[start : start + SCREEN_BLOCK_ROWS]).max(axis=0), out=col_max)
    return col_max if np.isfinite(col_max).all() else None


def screen_pool(X: object) -> ScreenPool | None:
    """What the screen reads of ``X``, made on first use and kept while ``X`` lives (for
    a float64 pool, a transposed float32 copy).

    None for a pool that is not screened: not a C-contiguous float64 or float32
    ndarray, fewer than ``SCREEN_MIN_ROWS`` rows, or values that are not all finite. The
    pool must not change afterwards (a session's never does).
    """
    if screen_pool_kind(X) is None:
        return None
    return _per_pool(X, "screen", _make_screen_pool)  # type: ignore[arg-type]


def screen_pool_kind(X: object) -> np.dtype | None:
    """The float type of a pool the screens read (a C-contiguous float64 or float32
    ndarray of at least ``SCREEN_MIN_ROWS`` rows), else None."""
    if not (
        isinstance(X, np.ndarray)
        and X.ndim == 2
        and X.dtype in (np.float64, np.float32)
        and X.flags.c_contiguous
        and X.shape[0] >= SCREEN_MIN_ROWS
    ):
        return None
    return X.dtype


def _make_screen_pool(X: np.ndarray) -> ScreenPool | None:
    col_max = pool_col_max(X)
    if col_max is None:
        return None
    if X.dtype == np.float32:
        return ScreenPool(None, col_max)
    XT32 = np.empty((X.shape[1] + 1, X.shape[0]), dtype=np.float32)
    for start in range(0, X.shape[0], SCREEN_BLOCK_ROWS):
        # In blocks: the transposing copy's reads stay in cache.
        XT32[:-1, start : start + SCREEN_BLOCK_ROWS] = X[start : start + SCREEN_BLOCK_ROWS].T
    XT32[-1] = 1.0
    return ScreenPool(XT32, col_max)


def row_tiles(X: object) -> RowTiles | None:
    """A float64 pool quantized to int16 in tiles of 16 rows (``rowtiles.tile_rows``),
    made on first use and kept while ``X`` lives; None where ``screen_pool`` would not
    screen ``X`` or ``X`` is float32 (read as it is). The pool must not change
    afterwards.

    The two-class kernel (``nativekeys``) reads these rather than ``ScreenPool.XT32``:
    a pass over a transposed copy reads as many streams as the pool has features, which
    the hardware's prefetcher does not follow once the copy has left the cache (100,000
    rows of 20 features: 0.61-0.65 ms, against 0.45-0.48 from float32 tiles read one
    after the other, stop 38, and 0.33 from int16 ones, stop 39; ``/tmp`` timing after
    a 64 MB write). A pool keyed by a two-class model never has its ``XT32`` made, so it
    holds one copy, of a quarter of its bytes.
    """
    if screen_pool_kind(X) != np.float64 or pool_col_max(X) is None:  # type: ignore[arg-type]
        return None
    return _per_pool(X, "tiles", tile_rows)  # type: ignore[arg-type]


def blocked_rows_mask(n: int, blocked: Sequence[np.ndarray], mask: np.ndarray | None) -> np.ndarray:
    """``mask`` where given (the same rows as ``blocked``, kept by the caller), else a new
    mask of the rows of ``blocked``, shape (n,)."""
    if mask is not None:
        return mask
    taken = np.zeros(n, dtype=bool)
    for rows in blocked:
        taken[rows] = True
    return taken
