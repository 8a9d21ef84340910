"""Labels outlive crashes, and several processes and threads share one project safely."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np

from al_core import SessionConfig
from al_core.projects.project import Project
from al_core.projects.sources import DataSource
from al_core.projects.store import SUFFIX

WORKER = Path(__file__).with_name("label_worker.py")
ROOT = WORKER.parent.parent


def spawn(*args):
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
    }
    return subprocess.Popen(
        [sys.executable, str(WORKER), *map(str, args)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def state(project):
    s = project.session
    history = [[p.n_labeled, p.accuracy, list(p.queried_ids), list(p.labels)] for p in s.history]
    return s.labels.tolist(), history


def test_every_acknowledged_label_survives_sigkill(place):
    Project.create(
        "crash", DataSource("builtin", "tutorial"), SessionConfig(budget=None), **place
    ).close()
    proc = spawn("ack", place.get("folder") or place["url"], "crash")
    acked = []
    try:
        while len(acked) < 25:
            line = proc.stdout.readline()
            assert line, proc.stderr.read()
            acked.append(tuple(int(v) for v in line.split()[1:]))
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    if "folder" in place:
        path = place["folder"] / f"crash{SUFFIX}"
        assert sqlite3.connect(path).execute("PRAGMA integrity_check").fetchone() == ("ok",)
    project = Project.open("crash", **place)
    labels = project.session.labels
    assert all(labels[row] == label for row, label in acked)
    assert project.session.n_queried >= len(acked)


def test_eight_threads_in_two_processes_label_500_rows_without_losing_or_doubling(place):
    Project.create(
        "crowd", DataSource("builtin", "tutorial"), SessionConfig(budget=None), **place
    ).close()
    quotas = ["63,63,62,62", "63,63,62,62"]
    procs = [
        spawn("crowd", place.get("folder") or place["url"], "crowd", tag, 4, q)
        for tag, q in zip("AB", quotas, strict=True)
    ]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        results.append(json.loads(out))
    assert [e for r in results for e in r["errors"]] == []
    log = [entry for r in results for entry in r["log"]]
    assert len(log) == 500
    rows = [entry["row"] for entry in log]
    assert len(set(rows)) == 500, "a row was handed to two annotators"
    assert not any(entry["conflict"] for entry in log)
    assert len({entry["who"] for entry in log}) == 8

    replay = Project.open("crowd", **place)
    labels = replay.session.labels
    assert replay.session.n_queried == 500 and not replay.conflicts()
    y = replay.dataset.y
    assert np.array_equal(labels[rows], y[rows])
    # Each process, having applied the others' events live, holds the replay's state.
    for r in results:
        assert (r["labels"], r["history"]) == state(replay)
    events = replay.events
    assert [e.seq for e in events] == sorted(e.seq for e in events)
    assert len(replay.session.history) == 501
