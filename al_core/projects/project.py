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
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from al_core.data.datasets import Dataset
from al_core.errors import (
    ConfigError,
    DatasetError,
    ProjectError,
)
from al_core.learning.config import SessionConfig
from al_core.learning.history import HistoryPoint
from al_core.learning.session import LabelingSession
from al_core.projects import event_rows, leases
from al_core.projects.actions import ProjectActions
from al_core.projects.baseline import compute_baseline, read_baseline, write_baseline
from al_core.projects.eventlog import Event, EventLog, seq_of
from al_core.projects.fairlock import FairRLock
from al_core.projects.files import project_meta, read_settings
from al_core.projects.location import create_store, open_store
from al_core.projects.sources import DataSource, content_hash
from al_core.projects.store import Connection, ProjectStore
from al_core.simulation.compare import Curve

DEFAULT_LEASE_SECONDS = 600.0


class Project(ProjectActions):
    """An open project. Use ``Project.create`` or ``Project.open``; thread-safe."""

    def __init__(
        self, store: ProjectStore, dataset: Dataset, config: SessionConfig, meta: dict[str, Any]
    ) -> None:
        self.store = store
        self.name = store.name
        self.dataset = dataset
        self.source = DataSource.from_dict(meta["source"])
        self.lease_seconds = float(meta.get("lease_seconds", DEFAULT_LEASE_SECONDS))
        self.session = LabelingSession(dataset, config)
        self.log = EventLog(self.session)
        self._lock = FairRLock()
        self._unsaved_points: list[tuple[int, HistoryPoint]] = []
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
        url: str | None = None,
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
        url : str, optional
            A PostgreSQL database to create it in (default: ``AL_DATABASE_URL`` unless
            ``folder`` is given; see ``location``).

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
        meta = project_meta(source, config, dataset, lease_seconds)
        content_id = None if content is None else (content_hash(content), source.name)
        store = create_store(name, meta, content, content_id, folder, url)
        return cls(store, dataset, config, meta)

    @classmethod
    def open(cls, name: str, folder: str | Path | None = None, url: str | None = None) -> Project:
        """Open a project and replay its log (from ``folder`` or the database ``url``).

        Raises
        ------
        ProjectNotFoundError, ProjectError
            Missing, foreign, damaged or newer-schema files.
        DataMismatchError
            If the data no longer hashes to what the project was labeled on.
        """
        store = open_store(name, folder, url)
        try:
            dataset, config, meta = read_settings(store)
            return cls(store, dataset, config, meta)
        except DatasetError:  # its own message (a server file moved, say) says it best
            store.close()
            raise
        except (KeyError, TypeError, ValueError) as exc:
            store.close()
            raise ProjectError(
                f"project {store.name!r} has an unreadable configuration ({exc})"
            ) from exc
        except BaseException:
            store.close()
            raise

    def close(self) -> None:
        with self._lock:
            self.session.stop_looking_ahead()
            if self._unsaved_points:
                with contextlib.suppress(ProjectError), self.store.write() as conn:
                    self._save_points(conn)
        self.store.close()

    # -------------------------------------------------------------------- reading
    def refresh(self) -> bool:
        """Apply events other processes committed since the last look; True if any."""
        with self._lock:
            with self.store.reading() as conn:
                return self._catch_up(conn)

    @contextlib.contextmanager
    def reading(self) -> Iterator[Project]:
        """Hold the project still while a table is read from it (others wait to write)."""
        with self._lock:
            yield self

    @property
    def events(self) -> list[Event]:
        """Every event applied so far, in log order."""
        return self.log.events

    def _catch_up(self, conn: Connection) -> bool:
        """Apply the events others committed: labels first, then one refit and one rescore.

        The learning-curve points those events made were saved by whoever applied them,
        so opening a long log, or catching up with 150 labels of a slow model, refits
        once instead of once per event.
        """
        since = self.log.last_seq
        try:
            events = event_rows.read_since(conn, since)
            points = event_rows.read_points(conn, since) if events else {}
        except self.store.errors as exc:
            raise self.store.translate(exc) from exc
        with self.session.deferred_fits():
            for event in events:
                self.log.apply(event, points.get(seq_of(event)))
        if events:
            self.session.rescore()
        return bool(events)

    def _keep_point(self, event: Event, made_before: int) -> HistoryPoint | None:
        """Keep the point ``event`` just made (if any) to save; returns it.

        It is written with the next write (or on ``close``), so a label costs one durable
        commit, not two. A point lost to a crash is computed again on the next open.
        """
        s = self.session
        point = s.history[-1] if s.points_made > made_before and s.history else None
        if point is not None:
            self._unsaved_points.append((seq_of(event), point))
        return point

    def _save_points(self, conn: Connection) -> None:
        # A savepoint: points are a convenience, and a failure to store them (a full
        # disk, say) must never be the reason an action is refused; they stay pending.
        if not self._unsaved_points:
            return
        conn.execute("SAVEPOINT points")
        try:
            for seq, point in self._unsaved_points:
                event_rows.save_point(conn, seq, point)
        except self.store.errors:
            conn.execute("ROLLBACK TO SAVEPOINT points")
        else:
            self._unsaved_points.clear()
        conn.execute("RELEASE points")

    def on_screens(self) -> dict[str, int]:
        """The row each annotator is being shown now (their first live lease)."""
        with self._lock:
            with self.store.reading() as conn:
                try:
                    return leases.on_screens(conn, time.time())
                except self.store.errors as exc:
                    raise self.store.translate(exc) from exc

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
    def _writing(self) -> Iterator[Connection]:
        """Every write: take the lock, open the write, apply what others wrote first.

        Yields the connection inside the write transaction; the events written there
        are durable once the block exits.
        """
        with self._lock, self.store.write() as conn:
            self._catch_up(conn)
            self._save_points(conn)
            yield conn
