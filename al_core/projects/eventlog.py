"""The event log in memory, and how each event changes a labeling session.

Replaying a project and applying one new event live go through ``EventLog.apply``
alike, which is what makes a reopened project identical to the one that was closed.

Conflict rule: a label for a row that already has one is kept (and listed by
``conflicts``) but does not train the model; the **earliest label not undone** trains
it, so undoing that label promotes the next one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np

from al_core.data.datasets import MISSING_LABEL
from al_core.errors import ConfigError, DamagedProjectError
from al_core.learning.history import HistoryPoint
from al_core.learning.session import LabelingSession

EventKind = Literal["label", "skip", "revisit", "undo", "budget"]

DATASET_ANNOTATOR = "(dataset)"
"""Who gave the labels that come with the data (a built-in's initial and test sets)."""


@dataclass(frozen=True)
class Event:
    """One row of the event log."""

    seq: int | None
    kind: EventKind
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
        return seq_of(self.events[-1]) if self.events else 0

    def apply(self, e: Event, point: HistoryPoint | None = None) -> None:
        """Apply one committed event to the session (without rescoring the pool).

        ``point``: the learning-curve point this event made when it was applied live, if
        it was saved; inside ``session.deferred_fits()`` it spares a refit.

        Raises
        ------
        DamagedProjectError
            If the event holds values no write could have produced (a damaged or
            tampered file); nothing is applied.
        """
        seq = self._check(e)
        s = self.session
        s.known_point = point
        try:
            self._dispatch(e, seq)
        finally:
            s.known_point = None

    def _dispatch(self, e: Event, seq: int) -> None:
        s = self.session
        if e.kind == "label":
            row, label = row_of(e), _as_int(e.label, e, "label")
            self._remember(e, seq)
            self._active.setdefault(row, []).append(e)
            if s.labels[row] == MISSING_LABEL:
                s.label(row, label, rescore=False, score=_score_or_nan(e.score))
                self._applied.add(seq)
        elif e.kind == "skip":
            row = row_of(e)
            self._remember(e, seq)
            if s.labels[row] == MISSING_LABEL:
                s.skip(row)
        elif e.kind == "revisit":
            self._remember(e, seq)
            s.revisit(None if e.row_id is None else row_of(e))
        elif e.kind == "budget":
            self._remember(e, seq)
            s.set_budget(_as_int(e.label, e, "budget"))
        else:
            target = self._by_seq[_as_int(e.target, e, "target")]
            self._remember(e, seq)
            self._undo(target)

    def _check(self, e: Event) -> int:
        """The event's number, once every value in it is one a write could produce."""
        seq = _as_int(e.seq, e, "seq")
        if seq <= self.last_seq:
            raise _damaged(e, f"its number is not after {self.last_seq}")
        if e.kind not in get_args(EventKind):
            raise _damaged(e, f"unknown kind {e.kind!r}")
        if not isinstance(e.annotator, str) or not e.annotator:
            raise _damaged(e, "it names no annotator")
        if e.score is not None and not isinstance(e.score, int | float):
            raise _damaged(e, f"score {e.score!r} is not a number")
        if e.model_version is not None:
            _as_int(e.model_version, e, "model version")
        s = self.session
        try:  # the session's own checks, the ones a live action passed before it was saved
            if e.kind in ("label", "skip") or (e.kind == "revisit" and e.row_id is not None):
                s.check_rows(row_of(e))
            if e.kind == "label":
                s.check_classes(label_of(e))
            if e.kind == "budget":
                s.check_budget(_as_int(e.label, e, "budget"))
        except ConfigError as exc:
            raise _damaged(e, str(exc)) from None
        if e.kind == "undo":
            target = self._by_seq.get(_as_int(e.target, e, "target"))
            if target is None or target.kind not in ("label", "skip"):
                raise _damaged(e, "it takes back no earlier label or skip")
            if target.seq in self._undone:
                raise _damaged(e, f"event {target.seq} was undone already")
        return seq

    def _remember(self, e: Event, seq: int) -> None:
        self.events.append(e)
        self._by_seq[seq] = e

    def _undo(self, target: Event) -> None:
        seq, row = seq_of(target), row_of(target)
        self._undone.add(seq)
        s = self.session
        if target.kind == "skip":
            s.revisit(row)
            return
        active = self._active[row]
        active.remove(target)
        if seq in self._applied:
            self._applied.discard(seq)
            s.unlabel(row, rescore=False)
            if active:  # the next label of that row now trains the model
                nxt = active[0]
                s.label(
                    row,
                    _as_int(nxt.label, nxt, "label"),
                    rescore=False,
                    score=_score_or_nan(nxt.score),
                )
                self._applied.add(seq_of(nxt))
        if not active:
            del self._active[row]

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


def _as_int(value: object, e: Event, what: str) -> int:
    # bool is an int to Python, never to the log; a float such as 5.5 is damage.
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise _damaged(e, f"its {what} {value!r} is not a whole number")
    return int(value)


def seq_of(e: Event) -> int:
    """The event's number in the log (checked when the event was applied)."""
    return _as_int(e.seq, e, "seq")


def row_of(e: Event) -> int:
    """The row of a label, skip or row revisit (checked when the event was applied)."""
    return _as_int(e.row_id, e, "row")


def label_of(e: Event) -> int:
    """The class index of a label event (checked when the event was applied)."""
    return _as_int(e.label, e, "label")


def _damaged(e: Event, why: str) -> DamagedProjectError:
    return DamagedProjectError(
        f"event {e.seq!r} ({e.kind!r}) in the project's log is damaged: {why}. The events "
        "before it are intact; restore the file from a backup, or export what is readable"
    )


def _score_or_nan(x: float | None) -> float:
    return float("nan") if x is None else float(x)
