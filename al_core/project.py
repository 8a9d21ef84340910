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

import json
import os
import time
from dataclasses import asdict, astuple, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from . import leases
from .datasets import MISSING_LABEL, Dataset
from .errors import (
    ConfigError,
    DataMismatchError,
    NothingToUndoError,
    ProjectError,
    ProjectExistsError,
)
from .eventlog import Event, EventLog, Saved
from .fairlock import FairRLock
from .session import LabelingSession, Query, SessionConfig
from .sources import DataSource, content_hash, dataset_hash
from .store import SCHEMA_VERSION, SUFFIX, Store, project_path, projects_dir

DEFAULT_LEASE_SECONDS = 600.0


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class Project:
    """An open project. Use ``Project.create`` or ``Project.open``; thread-safe."""

    def __init__(self, store: Store, dataset: Dataset, config: SessionConfig, meta: dict):
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
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
        except FileExistsError:
            raise ProjectExistsError(
                f"a project named {path.stem!r} already exists; open it or choose another name"
            ) from None
        except OSError as exc:
            raise ProjectError(f"cannot create {str(path)!r}: {exc.strerror}") from exc
        try:
            store = Store(path, create=True)
            meta = {
                "schema_version": SCHEMA_VERSION,
                "created": _now(),
                "source": source.to_dict(),
                "config": asdict(config),
                "class_names": list(dataset.class_names),
                "data_hash": dataset_hash(dataset),
                "lease_seconds": lease_seconds,
            }
            with store.write() as conn:
                conn.executemany(
                    "INSERT INTO meta (key, value) VALUES (?, ?)",
                    [(k, json.dumps(v)) for k, v in meta.items()],
                )
                if content is not None:
                    conn.execute(
                        "INSERT INTO blobs (hash, name, content) VALUES (?, ?, ?)",
                        (content_hash(content), source.name, content),
                    )
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return cls(store, dataset, config, meta)

    @classmethod
    def open(cls, name_or_path: str | Path, folder: str | Path | None = None) -> Project:
        """Open a project and replay its log.

        Raises
        ------
        ProjectNotFoundError, ProjectError
            Missing, foreign, damaged or newer-schema files.
        DataMismatchError
            If the data no longer hashes to what the project was labeled on.
        """
        store = Store(project_path(name_or_path, folder))
        try:
            meta = {k: json.loads(v) for k, v in store.meta().items()}
            source = DataSource.from_dict(meta["source"])
            content = None
            if source.kind == "file":
                rows = store.read("SELECT hash, content FROM blobs LIMIT 1")
                if not rows or content_hash(rows[0][1]) != rows[0][0]:
                    raise DataMismatchError(
                        f"the data file stored in project {store.path.stem!r} is damaged"
                    )
                content = rows[0][1]
            dataset = source.load(content)
            if dataset_hash(dataset) != meta["data_hash"]:
                raise DataMismatchError(
                    f"the data of project {store.path.stem!r} is no longer what it was labeled "
                    "on (a library update may have changed it); its labels are safe, but it "
                    "cannot be opened with this data"
                )
            return cls(store, dataset, SessionConfig(**meta["config"]), meta)
        except (KeyError, TypeError, ValueError) as exc:
            store.close()
            raise ProjectError(
                f"{str(store.path)!r} has an unreadable configuration ({exc})"
            ) from exc
        except BaseException:
            store.close()
            raise

    @staticmethod
    def list(folder: str | Path | None = None) -> list[str]:
        """Names of the projects in the folder, sorted."""
        root = projects_dir(folder)
        return (
            sorted(p.name[: -len(SUFFIX)] for p in root.glob(f"*{SUFFIX}")) if root.exists() else []
        )

    def close(self) -> None:
        self.store.close()

    # -------------------------------------------------------------------- reading
    def refresh(self) -> bool:
        """Apply events other processes committed since the last look; True if any."""
        with self._lock:
            return self._catch_up(self.store.read)

    @property
    def events(self) -> list[Event]:
        """Every event applied so far, in log order."""
        return self.log.events

    def _catch_up(self, read) -> bool:
        last = self.log.last_seq
        rows = read(
            "SELECT seq, kind, row_id, label, annotator, ts, model_version, strategy, score, "
            "target FROM events WHERE seq > ? ORDER BY seq",
            (last,),
        )
        for row in rows:
            self.log.apply(Event(*row))
        if rows:
            self.session.rescore()
        return bool(rows)

    def conflicts(self) -> dict[int, list[Event]]:
        """Per row, the labels that were saved but do not train the model (see eventlog)."""
        return self.log.conflicts()

    def label_event(self, row_id: int) -> Event | None:
        """The label event whose label trains the model for a row (None: dataset's own)."""
        return self.log.label_event(row_id)

    def baseline(self, seeds: int = 10, compute: bool = True):
        """The random-sampling band of this project's chart, a ``Curve`` (see ``baseline``).

        None when the data has no ground truth (nothing to simulate with), or when it
        has not been computed yet and ``compute`` is False. Computing takes seconds on a
        large pool and does not hold up labeling.
        """
        from .baseline import compute_baseline, read_baseline, write_baseline

        if not self.dataset.fully_labeled:
            return None
        with self._lock:
            curve = read_baseline(self)
        if curve is None and compute:
            curve = compute_baseline(self, seeds)
            with self._lock:
                write_baseline(self, curve)
        return curve

    # -------------------------------------------------------------------- writing
    def next_for(self, annotator: str, k: int | None = None) -> Query:
        """Rows for ``annotator`` to label, leased to them; the same rows until labeled.

        Raises
        ------
        PoolExhaustedError
            If every row left is labeled, skipped, or leased to someone else.
        """
        annotator = _check_annotator(annotator)
        k = self.session.config.batch_size if k is None else int(k)
        with self._lock, self.store.write() as conn:
            self._catch_up(lambda sql, p: conn.execute(sql, p).fetchall())
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
                kind = (
                    "test"
                    if s.is_test[ids[0]]
                    else ("cold_start" if s.model is None else "strategy")
                )
                version = -1 if mine[0].model_version is None else mine[0].model_version
                return Query(ids, scores, kind, s.config.strategy, version)
            leases.release_annotator(conn, annotator)
            query = s.query(
                k, exclude=[lease.row_id for lease in held if lease.annotator != annotator]
            )
            leases.grant(
                conn,
                annotator,
                query.ids.tolist(),
                [_num(x) for x in query.scores],
                query.model_version,
                until,
            )
            return query

    def label(self, annotator: str, row_id: int, label: int) -> Saved:
        """Save a label durably, then apply it (refit, evaluate, rescore).

        Raises
        ------
        ConfigError
            Unknown row or class; nothing is saved.
        StorageError
            The file could not be written; the label is not saved, earlier ones are.
        """
        annotator = _check_annotator(annotator)
        row_id, label = int(row_id), int(label)
        s = self.session
        if not 0 <= row_id < s.labels.size:
            raise ConfigError(f"row ids must be in 0..{s.labels.size - 1}")
        if not 0 <= label < self.dataset.n_classes:
            raise ConfigError(f"labels must be class indices 0..{self.dataset.n_classes - 1}")
        with self._lock:
            with self.store.write() as conn:
                self._catch_up(lambda sql, p: conn.execute(sql, p).fetchall())
                shown = self._shown_as(conn, row_id)
                event = self._insert(conn, "label", row_id, label, annotator, *shown)
                leases.release_row(conn, row_id)
            conflict = bool(s.labels[row_id] != MISSING_LABEL)
            before = len(s.history)
            self.log.apply(event)
            s.rescore()
            point = s.history[-1] if len(s.history) > before else None
            return Saved(event.seq, conflict, point)

    def skip(self, annotator: str, row_id: int) -> Saved:
        """Put a row on the shared "later" list (saved like a label)."""
        return self._simple("skip", annotator, int(row_id))

    def revisit(self, annotator: str, row_id: int | None = None) -> Saved:
        """Take a row (None: every row) off the "later" list."""
        return self._simple("revisit", annotator, None if row_id is None else int(row_id))

    def undo(self, annotator: str) -> Event:
        """Take back ``annotator``'s own last label or skip; returns the event undone.

        Raises
        ------
        NothingToUndoError
            If the annotator has nothing left to undo.
        """
        annotator = _check_annotator(annotator)
        with self._lock:
            with self.store.write() as conn:
                self._catch_up(lambda sql, p: conn.execute(sql, p).fetchall())
                target = self.log.last_undoable(annotator)
                if target is None:
                    raise NothingToUndoError(f"{annotator} has nothing to undo")
                event = self._insert(
                    conn, "undo", target.row_id, None, annotator, None, None, target.seq
                )
                # The row taken back is what the annotator sees next, so they can redo it.
                leases.release_annotator(conn, annotator)
                leases.grant(
                    conn,
                    annotator,
                    [target.row_id],
                    [target.score],
                    target.model_version,
                    time.time() + self.lease_seconds,
                    first_rank=-1,
                )
            self.log.apply(event)
            self.session.rescore()
            return target

    def _simple(self, kind: str, annotator: str, row_id: int | None) -> Saved:
        annotator = _check_annotator(annotator)
        if row_id is not None and not 0 <= row_id < self.session.labels.size:
            raise ConfigError(f"row ids must be in 0..{self.session.labels.size - 1}")
        with self._lock:
            with self.store.write() as conn:
                self._catch_up(lambda sql, p: conn.execute(sql, p).fetchall())
                shown = (None, None)
                if kind == "skip":
                    shown = self._shown_as(conn, row_id)
                    leases.release_row(conn, row_id)
                event = self._insert(conn, kind, row_id, None, annotator, *shown)
            self.log.apply(event)
            return Saved(event.seq)

    def _shown_as(self, conn, row_id: int) -> tuple[int, float | None]:
        """Model version and score the row was shown with (its lease), else current ones."""
        lease = leases.shown_as(conn, row_id)
        if lease is not None:
            return lease
        return self.session.model_version, _num(self.session.score_of(row_id))

    def _insert(
        self, conn, kind, row_id, label, annotator, model_version, score, target=None
    ) -> Event:
        event = Event(
            None,
            kind,
            row_id,
            label,
            annotator,
            _now(),
            model_version,
            self.session.config.strategy,
            score,
            target,
        )
        cur = conn.execute(
            "INSERT INTO events (kind, row_id, label, annotator, ts, model_version, strategy, "
            "score, target) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            astuple(event)[1:],
        )
        return replace(event, seq=cur.lastrowid)


def _check_annotator(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ConfigError("an annotator name is needed to save labels")
    return name[:80]


def _num(x) -> float | None:
    return None if x is None or (isinstance(x, float) and np.isnan(x)) else float(x)
