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
    place: Path | dict,
    annotators: int = 20,
    labels: int = 2_000,
    seconds: float = 60.0,
    servers: int = 1,
) -> dict:
    """``annotators`` threads label a 10,000-row pool until ``labels`` or ``seconds``.

    ``place``: a projects folder, or ``Project.create`` arguments (``{"url": ...}`` for
    PostgreSQL). ``servers``: how many ``Project`` objects share the work (each is what
    one app server process holds), the threads spread over them.

    Returns the acknowledged ``(row, label)`` pairs, the save times (seconds, one per
    acknowledged label), the errors raised in threads, and the elapsed time.
    """
    where = place if isinstance(place, dict) else {"folder": place}
    Project.create(
        "load",
        DataSource("builtin", "synthetic_10k"),
        SessionConfig(budget=None, initial_fraction=200 / 9_000),
        **where,
    ).close()
    projects = [Project.open("load", **where) for _ in range(servers)]
    y = projects[0].dataset.y
    acks: list[tuple[int, int]] = []
    saves: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    deadline = time.time() + seconds

    def work(who: str, project: Project) -> None:
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
    threads = [
        threading.Thread(target=work, args=(f"annotator-{i}", projects[i % servers]))
        for i in range(annotators)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    for project in projects:
        project.close()
    return {"acks": acks, "saves": saves, "errors": errors, "elapsed": elapsed}


def _summary(r: dict, annotators: int, store: str) -> dict:
    return {
        "store": store,
        "annotators": annotators,
        "labels": len(r["acks"]),
        "seconds": r["elapsed"],
        "labels_per_second": len(r["acks"]) / r["elapsed"],
        "save": summarize(r["saves"]),
        "errors": len(r["errors"]),
    }


def run() -> dict:
    """SQLite (one server's threads), then PostgreSQL (two servers' worth of threads)."""
    results = {"sqlite": _summary(run_load(Path(tempfile.mkdtemp())), 20, "SQLite file")}
    from tests.pg_server import TempPostgres, binaries

    if binaries() is not None:
        server = TempPostgres().start()
        try:
            r = run_load({"url": server.new_database()}, annotators=40, servers=2)
            results["postgresql"] = _summary(r, 40, "PostgreSQL, 2 servers x 20")
        finally:
            from al_core.projects.pgstore import close_pools

            close_pools()
            server.stop()
    return results


def table(results: dict) -> str:
    lines = [
        "| store | annotator threads | labels | labels/s | save p50 | p90 | p99 | errors |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results.values():
        s = r["save"]
        lines.append(
            f"| {r['store']} | {r['annotators']} | {r['labels']} | "
            f"{r['labels_per_second']:.0f} | {s['p50_ms']:.1f} ms | {s['p90_ms']:.1f} ms | "
            f"{s['p99_ms']:.1f} ms | {r['errors']} |"
        )
    return "\n".join(lines) + (
        "\n\nTime to save one label: wait for the project's lock, write, refit, rescore."
    )
