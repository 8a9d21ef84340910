"""How fast one annotator can save labels: ``Project.label`` end to end (fsync included).

Baseline in the same process: a bare SQLite INSERT + COMMIT with the same durability
settings (WAL, synchronous=FULL), the floor that any durable save pays.
"""

from __future__ import annotations

import sqlite3
import tempfile
import time
from pathlib import Path

from al_core import SessionConfig
from al_core.projects.project import Project
from al_core.projects.sources import DataSource

from .timing import summarize


def bare_sqlite_commits(folder: Path, n: int) -> list[float]:
    db = sqlite3.connect(folder / "bare.sqlite", isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("CREATE TABLE e (seq INTEGER PRIMARY KEY, row INTEGER, label INTEGER)")
    out = []
    for i in range(n):
        t0 = time.perf_counter()
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO e (row, label) VALUES (?, ?)", (i, i % 2))
        db.execute("COMMIT")
        out.append(time.perf_counter() - t0)
    return out


def catch_up_saves(rounds: int = 3, others: int = 50) -> list[float]:
    """A label's save time when another process labeled ``others`` rows meanwhile, with
    the slowest built-in model (random forest): the save first applies those labels."""
    folder = Path(tempfile.mkdtemp())
    config = SessionConfig(model="random_forest", budget=None)
    idle = Project.create("rf", DataSource("builtin", "tutorial"), config, folder=folder)
    busy = Project.open("rf", folder=folder)
    y = idle.dataset.y
    out = []
    for _ in range(rounds):
        for _ in range(others):
            row = int(busy.next_for("busy").ids[0])
            busy.label("busy", row, int(y[row]))
        t0 = time.perf_counter()
        row = int(idle.next_for("idle").ids[0])
        idle.label("idle", row, int(y[row]))
        out.append(time.perf_counter() - t0)
    return out


def run(n: int = 200) -> dict:
    folder = Path(tempfile.mkdtemp())
    project = Project.create(
        "bench", DataSource("builtin", "tutorial"), SessionConfig(budget=None), folder=folder
    )
    y = project.dataset.y
    label_s, next_s = [], []
    bare = bare_sqlite_commits(folder, n)
    for _ in range(n):
        t0 = time.perf_counter()
        row = int(project.next_for("bench").ids[0])
        t1 = time.perf_counter()
        project.label("bench", row, int(y[row]))
        t2 = time.perf_counter()
        next_s.append(t1 - t0)
        label_s.append(t2 - t1)
    label, nxt, floor = summarize(label_s), summarize(next_s), summarize(bare)
    cycle = [a + b for a, b in zip(label_s, next_s, strict=True)]
    return {
        "label": label,
        "next_for": nxt,
        "bare_sqlite_commit": floor,
        "labels_per_second": float(len(cycle) / sum(cycle)),
        "label_vs_bare_commit_p50": label["p50_ms"] / floor["p50_ms"],
        "catch_up_random_forest": summarize(catch_up_saves()),
    }


def table(r: dict) -> str:
    rows = [
        ("Project.label (save + refit + rescore)", r["label"]),
        ("Project.next_for (lease the next row)", r["next_for"]),
        ("bare SQLite INSERT+COMMIT (floor)", r["bare_sqlite_commit"]),
    ]
    if "catch_up_random_forest" in r:
        rows.append(
            (
                "next + label after 50 labels by another process (random forest)",
                r["catch_up_random_forest"],
            )
        )
    out = ["| operation | p50 ms | p90 ms | p99 ms |", "|---|---:|---:|---:|"]
    out += [
        f"| {name} | {s['p50_ms']:.2f} | {s['p90_ms']:.2f} | {s['p99_ms']:.2f} |"
        for name, s in rows
    ]
    out.append(
        f"\nOne annotator, tutorial dataset: **{r['labels_per_second']:.0f} labels/s** "
        f"(lease + save + refit + rescore per label); a save costs "
        f"{r['label_vs_bare_commit_p50']:.1f}x a bare durable commit."
    )
    return "\n".join(out)
