"""Reading and writing event rows in a project file (the SQL side of the event log).

``eventlog`` applies events to a session in memory; this module is where they are
stored and read back. Every function runs on the caller's connection, inside its
transaction where it writes; the SQL is the part SQLite and PostgreSQL share.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import astuple, replace
from datetime import UTC, datetime

import numpy as np

from al_core.learning.history import HistoryPoint
from al_core.projects.eventlog import Event, EventKind
from al_core.projects.store import Connection

_COLUMNS = "kind, row_id, label, annotator, ts, model_version, strategy, score, target"


def now() -> str:
    """The time stamp events carry: UTC, ISO 8601, milliseconds."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def read_since(conn: Connection, seq: int) -> list[Event]:
    """The events committed after ``seq``, in log order."""
    rows = conn.execute(
        f"SELECT seq, {_COLUMNS} FROM events WHERE seq > ? ORDER BY seq", (seq,)
    ).fetchall()
    return [Event(*row) for row in rows]


def insert(
    conn: Connection,
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
    (seq,) = conn.execute(
        f"INSERT INTO events ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq",
        astuple(event)[1:],
    ).fetchone()
    return replace(event, seq=int(seq))


def read_points(conn: Connection, seq: int) -> dict[int, HistoryPoint]:
    """The learning-curve points saved for events after ``seq``, by event number.

    A point that cannot be read back is left out: it is computed again instead.
    """
    found = {}
    for number, text, blob in conn.execute(
        "SELECT seq, point, predictions FROM points WHERE seq > ?", (seq,)
    ).fetchall():
        try:
            d = json.loads(text)
            for key in ("queried_ids", "scores", "labels"):
                d[key] = tuple(d[key])
            predictions = (
                None if blob is None else np.frombuffer(zlib.decompress(blob), dtype=np.int32)
            )
            found[int(number)] = HistoryPoint(**d, stop_predictions=predictions)
        except (ValueError, TypeError, KeyError, zlib.error):
            continue
    return found


def save_point(conn: Connection, seq: int, point: HistoryPoint) -> None:
    """Keep the point an event made, so a replay need not refit to know it."""
    predictions = point.stop_predictions
    # A model mostly predicts a few classes: compressed, 1,000 predictions take a few
    # hundred bytes instead of 4 kB a label.
    blob = (
        None
        if predictions is None
        else zlib.compress(np.asarray(predictions, dtype=np.int32).tobytes(), 6)
    )
    conn.execute(
        "INSERT INTO points (seq, point, predictions) VALUES (?, ?, ?) ON CONFLICT (seq) "
        "DO UPDATE SET point = excluded.point, predictions = excluded.predictions",
        (seq, json.dumps(point.as_dict()), blob),
    )
