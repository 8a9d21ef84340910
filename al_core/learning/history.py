"""The learning curve: one point per retrain, with what was labeled and how long it took."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from al_core.learning.query import HistoryKind


@dataclass(frozen=True)
class HistoryPoint:
    """The state right after one retrain.

    Attributes
    ----------
    n_labeled : int
        Training labels the model was fitted on.
    accuracy : float or None
        Held-out test accuracy; None when no model could be fitted (cold start).
    queried_ids : tuple of int
        Rows whose labels caused this retrain (empty for the initial point).
    scores : tuple of float
        Their uncertainty when they were chosen (NaN where none applies).
    labels : tuple of int
        The class indices they were given.
    strategy : str
    kind : {"initial", "strategy", "cold_start", "adjudicate"}
        ``cold_start``: no model existed, rows were picked for diversity.
        ``adjudicate``: a reviewer changed the label of ``queried_ids`` (same count).
    fit_ms, query_ms : float
        Time to refit, and to score the pool and make it ready for the next query.
    note : str
        Why the model could not be fitted, when it could not.
    agreement : float or None
        Cohen's kappa between this model's predictions on the stop set and those of the
        model ``stopping.LAG`` retrains earlier (see ``stopping``); None before that.
    stop_predictions : ndarray of shape (n_stop,) or None
        This model's predicted classes on the stop set (not exported).
    """

    n_labeled: int
    accuracy: float | None
    queried_ids: tuple[int, ...] = ()
    scores: tuple[float, ...] = ()
    labels: tuple[int, ...] = ()
    strategy: str = ""
    kind: HistoryKind = "initial"
    fit_ms: float = 0.0
    query_ms: float = 0.0
    note: str = ""
    agreement: float | None = None
    stop_predictions: np.ndarray | None = field(default=None, compare=False, repr=False)

    def as_dict(self) -> dict:
        """A JSON-ready dict (tuples become lists; the stop-set predictions are left out)."""
        d = asdict(self)
        d.pop("stop_predictions")
        for key in ("queried_ids", "scores", "labels"):
            d[key] = list(d[key])
        return d


def learning_curve(history: list[HistoryPoint]) -> tuple[list[int], list[float | None]]:
    """``(n_labeled, accuracy)`` lists of a history, for charts and the CLI."""
    return [p.n_labeled for p in history], [p.accuracy for p in history]
