"""Settings of a labeling session, its phases, and what a query returns."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import ConfigError
from .models import make_model
from .splits import check_fraction
from .strategies import check_strategy

TEST, LEARN, DONE = "test", "learn", "done"
"""Session phases: labeling the test set, active learning, budget or pool used up."""


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


@dataclass(frozen=True)
class Query:
    """Rows proposed for labeling, most useful first.

    Attributes
    ----------
    ids : ndarray of shape (k,)
        Row ids (positions in the dataset).
    scores : ndarray of shape (k,)
        Uncertainty under ``strategy``; for a cold start the distance to the nearest
        labeled row; NaN for random and test-set rows.
    kind : {"test", "cold_start", "strategy"}
    strategy : str
    model_version : int
        Number of training labels of the model that scored the rows (-1: no model).
    """

    ids: np.ndarray
    scores: np.ndarray
    kind: str
    strategy: str
    model_version: int
