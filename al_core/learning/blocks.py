"""Passes over a whole pool a block of rows at a time, so no pool-sized temporary is made.

On a pool of millions of rows a boolean temporary is megabytes, and made at every label
it is what made a server grow: each heap keeps the freed ones for its thread.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

BLOCK_ROWS = 1 << 18
"""Rows per block: a quarter of a megabyte of booleans, below the size from which a
server maps blocks on their own (``al_core.allocator.MAP_FROM``), so that the heap
reuses the block's temporaries instead of faulting in fresh pages at every label."""


def flatnonzero_by_block(
    n_rows: int, block_mask: Callable[[slice], np.ndarray], block_rows: int | None = None
) -> np.ndarray:
    """``np.flatnonzero`` of a pool-sized mask made one block at a time.

    Parameters
    ----------
    n_rows : int
    block_mask : callable
        Given ``slice(start, stop)``, the mask's rows ``start:stop``, shape (stop - start,).
    block_rows : int, optional
        Rows per block (default ``BLOCK_ROWS``, read at call time).

    Returns
    -------
    ids : ndarray of shape (n_nonzero,), int64
        Ascending.
    """
    block = BLOCK_ROWS if block_rows is None else block_rows
    if n_rows <= block:
        return np.flatnonzero(block_mask(slice(0, n_rows))).astype(np.int64, copy=False)
    parts = [
        np.flatnonzero(block_mask(slice(start, start + block))) + start
        for start in range(0, n_rows, block)
    ]
    return np.concatenate(parts).astype(np.int64, copy=False)
