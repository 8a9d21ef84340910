"""What annotators do to a project: take the next rows, label, skip, undo, change the budget.

Every action is written (and durable) before it changes the session in memory, inside
``Project._writing``: the project's lock, the file's write lock, and first the events
others committed. ``Project`` is built from this class and its reading side.
"""

from __future__ import annotations

import contextlib
import threading
import time

import numpy as np

from al_core.data.datasets import MISSING_LABEL
from al_core.errors import ConfigError, NothingToUndoError, StaleActionError
from al_core.learning.history import HistoryPoint
from al_core.learning.query import Query
from al_core.learning.session import LabelingSession
from al_core.projects import event_rows, leases
from al_core.projects.eventlog import Event, EventKind, EventLog, Saved, row_of, seq_of
from al_core.projects.fairlock import FairRLock
from al_core.projects.store import Connection

LOOK_AHEAD_AFTER = 0.1
"""Seconds a step computed ahead waits after the row is shown: the page showing it is
drawn first (the work would otherwise share the processor with it)."""


class ProjectActions:
    """The writing side of ``Project`` (see ``project``); not used on its own."""

    session: LabelingSession
    log: EventLog
    lease_seconds: float
    _lock: FairRLock

    def _writing(self) -> contextlib.AbstractContextManager[Connection]:
        raise NotImplementedError  # Project: lock, write transaction, catch up

    def _keep_point(self, event: Event, made_before: int) -> HistoryPoint | None:
        raise NotImplementedError  # Project: save the point an event made

    def next_for(self, annotator: str, k: int | None = None, look_ahead: bool = False) -> Query:
        """Rows for ``annotator`` to label, leased to them; the same rows until labeled.

        ``look_ahead=True`` (a person looking at the row) starts computing, in a thread
        of its own, the refit and ranking each label of the row would make
        (``LabelingSession.look_ahead``), so that the label's answer is quick.

        Raises
        ------
        PoolExhaustedError
            If every row left is labeled, skipped, or leased to someone else.
        """
        annotator = _check_annotator(annotator)
        k = self.session.config.batch_size if k is None else int(k)
        with self._writing() as conn:
            now = time.time()
            until = now + self.lease_seconds
            held = leases.live(conn, now)
            s = self.session
            awaiting = self.log.awaiting_second(annotator)
            second = set(awaiting)
            mine = [
                lease
                for lease in held
                if lease.annotator == annotator
                and (self._open(lease.row_id) or lease.row_id in second)
            ][:k]
            if mine:  # a reload, or rows handed back by undo: show the same rows again
                ids = np.array([lease.row_id for lease in mine], dtype=np.int64)
                leases.renew(conn, ids.tolist(), until)
                scores = np.array([np.nan if m.score is None else m.score for m in mine])
                version = -1 if mine[0].model_version is None else mine[0].model_version
                kind = "overlap" if int(ids[0]) in second else s.kind_of(int(ids[0]))
                query = Query(ids, scores, kind, s.config.strategy, version)
                if look_ahead:
                    self._look_ahead(query)
                return query
            leases.release_annotator(conn, annotator)
            taken = {lease.row_id for lease in held if lease.annotator != annotator}
            # A second, blind label first: overlap rows are few, and a row that waits for
            # one is never in the way of the queue (it is labeled already).
            for row in awaiting:
                if row not in taken:
                    leases.grant(conn, annotator, [row], [None], s.model_version, until)
                    return Query(
                        np.array([row], dtype=np.int64),
                        np.array([np.nan]),
                        "overlap",
                        s.config.strategy,
                        s.model_version,
                    )
            query = s.query(k, exclude=taken)
            leases.grant(
                conn,
                annotator,
                query.ids.tolist(),
                [_score_or_none(x) for x in query.scores],
                query.model_version,
                until,
            )
            if look_ahead:
                self._look_ahead(query)
            return query

    def _look_ahead(self, query: Query) -> None:
        """Start computing the steps of the one row a person was given (under the lock)."""
        if query.kind != "strategy" or query.ids.size != 1:
            return
        job = self.session.look_ahead(int(query.ids[0]))
        if job is not None:
            # Not a daemon: a daemon thread inside NumPy while the interpreter shuts down
            # can abort the process; exit waits for the class being computed instead.
            threading.Thread(
                target=job.run, args=(LOOK_AHEAD_AFTER,), name="al-look-ahead", daemon=False
            ).start()

    def label(self, annotator: str, row_id: int, label: int, on_screen: bool = False) -> Saved:
        """Save a label durably, then apply it (refit, evaluate, rescore).

        ``on_screen=True`` says the label comes from a person looking at ``row_id``:
        it is saved only while that row is still theirs to label (see ``_check_on_screen``).

        Raises
        ------
        ConfigError
            Unknown row or class; nothing is saved.
        StaleActionError
            With ``on_screen``: the row was labeled, skipped or taken meanwhile.
        StorageError
            The file could not be written; the label is not saved, earlier ones are.
        """
        annotator, row_id, label = self._checked(annotator, row_id, label)
        with self._lock:
            with self._writing() as conn:
                if on_screen:
                    self._check_on_screen(conn, annotator, row_id)
                event = self._insert(conn, "label", row_id, annotator, label=label)
                leases.release_row(conn, row_id)
            before, point = self._apply_to_row(event, row_id)
            conflict = before != MISSING_LABEL and before != label
            return Saved(seq_of(event), conflict, point)

    def _checked(self, annotator: str, row_id: int, label: int) -> tuple[str, int, int]:
        """The arguments of a label or a decision, once they name a row and a class."""
        row_id, label = int(row_id), int(label)
        self.session.check_rows(row_id)
        self.session.check_classes(label)
        return _check_annotator(annotator), row_id, label

    def _apply_to_row(self, event: Event, row_id: int) -> tuple[int, HistoryPoint | None]:
        """Apply a saved label or decision; the row's label before, and the point made."""
        s = self.session
        before, made = int(s.labels[row_id]), s.points_made
        self.log.apply(event)
        if s.labels[row_id] != before:  # a label that changes nothing needs no rescore
            s.rescore()
        return before, self._keep_point(event, made)

    def adjudicate(self, reviewer: str, row_id: int, label: int, seen: int | None = None) -> Saved:
        """Settle a row's label: the reviewer's final class, used from now on.

        ``seen``: ``last_change(row_id)`` when the row was shown to the reviewer; the
        decision is refused if the row's labels changed since (someone labeled it,
        decided it or undid a decision), so nobody overrules what they did not see.

        Raises
        ------
        ConfigError
            Unknown row or class, or a row nobody labeled; nothing is saved.
        StaleActionError
            The row changed since ``seen``; nothing is saved.
        """
        reviewer, row_id, label = self._checked(reviewer, row_id, label)
        s = self.session
        with self._lock:
            with self._writing() as conn:
                last = self.log.last_change(row_id)
                if seen is not None and last != seen:
                    who = self.log.event(last).annotator if last else "someone"
                    raise StaleActionError(
                        f"sample {row_id} changed since it was shown ({who} acted on it): "
                        "look at it again before deciding"
                    )
                if s.labels[row_id] == MISSING_LABEL:
                    raise ConfigError(f"sample {row_id} has no label to review")
                event = self._insert(
                    conn, "adjudicate", row_id, reviewer, label=label, shown=(None, None)
                )
            before, point = self._apply_to_row(event, row_id)
            return Saved(seq_of(event), before != label, point)

    def last_change(self, row_id: int) -> int:
        """The number of the last event that changed the row's labels (see ``adjudicate``)."""
        with self._lock:
            return self.log.last_change(row_id)

    def _open(self, row_id: int) -> bool:
        """The row waits for its first label (not labeled, not skipped)."""
        s = self.session
        return bool(s.labels[row_id] == MISSING_LABEL and int(row_id) not in s.skipped)

    def skip(self, annotator: str, row_id: int, on_screen: bool = False) -> Saved:
        """Put a row on the shared "later" list (saved like a label); see ``label``."""
        return self._mark("skip", annotator, int(row_id), on_screen)

    def revisit(self, annotator: str, row_id: int | None = None) -> Saved:
        """Take a row (None: every row) off the "later" list."""
        return self._mark("revisit", annotator, None if row_id is None else int(row_id))

    def set_budget(self, annotator: str, budget: int) -> Saved:
        """Raise or lower the label budget; saved as an event, so it survives a restart.

        Raises
        ------
        ConfigError
            If the budget is not a whole number or is below the labels given already;
            nothing is saved.
        """
        annotator = _check_annotator(annotator)
        with self._lock:
            with self._writing() as conn:
                self.session.check_budget(budget)
                event = self._insert(
                    conn, "budget", None, annotator, label=int(budget), shown=(None, None)
                )
            self.log.apply(event)
            return Saved(seq_of(event))

    def undo(self, annotator: str, shown_row: int | None = None) -> Event:
        """Take back ``annotator``'s own last label or skip; returns the event undone.

        ``shown_row``: the sample on the person's screen when they asked; the undo is
        refused if that is no longer the row they are shown (a second, stale press).

        Raises
        ------
        NothingToUndoError
            If the annotator has nothing left to undo.
        StaleActionError
            If ``shown_row`` is no longer the annotator's current sample.
        """
        annotator = _check_annotator(annotator)
        with self._lock:
            with self._writing() as conn:
                if shown_row is not None:
                    self._check_undo_on_screen(conn, annotator, int(shown_row))
                target = self.log.last_undoable(annotator)
                if target is None:
                    raise NothingToUndoError(f"{annotator} has nothing to undo")
                event = self._insert(
                    conn, "undo", target.row_id, annotator, target=target.seq, shown=(None, None)
                )
                # The row taken back is what the annotator sees next, so they can redo it,
                # unless someone else is being shown it now: it comes back once that
                # lease ends, and is never shown to two people at once.
                if target.kind != "adjudicate":  # a review decision hands back no row
                    self._hand_back(conn, annotator, target)
            made = self.session.points_made
            self.log.apply(event)
            self.session.rescore()
            self._keep_point(event, made)
            return target

    def _hand_back(self, conn: Connection, annotator: str, target: Event) -> None:
        """Lease an undone row to the annotator again, unless someone else holds it."""
        now = time.time()
        row = row_of(target)
        leases.release_annotator(conn, annotator)
        if leases.holder(conn, row, now) is None:
            leases.grant(
                conn,
                annotator,
                [row],
                [target.score],
                target.model_version,
                now + self.lease_seconds,
                first_rank=-1,
            )

    def _mark(
        self, kind: EventKind, annotator: str, row_id: int | None, on_screen: bool = False
    ) -> Saved:
        """Save a skip or a revisit: no refit, only the "later" list changes."""
        annotator = _check_annotator(annotator)
        if row_id is not None:
            self.session.check_rows(row_id)
        with self._lock:
            with self._writing() as conn:
                if on_screen and row_id is not None:
                    self._check_on_screen(conn, annotator, row_id)
                if kind == "skip" and row_id is not None:
                    event = self._insert(conn, kind, row_id, annotator)
                    leases.release_row(conn, row_id)
                else:
                    event = self._insert(conn, kind, row_id, annotator, shown=(None, None))
            self.log.apply(event)
            return Saved(seq_of(event))

    def _insert(
        self,
        conn: Connection,
        kind: EventKind,
        row_id: int | None,
        annotator: str,
        label: int | None = None,
        target: int | None = None,
        shown: tuple[int | None, float | None] | None = None,
    ) -> Event:
        """Write one event; ``shown`` defaults to how the row was shown (see below)."""
        if shown is None and row_id is not None:
            shown = self._shown_as(conn, row_id)
        version, score = shown or (None, None)
        return event_rows.insert(
            conn,
            kind,
            row_id,
            label,
            annotator,
            version,
            self.session.config.strategy,
            score,
            target,
        )

    def _check_on_screen(self, conn: Connection, annotator: str, row_id: int) -> None:
        """Refuse an action on a row that is no longer the annotator's to act on.

        The row must be leased to them, or (their lease ran out) leased to nobody and
        still waiting for a label. A second key press for a row they just labeled or
        skipped, or for a row someone else now holds, is refused.
        """
        holder = leases.holder(conn, row_id, time.time())
        if holder == annotator:
            return
        if holder is None and (self._open(row_id) or self.log.awaits_second(row_id, annotator)):
            return
        why = "someone else is labeling it" if holder else "it was labeled or skipped already"
        raise StaleActionError(f"sample {row_id} is no longer on your screen: {why}")

    def _check_undo_on_screen(self, conn: Connection, annotator: str, shown_row: int) -> None:
        """Refuse an undo pressed on a screen that a previous undo already replaced.

        An undo hands the undone row to the annotator, so a second press meant for the
        same screen finds them holding another row than the one it names.
        """
        now = time.time()
        holder = leases.holder(conn, shown_row, now)
        if holder == annotator:
            return
        holds_other = any(lease.annotator == annotator for lease in leases.live(conn, now))
        if holder is None and not holds_other:  # their lease simply ran out
            return
        raise StaleActionError(
            f"sample {shown_row} is no longer on your screen: undo was pressed for it already"
        )

    def _shown_as(self, conn: Connection, row_id: int) -> tuple[int | None, float | None]:
        """Model version and score the row was shown with (its lease), else current ones."""
        lease = leases.shown_as(conn, row_id)
        if lease is not None:
            return lease
        return self.session.model_version, _score_or_none(self.session.score_of(row_id))


def _check_annotator(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ConfigError("an annotator name is needed to save labels")
    return name[:80]


def _score_or_none(x: float | None) -> float | None:
    """A score as stored: None where it is missing or NaN."""
    return None if x is None or (isinstance(x, float) and np.isnan(x)) else float(x)
