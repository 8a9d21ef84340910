"""Settings of a labeling session, with the tutorial's values as defaults."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from al_core.data.splits import check_fraction
from al_core.errors import ConfigError
from al_core.learning.models import make_model
from al_core.learning.overlap import check_overlap
from al_core.learning.strategies import check_strategy


@dataclass(frozen=True)
class SessionConfig:
    """Settings of a session; the defaults are the tutorial's."""

    strategy: str = "least_confidence"
    model: str = "logistic_regression"
    seed: int = 42
    test_size: float = 0.10
    initial_fraction: float = 0.10
    batch_size: int = 1
    budget: int | None = 20
    n_test_to_label: int = 50
    chunk_rows: int = 65_536
    query_seed: int | None = None
    """Seeds tie-breaks, random picks and cold starts; None: use ``seed``. Setting it
    alone varies the queries while keeping the split (random baselines)."""
    overlap: float = 0.0
    """Share of the rows people label that a second person also labels, blind, to
    measure agreement (see ``learning.overlap``); 0: none."""

    def __post_init__(self) -> None:
        check_strategy(self.strategy)
        make_model(self.model, self.seed)  # raises ConfigError on an unknown name
        check_fraction("test_size", self.test_size)
        check_fraction("initial_fraction", self.initial_fraction)
        if self.batch_size < 1:
            raise ConfigError(f"batch_size must be at least 1, got {self.batch_size}")
        if self.budget is not None and self.budget < 1:
            raise ConfigError(f"budget must be at least 1, got {self.budget}")
        if self.n_test_to_label < 1:
            raise ConfigError(f"n_test_to_label must be at least 1, got {self.n_test_to_label}")
        if self.chunk_rows < 1:
            raise ConfigError("chunk_rows must be at least 1")
        check_overlap(self.overlap)


DEMO_START_PER_CLASS = 2
"""A demo project starts from this many labeled rows per class (or 2 % of the pool)."""


def demo_config(n_pool: int, n_classes: int, base: SessionConfig | None = None) -> SessionConfig:
    """Settings that show active learning's rise: a small start and a budget to match.

    Starting with 10 % of a pool labeled (the tutorial's setting) often starts on the
    plateau, where no strategy can show a gain. Here the start is ``DEMO_START_PER_CLASS``
    rows per class or 2 % of the pool, whichever is larger, and the budget 20 labels per
    class (at least 60), enough for the curve to level off on the bundled datasets.
    """
    base = base or SessionConfig()
    start = max(DEMO_START_PER_CLASS * n_classes, math.ceil(0.02 * n_pool))
    fraction = min(start / max(n_pool, 1), 0.9)
    return replace(base, initial_fraction=round(fraction, 4), budget=max(60, 20 * n_classes))
