"""Projects: a labeling session whose every action is saved before it is acknowledged.

A project is one SQLite file (see ``store``) with the configuration and an append-only
event log. Opening it replays the log through the same code that applied each event
live, so the labels, model, learning curve and next query come back exactly.

Several annotators (threads of one server, or several processes) work on one project:
each query is *leased* to one annotator for ``lease_seconds``; nobody else is shown a
leased row. Every write first applies the events others committed since, under the
file's write lock, so all processes see one order of events.

Conflict rule: when a row gets a second label, the second is saved as its own event and
reported as a conflict; the **earliest label that has not been undone** is the one that
trains the model. Undoing it promotes the next one.
"""

from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import asdict, astuple, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from .datasets import Dataset
from .errors import (
    ConfigError,
    DataMismatchError,
    NothingToUndoError,
    ProjectError,
    ProjectExistsError,
)
from .history import HistoryPoint
from .session import LabelingSession, Query, SessionConfig
from .sources import DataSource, content_hash, dataset_hash
from .store import SCHEMA_VERSION, SUFFIX, Store, project_path, projects_dir

DEFAULT_LEASE_SECONDS = 600.0


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
        self.events: list[Event] = []
        self._by_seq: dict[int, Event] = {}
        self._active: dict[int, list[Event]] = {}  # row -> label events not undone, in order
        self._undone: set[int] = set()
        self._applied: set[int] = set()  # label events whose label is in the session
        self._lock = threading.RLock()
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

    def _catch_up(self, read) -> bool:
        last = self.events[-1].seq if self.events else 0
        rows = read(
            "SELECT seq, kind, row_id, label, annotator, ts, model_version, strategy, score, "
            "target FROM events WHERE seq > ? ORDER BY seq",
            (last,),
        )
        for row in rows:
            self._apply(Event(*row))
        if rows:
            self.session.rescore()
        return bool(rows)

    def conflicts(self) -> dict[int, list[Event]]:
        """Per row, the labels that were saved but do not train the model.

        A row is in conflict when it got a label after it already had one (from another
        annotator, or from the dataset itself) and neither was undone.
        """
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

    def baseline(self, seeds: int = 10):
        """The random-sampling band for this project's chart, computed once and stored.

        Returns None when the data has no ground truth (no oracle to simulate with).
        Otherwise a ``Curve`` of ``seeds`` random runs from this project's own split and
        starting set, over its budget (100 queries when it has none).
        """
        from .compare import Curve, random_baseline

        if not self.dataset.fully_labeled:
            return None
        stored = self.store.read("SELECT value FROM meta WHERE key = 'baseline'")
        if stored:
            d = json.loads(stored[0][0])
            return Curve("random", np.asarray(d["n_labeled"]), np.asarray(d["accuracy"], float))
        config = self.session.config
        queries = min(config.budget or 100, self.session.n_unlabeled)
        curve = random_baseline(self.dataset, config, queries, seeds)
        payload = {"n_labeled": curve.n_labeled.tolist(), "accuracy": curve.accuracy.tolist()}
        with self._lock, self.store.write() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('baseline', ?)",
                (json.dumps(payload),),
            )
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
            conn.execute("DELETE FROM leases WHERE expires < ?", (now,))
            leases = conn.execute(
                "SELECT row_id, annotator, model_version, score FROM leases ORDER BY rank"
            ).fetchall()
            s = self.session
            free = s.labels == -1
            mine = [r for r in leases if r[1] == annotator and free[r[0]] and not s.skipped[r[0]]]
            if mine:
                mine = mine[:k]
                ids = np.array([r[0] for r in mine], dtype=np.int64)
                conn.execute(
                    f"UPDATE leases SET expires = ? WHERE row_id IN ({','.join('?' * ids.size)})",
                    (now + self.lease_seconds, *ids.tolist()),
                )
                scores = np.array([np.nan if r[3] is None else r[3] for r in mine])
                kind = (
                    "test"
                    if s.is_test[ids[0]]
                    else ("cold_start" if s.model is None else "strategy")
                )
                version = -1 if mine[0][2] is None else int(mine[0][2])
                return Query(ids, scores, kind, s.config.strategy, version)
            taken = [r[0] for r in leases if r[1] != annotator]
            conn.execute("DELETE FROM leases WHERE annotator = ?", (annotator,))
            query = s.query(k, exclude=taken)
            conn.executemany(
                "INSERT INTO leases (row_id, annotator, expires, model_version, score, rank) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (int(r), annotator, now + self.lease_seconds, query.model_version, _num(sc), i)
                    for i, (r, sc) in enumerate(zip(query.ids, query.scores, strict=True))
                ],
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
                conn.execute("DELETE FROM leases WHERE row_id = ?", (row_id,))
            conflict = bool(s.labels[row_id] != -1)
            before = len(s.history)
            self._apply(event)
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
                target = next(
                    (
                        e
                        for e in reversed(self.events)
                        if e.annotator == annotator
                        and e.kind in ("label", "skip")
                        and e.seq not in self._undone
                    ),
                    None,
                )
                if target is None:
                    raise NothingToUndoError(f"{annotator} has nothing to undo")
                event = self._insert(
                    conn, "undo", target.row_id, None, annotator, None, None, target.seq
                )
                # The row taken back is what the annotator sees next, so they can redo it.
                conn.execute(
                    "DELETE FROM leases WHERE annotator = ? OR row_id = ?",
                    (annotator, target.row_id),
                )
                conn.execute(
                    "INSERT INTO leases (row_id, annotator, expires, model_version, score, rank) "
                    "VALUES (?, ?, ?, ?, ?, -1)",
                    (
                        target.row_id,
                        annotator,
                        time.time() + self.lease_seconds,
                        target.model_version,
                        target.score,
                    ),
                )
            self._apply(event)
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
                    conn.execute("DELETE FROM leases WHERE row_id = ?", (row_id,))
                event = self._insert(conn, kind, row_id, None, annotator, *shown)
            self._apply(event)
            return Saved(event.seq)

    def _shown_as(self, conn, row_id: int) -> tuple[int, float | None]:
        """Model version and score the row was shown with (its lease), else current ones."""
        lease = conn.execute(
            "SELECT model_version, score FROM leases WHERE row_id = ?", (row_id,)
        ).fetchone()
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

    # ------------------------------------------------------------------- replaying
    def _apply(self, e: Event) -> None:
        """Apply one committed event to the in-memory state (live and replay alike)."""
        self.events.append(e)
        self._by_seq[e.seq] = e
        s = self.session
        if e.kind == "label":
            self._active.setdefault(e.row_id, []).append(e)
            if s.labels[e.row_id] == -1:  # else a conflict: saved, shown, not trained on
                s.label(e.row_id, e.label, rescore=False, score=_nan(e.score))
                self._applied.add(e.seq)
        elif e.kind == "skip":
            if s.labels[e.row_id] == -1:
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


def _check_annotator(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ConfigError("an annotator name is needed to save labels")
    return name[:80]


def _num(x) -> float | None:
    return None if x is None or (isinstance(x, float) and np.isnan(x)) else float(x)


def _nan(x) -> float:
    return float("nan") if x is None else float(x)
