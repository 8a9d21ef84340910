"""Which labeled rows also go to a second, blind annotator (Prodigy's "feed overlap").

A row is an overlap row or not for good: the choice is a hash of the project's seed and
the row id, so it needs no storage, is the same in every process and on every replay,
and picks ``fraction`` of the rows in the long run, independently of their order.
"""

from __future__ import annotations

from al_core.errors import ConfigError

_MASK = (1 << 64) - 1


def _splitmix64(x: int) -> int:
    # The finaliser of SplitMix64: a full-avalanche 64-bit mix, so neighbouring row ids
    # (and neighbouring seeds) give unrelated draws.
    x = (x + 0x9E3779B97F4A7C15) & _MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK
    return x ^ (x >> 31)


def overlap_draw(row_id: int, seed: int) -> float:
    """A uniform number in [0, 1) fixed by ``seed`` and the row."""
    return _splitmix64(_splitmix64(int(seed) & _MASK) ^ int(row_id)) / 2.0**64


def is_overlap_row(row_id: int, fraction: float, seed: int) -> bool:
    """True if the row, once labeled, is also shown to a second annotator."""
    return fraction > 0 and overlap_draw(row_id, seed) < fraction


def check_overlap(fraction: float) -> None:
    """Raise ``ConfigError`` unless ``fraction`` is a share from 0 to 1."""
    if isinstance(fraction, bool) or not isinstance(fraction, int | float):
        raise ConfigError(f"overlap is a share of rows from 0 to 1, not {fraction!r}")
    if not 0 <= fraction <= 1:
        raise ConfigError(
            f"overlap must be from 0 (no row labeled twice) to 1 (every row), got {fraction}"
        )
