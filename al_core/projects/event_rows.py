"""Reading and writing event rows in a project file (the SQL side of the event log).

``eventlog`` applies events to a session in memory; this module is where they are
stored and read back. Every function runs on the caller's connection, inside its
transaction where it writes.
"""

from __future__ import annotations

import sqlite3
from dataclasses import astuple, replace
from datetime import UTC, datetime

from al_core.projects.eventlog import Event, EventKind

_COLUMNS = "kind, row_id, label, annotator, ts, model_version, strategy, score, target"


def now() -> str:
    """The time stamp events carry: UTC, ISO 8601, milliseconds."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def read_since(conn: sqlite3.Connection, seq: int) -> list[Event]:
    """The events committed after ``seq``, in log order."""
    rows = conn.execute(
        f"SELECT seq, {_COLUMNS} FROM events WHERE seq > ? ORDER BY seq", (seq,)
    ).fetchall()
    return [Event(*row) for row in rows]


def insert(
    conn: sqlite3.Connection,
    kind: EventKind,
    row_id: int | None,
    label: int | None,
    annotator: str,
    model_version: int | None,
    strategy: str,
    score: float | None,
    target: int | None = None,
) -> Event:
    """Append one event; returns it with its number in the log."""
    event = Event(
        None, kind, row_id, label, annotator, now(), model_version, strategy, score, target
    )
    cur = conn.execute(
        f"INSERT INTO events ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        astuple(event)[1:],
    )
    return replace(event, seq=cur.lastrowid)
