"""The event log in memory, and how each event changes a labeling session.

Replaying a project and applying one new event live go through ``EventLog.apply``
alike, which is what makes a reopened project identical to the one that was closed.

Conflict rule: a label for a row that already has one is kept (and listed by
``conflicts``) but does not train the model; the **earliest label not undone** trains
it, so undoing that label promotes the next one.
"""

from __future__ import annotations

from dataclasses import dataclass

from .datasets import MISSING_LABEL
from .history import HistoryPoint
from .session import LabelingSession


@dataclass(frozen=True)
class Event:
    """One row of the event log."""

    seq: int | None
    kind: str  # label | skip | revisit | undo
    row_id: int | None
    label: int | None
    annotator: str
    ts: str
    model_version: int | None
    strategy: str | None
    score: float | None
    target: int | None  # the event an undo takes back


@dataclass(frozen=True)
class Saved:
    """What a write produced, returned once it is durable.

    Attributes
    ----------
    seq : int
        The event's number in the log.
    conflict : bool
        The row already had a label; this one is kept but does not train the model.
    point : HistoryPoint or None
        The learning-curve point the label produced, if any.
    """

    seq: int
    conflict: bool = False
    point: HistoryPoint | None = None


class EventLog:
    """Events applied so far, and which labels are live, for one session."""

    def __init__(self, session: LabelingSession) -> None:
        self.session = session
        self.events: list[Event] = []
        self._by_seq: dict[int, Event] = {}
        self._active: dict[int, list[Event]] = {}  # row -> its label events not undone
        self._applied: set[int] = set()  # label events whose label is in the session
        self._undone: set[int] = set()

    @property
    def last_seq(self) -> int:
        return self.events[-1].seq if self.events else 0

    def apply(self, e: Event) -> None:
        """Apply one committed event to the session (without rescoring the pool)."""
        self.events.append(e)
        self._by_seq[e.seq] = e
        s = self.session
        if e.kind == "label":
            self._active.setdefault(e.row_id, []).append(e)
            if s.labels[e.row_id] == MISSING_LABEL:
                s.label(e.row_id, e.label, rescore=False, score=_nan(e.score))
                self._applied.add(e.seq)
        elif e.kind == "skip":
            if s.labels[e.row_id] == MISSING_LABEL:
                s.skip(e.row_id)
        elif e.kind == "revisit":
            s.revisit(e.row_id)
        elif e.kind == "undo":
            self._undo(self._by_seq[e.target])

    def _undo(self, target: Event) -> None:
        self._undone.add(target.seq)
        s = self.session
        if target.kind == "skip":
            s.revisit(target.row_id)
            return
        active = self._active[target.row_id]
        active.remove(target)
        if target.seq in self._applied:
            self._applied.discard(target.seq)
            s.unlabel(target.row_id, rescore=False)
            if active:  # the next label of that row now trains the model
                nxt = active[0]
                s.label(target.row_id, nxt.label, rescore=False, score=_nan(nxt.score))
                self._applied.add(nxt.seq)
        if not active:
            del self._active[target.row_id]

    def last_undoable(self, annotator: str) -> Event | None:
        """The annotator's own latest label or skip that has not been undone."""
        for e in reversed(self.events):
            if (
                e.annotator == annotator
                and e.kind in ("label", "skip")
                and e.seq not in self._undone
            ):
                return e
        return None

    def conflicts(self) -> dict[int, list[Event]]:
        """Per row, the labels that were saved but do not train the model."""
        out: dict[int, list[Event]] = {}
        for row, events in self._active.items():
            extra = [e for e in events if e.seq not in self._applied]
            if extra:
                out[row] = extra
        return out

    def label_event(self, row_id: int) -> Event | None:
        """The label event whose label trains the model for a row (None: dataset's own)."""
        for e in self._active.get(int(row_id), []):
            if e.seq in self._applied:
                return e
        return None


def _nan(x) -> float:
    return float("nan") if x is None else float(x)
