"""A ranking's largest key and the rows holding it, gathered while the pool is keyed.

A query of one row takes the ranking's largest key, ties broken by a seeded draw
(``strategies.select_top_k``): two passes over the pool-sized ranking once it is written,
0.5 ms of a step on 1,000,000 float64 keys, which by then have left the cache. Each
chunk's largest key is found while the chunk is still in cache instead
(``KeyTopFinder``), and a query reads only the rows that hold it (``pick_top``): the
same row as ``select_top_k``, ties and all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from al_core.learning.strategies import RandomState, pick_tie


@dataclass(frozen=True, eq=False)
class KeyTop:
    """The largest key of a ranking and every row holding it."""

    value: float
    rows: np.ndarray
    """shape (n_ties,), int64, ascending."""


class KeyTopFinder:
    """The largest key seen so far and its rows, one part of the ranking at a time.

    None comes out (``result``) where a key is NaN (``select_top_k`` then ranks NaN
    lowest, which its own passes handle), or where every key is ``-inf``.
    """

    def __init__(self) -> None:
        self._value: float = -np.inf
        self._rows: list[np.ndarray] = []
        self._nan = False

    def add_block(self, keys: np.ndarray, start: int) -> None:
        """Take in the keys of rows ``start:start + len(keys)``."""
        self._take(keys, lambda at: at + start)

    def add_rows(self, keys: np.ndarray, rows: np.ndarray) -> None:
        """Take in the keys of the ascending rows ``rows`` (every other row's key lies
        below them)."""
        self._take(keys, lambda at: rows[at])

    def _take(self, keys: np.ndarray, rows_of: Callable[[np.ndarray], np.ndarray]) -> None:
        """``rows_of`` maps positions in ``keys`` to the rows they key."""
        if not keys.size:
            return
        top = keys.max()
        if np.isnan(top):
            self._nan = True
        elif top > -np.inf and top >= self._value:
            at = rows_of(np.flatnonzero(keys == top))
            if top > self._value:
                self._value, self._rows = top, [at]
            else:
                self._rows.append(at)

    def result(self, rank: np.ndarray) -> KeyTop | None:
        """The largest key of ``rank`` and its rows, given every part was taken in;
        rows keyed ``-inf`` since (blocked) are left out, and None if that leaves none."""
        if self._nan or not self._rows:
            return None
        rows = np.concatenate(self._rows).astype(np.int64, copy=False)
        # Keys are only ever lowered to -inf after being taken in (blocked rows), so
        # the rows still at the value hold the largest key, if any do.
        rows = rows[rank[rows] == self._value]
        return KeyTop(self._value, rows) if rows.size else None


def pick_top(top: KeyTop, held: np.ndarray, random_state: RandomState) -> np.ndarray | None:
    """The row ``select_top_k(rank, 1, random_state)`` picks once the rows ``held`` are
    keyed ``-inf``, shape (1,); None when every row holding the largest key is held
    (the largest key of the rest is unknown here)."""
    ties = top.rows if held.size == 0 else top.rows[~np.isin(top.rows, held)]
    return pick_tie(ties, random_state) if ties.size else None
