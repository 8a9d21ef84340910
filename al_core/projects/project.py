"""Projects: a labeling session whose every action is saved before it is acknowledged.

A project is one SQLite file (see ``store``) with the configuration and an append-only
event log. Opening it replays the log through the same code that applied each event
live, so the labels, model, learning curve and next query come back exactly.

Several annotators (threads of one server, or several processes) work on one project:
each query is *leased* to one annotator for ``lease_seconds``; nobody else is shown a
leased row. Every write first applies the events others committed since, under the
file's write lock, so all processes see one order of events.

Conflict rule (see ``eventlog``): when a row gets a second label, the second is saved
as its own event and reported as a conflict; the **earliest label that has not been
undone** is the one that trains the model. Undoing it promotes the next one.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from al_core.data.datasets import MISSING_LABEL, Dataset
from al_core.errors import (
    ConfigError,
    NothingToUndoError,
    ProjectError,
    StaleActionError,
)
from al_core.learning.config import SessionConfig
from al_core.learning.history import HistoryPoint
from al_core.learning.query import Query
from al_core.learning.session import LabelingSession
from al_core.projects import event_rows, leases
from al_core.projects.baseline import compute_baseline, read_baseline, write_baseline
from al_core.projects.eventlog import Event, EventKind, EventLog, Saved, row_of
from al_core.projects.fairlock import FairRLock
from al_core.projects.files import create_file, read_settings
from al_core.projects.sources import DataSource
from al_core.projects.store import SUFFIX, Store, project_path, translate
from al_core.simulation.compare import Curve

DEFAULT_LEASE_SECONDS = 600.0


class Project:
    """An open project. Use ``Project.create`` or ``Project.open``; thread-safe."""

    def __init__(
        self, store: Store, dataset: Dataset, config: SessionConfig, meta: dict[str, Any]
    ) -> None:
        self.store = store
        self.name = store.path.name[: -len(SUFFIX)]
        self.dataset = dataset
        self.source = DataSource.from_dict(meta["source"])
        self.lease_seconds = float(meta.get("lease_seconds", DEFAULT_LEASE_SECONDS))
        self.session = LabelingSession(dataset, config)
        self.log = EventLog(self.session)
        self._lock = FairRLock()
        self.refresh()

    # ---------------------------------------------------------------- create / open
    @classmethod
    def create(
        cls,
        name: str,
        source: DataSource,
        config: SessionConfig | None = None,
        folder: str | Path | None = None,
        content: bytes | None = None,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
    ) -> Project:
        """Create a project file and open it.

        Parameters
        ----------
        name : str
            Sanitized into a file name (see ``store.safe_name``).
        source : DataSource
        config : SessionConfig
        folder : path, optional
            Projects folder; default ``$AL_PROJECTS_DIR`` or ``./projects``.
        content : bytes, optional
            The uploaded file of a file source; copied into the project.
        lease_seconds : float
            How long a row shown to one annotator is kept from the others.

        Raises
        ------
        ProjectExistsError
            If a project of that name exists (it is never overwritten).
        DatasetError, ConfigError
            If the data or the settings cannot be used; no file is left behind.
        """
        config = config or SessionConfig()
        if lease_seconds <= 0:
            raise ConfigError("lease_seconds must be positive")
        dataset = source.load(content)
        LabelingSession(dataset, config)  # fails here, before any file exists
        path = project_path(name, folder)
        store, meta = create_file(path, source, config, dataset, content, lease_seconds)
        return cls(store, dataset, config, meta)

    @classmethod
    def open(cls, name: str, folder: str | Path | None = None) -> Project:
        """Open a project and replay its log.

        Raises
        ------
        ProjectNotFoundError, ProjectError
            Missing, foreign, damaged or newer-schema files.
        DataMismatchError
            If the data no longer hashes to what the project was labeled on.
        """
        store = Store(project_path(name, folder))
        try:
            dataset, config, meta = read_settings(store)
            return cls(store, dataset, config, meta)
        except (KeyError, TypeError, ValueError) as exc:
            store.close()
            raise ProjectError(
                f"{str(store.path)!r} has an unreadable configuration ({exc})"
            ) from exc
        except BaseException:
            store.close()
            raise

    def close(self) -> None:
        self.store.close()

    # -------------------------------------------------------------------- reading
    def refresh(self) -> bool:
        """Apply events other processes committed since the last look; True if any."""
        with self._lock:
            return self._catch_up(self.store.conn)

    @contextlib.contextmanager
    def reading(self) -> Iterator[Project]:
        """Hold the project still while a table is read from it (others wait to write)."""
        with self._lock:
            yield self

    @property
    def events(self) -> list[Event]:
        """Every event applied so far, in log order."""
        return self.log.events

    def _catch_up(self, conn: sqlite3.Connection) -> bool:
        """Apply the events others committed: labels first, then one refit and one rescore.

        The learning-curve points those events made were saved by whoever applied them,
        so opening a long log, or catching up with 150 labels of a slow model, refits
        once instead of once per event.
        """
        since = self.log.last_seq
        try:
            events = event_rows.read_since(conn, since)
            points = event_rows.read_points(conn, since) if events else {}
        except sqlite3.Error as exc:
            raise translate(exc, self.store.path) from exc
        with self.session.deferred_fits():
            for event in events:
                self.log.apply(event, points.get(_seq(event)))
        if events:
            self.session.rescore()
        return bool(events)

    def _keep_point(self, event: Event, made_before: int) -> HistoryPoint | None:
        """Save the point ``event`` just made (if any); returns it. Best effort: a point
        that cannot be saved is computed again when the project is next opened."""
        s = self.session
        point = s.history[-1] if s.points_made > made_before and s.history else None
        if point is not None:
            with contextlib.suppress(ProjectError):
                with self.store.write() as conn:
                    event_rows.save_point(conn, _seq(event), point)
        return point

    def on_screens(self) -> dict[str, int]:
        """The row each annotator is being shown now (their first live lease)."""
        rows = self.store.read(
            "SELECT annotator, row_id FROM leases WHERE expires >= ? ORDER BY rank DESC",
            (time.time(),),
        )
        return {str(who): int(row) for who, row in rows}  # the first-ranked lease wins

    def conflicts(self) -> dict[int, list[Event]]:
        """Per row, the labels that were saved but do not train the model (see eventlog)."""
        return self.log.conflicts()

    def label_event(self, row_id: int) -> Event | None:
        """The label event whose label trains the model for a row (None: dataset's own)."""
        return self.log.label_event(row_id)

    def baseline(self, seeds: int = 10, compute: bool = True) -> Curve | None:
        """The random-sampling band of this project's chart, a ``Curve`` (see ``baseline``).

        None when the data has no ground truth (nothing to simulate with), or when it
        has not been computed yet and ``compute`` is False. Computing takes seconds on a
        large pool and does not hold up labeling.
        """
        if not self.dataset.fully_labeled:
            return None
        with self._lock:
            curve = read_baseline(self.store)
        if curve is None and compute:
            s = self.session
            curve = compute_baseline(self.dataset, s.config, s.n_unlabeled, seeds)
            with self._lock:
                write_baseline(self.store, curve)
        return curve

    # -------------------------------------------------------------------- writing
    @contextlib.contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        """Every write: take the lock, open the write, apply what others wrote first.

        Yields the connection inside the write transaction; the events written there
        are durable once the block exits.
        """
        with self._lock, self.store.write() as conn:
            self._catch_up(conn)
            yield conn

    def next_for(self, annotator: str, k: int | None = None) -> Query:
        """Rows for ``annotator`` to label, leased to them; the same rows until labeled.

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
            mine = [
                lease
                for lease in held
                if lease.annotator == annotator
                and s.labels[lease.row_id] == MISSING_LABEL
                and not s.skipped[lease.row_id]
            ][:k]
            if mine:  # a reload, or rows handed back by undo: show the same rows again
                ids = np.array([lease.row_id for lease in mine], dtype=np.int64)
                leases.renew(conn, ids.tolist(), until)
                scores = np.array([np.nan if m.score is None else m.score for m in mine])
                version = -1 if mine[0].model_version is None else mine[0].model_version
                return Query(ids, scores, s.kind_of(int(ids[0])), s.config.strategy, version)
            leases.release_annotator(conn, annotator)
            query = s.query(
                k, exclude=[lease.row_id for lease in held if lease.annotator != annotator]
            )
            leases.grant(
                conn,
                annotator,
                query.ids.tolist(),
                [_score_or_none(x) for x in query.scores],
                query.model_version,
                until,
            )
            return query

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
        annotator = _check_annotator(annotator)
        row_id, label = int(row_id), int(label)
        s = self.session
        s.check_rows(row_id)
        s.check_classes(label)
        with self._lock:
            with self._writing() as conn:
                if on_screen:
                    self._check_on_screen(conn, annotator, row_id)
                event = self._insert(conn, "label", row_id, annotator, label=label)
                leases.release_row(conn, row_id)
            conflict = bool(s.labels[row_id] != MISSING_LABEL)
            made = s.points_made
            self.log.apply(event)
            s.rescore()
            return Saved(_seq(event), conflict, self._keep_point(event, made))

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
            return Saved(_seq(event))

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
            made = self.session.points_made
            self.log.apply(event)
            self.session.rescore()
            self._keep_point(event, made)
            return target

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
            return Saved(_seq(event))

    def _insert(
        self,
        conn: sqlite3.Connection,
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

    def _check_on_screen(self, conn: sqlite3.Connection, annotator: str, row_id: int) -> None:
        """Refuse an action on a row that is no longer the annotator's to act on.

        The row must be leased to them, or (their lease ran out) leased to nobody and
        still waiting for a label. A second key press for a row they just labeled or
        skipped, or for a row someone else now holds, is refused.
        """
        holder = leases.holder(conn, row_id, time.time())
        if holder == annotator:
            return
        s = self.session
        if holder is None and s.labels[row_id] == MISSING_LABEL and not s.skipped[row_id]:
            return
        why = "someone else is labeling it" if holder else "it was labeled or skipped already"
        raise StaleActionError(f"sample {row_id} is no longer on your screen: {why}")

    def _check_undo_on_screen(
        self, conn: sqlite3.Connection, annotator: str, shown_row: int
    ) -> None:
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

    def _shown_as(self, conn: sqlite3.Connection, row_id: int) -> tuple[int | None, float | None]:
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


def _seq(event: Event) -> int:
    assert event.seq is not None  # events read back or just inserted always have one
    return event.seq


def _score_or_none(x: float | None) -> float | None:
    """A score as stored: None where it is missing or NaN."""
    return None if x is None or (isinstance(x, float) and np.isnan(x)) else float(x)
