"""The simulated oracle: run a session where ground truth answers every query.

This is the tutorial's experiment as a reproducible mode of the engine; with the
default ``SessionConfig`` on the ``tutorial`` dataset it gives the reference's
trajectory (0.88 with 90 labels to 0.91 with 110) query for query.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sklearn.base import ClassifierMixin

from al_core.data.datasets import Dataset
from al_core.errors import ConfigError, DatasetError
from al_core.learning.config import SessionConfig
from al_core.learning.history import HistoryPoint, learning_curve
from al_core.learning.session import LabelingSession
from al_core.learning.stopping import stopping_advice


@dataclass(frozen=True)
class SimulationResult:
    """What one simulated run produced.

    Attributes
    ----------
    n_labeled, accuracy : list, length n_retrains + 1
        The learning curve, the first entry being the baseline before any query.
    queried : list of int
        Row ids in the order they were queried.
    uncertainty : list of float
        Each queried row's score when it was chosen.
    history : list of HistoryPoint
    stop_at : int or None
        Labels given when the stopping advice first said "stop" (see ``stopping``).
    stop_reason : str
        The advice's sentence at the end of the run.
    """

    n_labeled: list[int]
    accuracy: list[float | None]
    queried: list[int]
    uncertainty: list[float]
    history: list[HistoryPoint]
    stop_at: int | None = None
    stop_reason: str = ""

    def as_dict(self) -> dict:
        return {
            "n_labeled": self.n_labeled,
            "accuracy": self.accuracy,
            "queried": self.queried,
            "uncertainty": self.uncertainty,
            "stop_at": self.stop_at,
            "stop_reason": self.stop_reason,
        }


def require_oracle(dataset: Dataset) -> np.ndarray:
    """Ground truth of every row, or ``DatasetError`` if any label is missing."""
    if not dataset.fully_labeled:
        raise DatasetError(
            f"dataset {dataset.name!r} does not have a label for every row; a simulation "
            "needs one (name the label column, e.g. --label-column)"
        )
    assert dataset.y is not None  # fully_labeled implies it
    return dataset.y


def simulate(
    dataset: Dataset,
    config: SessionConfig | None = None,
    queries: int | None = None,
    estimator: ClassifierMixin | None = None,
    on_step: Callable[[HistoryPoint], None] | None = None,
) -> SimulationResult:
    """Run active learning with the ground truth as the oracle.

    Parameters
    ----------
    dataset : Dataset
        Must be fully labeled.
    config : SessionConfig
    queries : int, optional
        Number of queries (each of ``config.batch_size`` rows); default the budget.
    estimator : classifier, optional
        Overrides ``config.model``.
    on_step : callable, optional
        Called with each new history point (progress reporting).

    Raises
    ------
    DatasetError
        If the dataset has rows without a label.
    ConfigError
        If the queries would need more rows than the pool holds.
    """
    config = config or SessionConfig()
    y = require_oracle(dataset)
    session = LabelingSession(dataset, config, estimator)
    queries = config.budget if queries is None else queries
    if queries is None:
        queries = session.n_unlabeled // config.batch_size
    if queries * config.batch_size > session.n_unlabeled:
        raise ConfigError(
            f"{queries} queries of {config.batch_size} need {queries * config.batch_size} rows "
            f"but the pool has {session.n_unlabeled}; lower the budget"
        )
    queried: list[int] = []
    uncertainty: list[float] = []
    for _ in range(queries):
        q = session.query()
        point = session.label_many(q.ids, y[q.ids])
        queried.extend(int(i) for i in q.ids)
        uncertainty.extend(float(s) for s in q.scores)
        if on_step is not None and point is not None:
            on_step(point)
    n_labeled, accuracy = learning_curve(session.history)
    advice = stopping_advice(session.history, session.n_evaluated)
    return SimulationResult(
        n_labeled=n_labeled,
        accuracy=accuracy,
        queried=queried,
        uncertainty=uncertainty,
        history=list(session.history),
        stop_at=advice.stop_at,
        stop_reason=advice.reason,
    )
