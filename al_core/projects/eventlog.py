"""The event log in memory, and how each event changes a labeling session.

Replaying a project and applying one new event live go through ``EventLog.apply``
alike, which is what makes a reopened project identical to the one that was closed.

Conflict rule: a label for a row that already has one is kept (and listed by
``conflicts``) but does not train the model; the **earliest label not undone** trains
it, so undoing that label promotes the next one. A reviewer's decision (``adjudicate``)
overrides them all: the latest decision not undone is the row's label, for the model,
the curve and the export, until it is undone.

Overlap: with ``config.overlap`` above 0, a fixed share of the rows people label (chosen
by the project's seed, see ``learning.overlap``) waits for a blind second label from
someone else (``awaiting_second``); those pairs measure agreement.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np

from al_core.data.datasets import MISSING_LABEL
from al_core.errors import ConfigError, DamagedProjectError
from al_core.learning.history import HistoryPoint
from al_core.learning.overlap import is_overlap_row
from al_core.learning.session import LabelingSession

EventKind = Literal["label", "skip", "revisit", "undo", "budget", "adjudicate"]
UNDOABLE: tuple[EventKind, ...] = ("label", "skip", "adjudicate")

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
        self._decided: dict[int, list[Event]] = {}  # row -> its decisions not undone
        self._touched: dict[int, int] = {}  # row -> the last event that changed its labels
        self._awaiting: dict[int, str] = {}  # overlap row -> the one annotator who labeled

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
            self._touched[row] = seq
            self._active.setdefault(row, []).append(e)
            if s.labels[row] == MISSING_LABEL and row not in self._decided:
                s.label(row, label, rescore=False, score=_score_or_nan(e.score))
                self._applied.add(seq)
            self._update_awaiting(row)
        elif e.kind == "adjudicate":
            row = row_of(e)
            self._remember(e, seq)
            self._touched[row] = seq
            self._decided.setdefault(row, []).append(e)
            self._set_label(row, label_of(e))
            self._update_awaiting(row)
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
            if e.kind in UNDOABLE or (e.kind == "revisit" and e.row_id is not None):
                s.check_rows(row_of(e))
            if e.kind in ("label", "adjudicate"):
                s.check_classes(label_of(e))
            if e.kind == "budget":
                s.check_budget(_as_int(e.label, e, "budget"))
        except ConfigError as exc:
            raise _damaged(e, str(exc)) from None
        if e.kind == "undo":
            target = self._by_seq.get(_as_int(e.target, e, "target"))
            if target is None or target.kind not in UNDOABLE:
                raise _damaged(e, "it takes back no earlier label, skip or decision")
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
        self._touched[row] = self.last_seq
        if target.kind == "adjudicate":
            decisions = self._decided[row]
            decisions.remove(target)
            if not decisions:
                del self._decided[row]
            self._set_label(row, self.label_without_undone(row), take_back=True)
            self._update_awaiting(row)
            return
        active = self._active[row]
        active.remove(target)
        if seq in self._applied:
            self._applied.discard(seq)
            if active:  # the next label of that row now trains the model
                self._applied.add(seq_of(active[0]))
            if row not in self._decided:  # a decision outranks any label
                s.unlabel(row, rescore=False)
                if active:
                    nxt = active[0]
                    s.label(row, label_of(nxt), rescore=False, score=_score_or_nan(nxt.score))
        if not active:
            del self._active[row]
        self._update_awaiting(row)

    def _set_label(self, row: int, label: int, take_back: bool = False) -> None:
        """Make ``label`` the row's label in the session (MISSING_LABEL: none)."""
        s = self.session
        current = int(s.labels[row])
        if current == label:
            return
        if label == MISSING_LABEL:
            s.unlabel(row, rescore=False)
        elif current == MISSING_LABEL:
            s.label(row, label, rescore=False)
        else:
            s.relabel(row, label, rescore=False, take_back=take_back)

    def label_without_undone(self, row: int) -> int:
        """The row's label from its latest decision, else its earliest label, else the data."""
        decisions = self._decided.get(row)
        if decisions:
            return label_of(decisions[-1])
        event = self.label_event(row)
        if event is not None:
            return label_of(event)
        return self._dataset_label(row)

    def _dataset_label(self, row: int) -> int:
        """The label the data itself gives the row at the start (MISSING_LABEL: none)."""
        s = self.session
        y = s.dataset.y
        if y is None:
            return MISSING_LABEL
        if s.dataset.fully_labeled:  # only the test and initial rows start labeled
            i = np.searchsorted(s.initial_ids, row)
            started = s.is_test[row] or (i < s.initial_ids.size and s.initial_ids[i] == row)
            return int(y[row]) if started else MISSING_LABEL
        return int(y[row])

    def _update_awaiting(self, row: int) -> None:
        """Keep ``_awaiting`` true for one row after its labels or decisions changed."""
        self._awaiting.pop(row, None)
        config = self.session.config
        if not config.overlap or row in self._decided:
            return
        who = {e.annotator for e in self._active.get(row, [])}
        if len(who) == 1 and is_overlap_row(row, config.overlap, config.seed):
            self._awaiting[row] = who.pop()

    def awaiting_second(self, annotator: str) -> list[int]:
        """Overlap rows labeled by one other person only, oldest first: ``annotator``'s
        to label blind, so that the two labels measure agreement."""
        return [row for row, first in self._awaiting.items() if first != annotator]

    def awaits_second(self, row_id: int, annotator: str) -> bool:
        """True if the row waits for ``annotator``'s blind second label."""
        return self._awaiting.get(int(row_id), annotator) != annotator

    def last_undoable(self, annotator: str) -> Event | None:
        """The annotator's own latest label, skip or decision that has not been undone."""
        for e in reversed(self.events):
            if e.annotator == annotator and e.kind in UNDOABLE and e.seq not in self._undone:
                return e
        return None

    def event(self, seq: int) -> Event:
        """The applied event numbered ``seq``."""
        return self._by_seq[int(seq)]

    def labels_of(self, row_id: int) -> list[Event]:
        """The row's label events that have not been undone, in log order."""
        return list(self._active.get(int(row_id), []))

    def decision(self, row_id: int) -> Event | None:
        """The reviewer's decision that sets the row's label now, if any."""
        decisions = self._decided.get(int(row_id))
        return decisions[-1] if decisions else None

    def last_change(self, row_id: int) -> int:
        """The number of the last event that changed the row's labels (0: none)."""
        return self._touched.get(int(row_id), 0)

    def labeled_rows(self) -> list[int]:
        """Rows with at least one label event not undone, in the order first labeled."""
        return list(self._active)

    def disagreements(self) -> dict[int, list[Event]]:
        """Rows whose labels differ and that no decision has settled since the last label."""
        out: dict[int, list[Event]] = {}
        for row, events in self._active.items():
            if len({e.label for e in events}) < 2:
                continue
            decision = self.decision(row)
            if decision is not None and seq_of(decision) > max(seq_of(e) for e in events):
                continue
            out[row] = list(events)
        return out

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
