"""Moving a project between stores: a SQLite file and a PostgreSQL database, either way.

Everything durable is copied as it is (settings, the uploaded file, every event with its
number, the saved curve points); leases are not (they run out within minutes anyway).
The copy is then opened, replayed, and compared with the original: the same labels, the
same learning curve and the same next query, or the copy is deleted and the move refused.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from al_core.errors import ConfigError, ProjectError
from al_core.projects.location import create_store
from al_core.projects.project import Project

_EVENT_COLUMNS = "seq, kind, row_id, label, annotator, ts, model_version, strategy, score, target"


class MigrationError(ProjectError):
    """The copy did not replay to the original; it was removed, the original is intact."""


@dataclass(frozen=True)
class Migrated:
    name: str
    events: int
    labels: int
    points: int


def place_of(where: str) -> dict[str, Any]:
    """``Project.open`` arguments for a ``postgresql://`` URL or a projects folder."""
    if where.startswith(("postgresql://", "postgres://")):
        return {"url": where}
    if "://" in where:
        raise ConfigError(
            f"{where.split('://')[0]}:// is not a place for projects: give a postgresql:// "
            "URL or a folder"
        )
    return {"folder": Path(where)}


def migrate(name: str, source: dict[str, Any], target: dict[str, Any]) -> Migrated:
    """Copy project ``name`` from ``source`` to ``target`` (``Project.open`` arguments).

    Raises
    ------
    ProjectExistsError
        If ``target`` has a project of that name already (never overwritten).
    MigrationError
        If the copy does not replay to the same labels, curve and next query.
    """
    original = Project.open(name, **source)
    try:
        with original.reading(), original.store.reading() as conn:
            meta = {k: json.loads(v) for k, v in conn.execute("SELECT key, value FROM meta")}
            blobs = conn.execute("SELECT hash, name, content FROM blobs").fetchall()
            events = conn.execute(f"SELECT {_EVENT_COLUMNS} FROM events ORDER BY seq").fetchall()
            points = conn.execute("SELECT seq, point, predictions FROM points").fetchall()
        content = bytes(blobs[0][2]) if blobs else None
        content_id = (blobs[0][0], blobs[0][1]) if blobs else None
        store = create_store(original.name, meta, content, content_id, **target)
        try:
            with store.write() as out:
                out.executemany(
                    f"INSERT INTO events ({_EVENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [tuple(e) for e in events],
                )
                out.executemany(
                    "INSERT INTO points (seq, point, predictions) VALUES (?, ?, ?)",
                    [(s, p, None if b is None else bytes(b)) for s, p, b in points],
                )
                if events and "url" in target:  # the sequence goes on after the copied numbers
                    out.execute(
                        "SELECT setval(pg_get_serial_sequence('events', 'seq'), ?)",
                        (max(e[0] for e in events),),
                    )
            store.close()
            _check_same(original, Project.open(original.name, **target))
        except BaseException:
            _remove(original.name, target)
            raise
        return Migrated(original.name, len(events), original.session.n_labeled, len(points))
    finally:
        original.close()


def _check_same(original: Project, copy: Project) -> None:
    try:
        a, b = original.session, copy.session
        curve = [(p.n_labeled, p.accuracy) for p in a.history]
        if not np.array_equal(a.labels, b.labels):
            raise MigrationError("the copy replays to other labels; it was removed")
        if curve != [(p.n_labeled, p.accuracy) for p in b.history]:
            raise MigrationError("the copy replays to another learning curve; it was removed")
        if a.phase != "done" and not np.array_equal(a.query().ids, b.query().ids):
            raise MigrationError("the copy would ask for another row next; it was removed")
    finally:
        copy.close()


def _remove(name: str, target: dict[str, Any]) -> None:
    if "url" in target:
        from al_core.projects.pgstore import drop_project

        with contextlib.suppress(Exception):
            drop_project(target["url"], name)
    else:
        from al_core.projects.store import project_path

        with contextlib.suppress(OSError):
            project_path(name, target["folder"]).unlink()
