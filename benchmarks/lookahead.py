"""A label's answer with the next step computed ahead, against computing it on the press.

``python -m benchmarks.lookahead``: for a two-class synthetic pool of 100,000 and
1,000,000 rows (float32 above 100,000, as projects are), a project is labeled the way
the Label page does it: ``next_for`` (with ``look_ahead=True`` on every other label),
then, once the thread's work is done, ``label`` and the next ``next_for``. The time of
that label and that next is what a key press waits for on the server. Both ways
alternate in one process, so machine noise hits them alike.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from al_core import SessionConfig
from al_core.projects.project import Project
from al_core.projects.sources import DataSource
from al_core.threads import pin_threads

from .timing import machine, summarize

POOLS = {"synthetic_100k": 100_000, "synthetic_1m": 1_000_000}
LABELS, WARMUP = 40, 4


def run() -> dict:
    pin_threads(1)
    folder = Path(tempfile.mkdtemp())
    out: dict = {"machine": machine(), "pools": {}}
    for name, n in POOLS.items():
        config = SessionConfig(budget=None, initial_fraction=200 / (0.9 * n))
        project = Project.create(name, DataSource("builtin", name), config, folder=folder)
        y = project.dataset.y
        times: dict[bool, list[float]] = {True: [], False: []}
        for i in range(LABELS + WARMUP):
            ahead = i % 2 == 0
            row = int(project.next_for("bench", look_ahead=ahead).ids[0])
            job = project.session.lookahead_for(row)
            if job is not None:
                job.finished.wait()
            t0 = time.perf_counter()
            project.label("bench", row, int(y[row]), on_screen=True)
            project.next_for("bench")
            if i >= WARMUP:
                times[ahead].append(time.perf_counter() - t0)
        taken = project.session.looked_ahead
        project.close()
        a, b = summarize(times[True]), summarize(times[False])
        out["pools"][name] = {
            "rows": n,
            "ahead": a,
            "on_press": b,
            "steps_taken": taken,
            "ratio_p50": b["p50_ms"] / a["p50_ms"],
        }
    return out


def table(r: dict) -> str:
    lines = [
        "| pool | computed on the press p50 ms | p90 | computed ahead p50 ms | p90 | quicker |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for v in r["pools"].values():
        lines.append(
            f"| {v['rows']:,} rows | {v['on_press']['p50_ms']:.1f} | "
            f"{v['on_press']['p90_ms']:.1f} | {v['ahead']['p50_ms']:.1f} | "
            f"{v['ahead']['p90_ms']:.1f} | {v['ratio_p50']:.1f}x |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    print(table(run()))
