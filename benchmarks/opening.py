"""Opening a project: how long a replay of its log takes, with and without saved points.

``python -m benchmarks opening``: a ``synthetic_100k`` project labeled by the simulated
oracle to 1,000 and 10,000 events; the median time to open it (three opens) when each
event's learning-curve point is saved with it (one refit), and, for 1,000 events, when
the points are gone and every event is refitted as before.
"""

from __future__ import annotations

import sqlite3
import tempfile
import time
from pathlib import Path

from al_core import SessionConfig
from al_core.projects.oracle import oracle_labels
from al_core.projects.project import Project
from al_core.projects.sources import DataSource
from al_core.projects.store import SUFFIX

from .timing import summarize

SIZES = (1_000, 10_000)
WITHOUT_POINTS = 1_000  # larger logs take minutes to refit per event


def _open_times(folder: Path, repeats: int = 3) -> list[float]:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        Project.open("bench", folder=folder).close()
        times.append(time.perf_counter() - t0)
    return times


def run() -> dict:
    out = {}
    for n in SIZES:
        folder = Path(tempfile.mkdtemp())
        config = SessionConfig(initial_fraction=0.001, budget=None)
        p = Project.create("bench", DataSource("builtin", "synthetic_100k"), config, folder=folder)
        t0 = time.perf_counter()
        oracle_labels(p, n)
        build = time.perf_counter() - t0
        p.close()
        row = {"events": n, "labeling_s": build, "open_s": summarize(_open_times(folder))}
        if n <= WITHOUT_POINTS:
            with sqlite3.connect(folder / f"bench{SUFFIX}") as db:
                db.execute("DELETE FROM points")
            db.close()
            row["open_without_points_s"] = summarize(_open_times(folder, repeats=1))
        out[str(n)] = row
    return out


def table(result: dict) -> str:
    lines = [
        "| events | labeling them live (s) | open, points saved (median s) "
        "| open, refit per event (s) |",
        "|---|---|---|---|",
    ]
    for n, r in result.items():
        without = r.get("open_without_points_s")
        lines.append(
            f"| {int(n):,} | {r['labeling_s']:.1f} | {r['open_s']['p50_ms'] / 1e3:.2f} "
            f"| {'-' if without is None else format(without['p50_ms'] / 1e3, '.2f')} |"
        )
    return "\n".join(lines)
