"""Many annotators at once: threads sharing one ``Project``, as browser sessions of one
server process do. Used by ``tests/test_load.py`` (which checks behaviour) and by
``python -m benchmarks load`` (which reports labels per second and save latency).
"""

from __future__ import annotations

import tempfile
import threading
import time
from pathlib import Path

from al_core import SessionConfig
from al_core.projects.project import Project
from al_core.projects.sources import DataSource

from .timing import summarize


def run_load(
    folder: Path, annotators: int = 20, labels: int = 2_000, seconds: float = 60.0
) -> dict:
    """``annotators`` threads label a 10,000-row pool until ``labels`` or ``seconds``.

    Returns the acknowledged ``(row, label)`` pairs, the save times (seconds, one per
    acknowledged label), the errors raised in threads, and the elapsed time.
    """
    Project.create(
        "load",
        DataSource("builtin", "synthetic_10k"),
        SessionConfig(budget=None, initial_fraction=200 / 9_000),
        folder=folder,
    ).close()
    project = Project.open("load", folder=folder)
    y = project.dataset.y
    acks: list[tuple[int, int]] = []
    saves: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    deadline = time.time() + seconds

    def work(who: str) -> None:
        try:
            while time.time() < deadline:
                with lock:
                    if len(acks) >= labels:
                        return
                row = int(project.next_for(who).ids[0])
                t0 = time.perf_counter()
                project.label(who, row, int(y[row]))
                took = time.perf_counter() - t0
                with lock:
                    acks.append((row, int(y[row])))
                    saves.append(took)
        except Exception as exc:  # reported, and the test fails on it
            errors.append(f"{who}: {type(exc).__name__}: {exc}")

    start = time.perf_counter()
    threads = [threading.Thread(target=work, args=(f"annotator-{i}",)) for i in range(annotators)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    project.close()
    return {"acks": acks, "saves": saves, "errors": errors, "elapsed": elapsed}


def run() -> dict:
    r = run_load(Path(tempfile.mkdtemp()))
    return {
        "annotators": 20,
        "labels": len(r["acks"]),
        "seconds": r["elapsed"],
        "labels_per_second": len(r["acks"]) / r["elapsed"],
        "save": summarize(r["saves"]),
        "errors": len(r["errors"]),
    }


def table(r: dict) -> str:
    s = r["save"]
    return (
        f"{r['annotators']} annotator threads on one project (10,000-row pool): "
        f"{r['labels']} labels in {r['seconds']:.1f} s = **{r['labels_per_second']:.0f} labels/s**; "
        f"time to save one label (wait for the lock + write + refit + rescore): "
        f"p50 {s['p50_ms']:.1f} ms, p90 {s['p90_ms']:.1f} ms, p99 {s['p99_ms']:.1f} ms; "
        f"errors: {r['errors']}."
    )
