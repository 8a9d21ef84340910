"""What a query returns, and the names of the session's phases and kinds of step.

The ``Literal`` types name every value a phase, a query or a history point can take,
so a type checker catches a misspelt kind.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

import numpy as np

Phase = Literal["test", "learn", "done"]
TEST: Final = "test"
"""Phase: a person labels the held-out test set first (data without full labels)."""
LEARN: Final = "learn"
"""Phase: active learning."""
DONE: Final = "done"
"""Phase: the budget or the pool is used up."""

QueryKind = Literal["test", "cold_start", "strategy", "overlap"]
"""Why rows were proposed: the test set, coverage before a model exists, the strategy,
or a second, blind label of a row someone labeled already (to measure agreement)."""

HistoryKind = Literal["initial", "cold_start", "strategy", "adjudicate"]
"""What made a learning-curve point: the starting set, labels of a query of that kind,
or a reviewer's decision that changed a label."""


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
    kind : QueryKind
    strategy : str
    model_version : int
        Number of training labels of the model that scored the rows (-1: no model).
    """

    ids: np.ndarray
    scores: np.ndarray
    kind: QueryKind
    strategy: str
    model_version: int
