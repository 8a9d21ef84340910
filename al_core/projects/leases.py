"""Leases: which rows are being shown to whom, so that nobody else is shown them.

A lease keeps a row for one annotator until it is labeled, skipped or the lease runs
out. It also remembers the model version and score the row was shown with, which the
label event records. Every function runs inside the caller's write transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from al_core.projects.store import Connection


@dataclass(frozen=True)
class Lease:
    row_id: int
    annotator: str
    model_version: int | None
    score: float | None


def live(conn: Connection, now: float) -> list[Lease]:
    """Drop the leases that ran out; the rest, in the order they were granted."""
    conn.execute("DELETE FROM leases WHERE expires < ?", (now,))
    rows = conn.execute(
        "SELECT row_id, annotator, model_version, score FROM leases ORDER BY rank"
    ).fetchall()
    return [Lease(*r) for r in rows]


def renew(conn: Connection, row_ids: list[int], until: float) -> None:
    marks = ",".join("?" * len(row_ids))
    conn.execute(f"UPDATE leases SET expires = ? WHERE row_id IN ({marks})", (until, *row_ids))


def grant(
    conn: Connection,
    annotator: str,
    row_ids: list[int],
    scores: list[float | None],
    model_version: int | None,
    until: float,
    first_rank: int = 0,
) -> None:
    """Lease rows to one annotator (replacing any lease on them)."""
    conn.executemany(
        "INSERT INTO leases (row_id, annotator, expires, model_version, score, rank) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (row_id) DO UPDATE SET "
        "annotator = excluded.annotator, expires = excluded.expires, "
        "model_version = excluded.model_version, score = excluded.score, rank = excluded.rank",
        [
            (row, annotator, until, model_version, score, first_rank + i)
            for i, (row, score) in enumerate(zip(row_ids, scores, strict=True))
        ],
    )


def release_annotator(conn: Connection, annotator: str) -> None:
    conn.execute("DELETE FROM leases WHERE annotator = ?", (annotator,))


def release_row(conn: Connection, row_id: int) -> None:
    conn.execute("DELETE FROM leases WHERE row_id = ?", (row_id,))


def holder(conn: Connection, row_id: int, now: float) -> str | None:
    """Who holds a live lease on the row, if anyone."""
    found = conn.execute(
        "SELECT annotator FROM leases WHERE row_id = ? AND expires >= ?", (row_id, now)
    ).fetchone()
    return None if found is None else str(found[0])


def on_screens(conn: Connection, now: float) -> dict[str, int]:
    """The row each annotator is being shown now (their first-ranked live lease)."""
    rows = conn.execute(
        "SELECT annotator, row_id FROM leases WHERE expires >= ? ORDER BY rank DESC", (now,)
    ).fetchall()
    return {str(who): int(row) for who, row in rows}  # later rows (lower rank) win


def shown_as(conn: Connection, row_id: int) -> tuple[int | None, float | None] | None:
    """(model_version, score) the row's lease was granted with, if it has one."""
    return conn.execute(
        "SELECT model_version, score FROM leases WHERE row_id = ?", (row_id,)
    ).fetchone()
