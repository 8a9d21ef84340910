"""10,000,000 rows x 20 from a Parquet file on the server: memory, engine step, key press.

``python -m benchmarks.big [--rows N]``: writes a two-class ``make_classification`` pool as
float32 Parquet in a scratch folder, creates a project on it with ``DataSource("server",
path)`` (the file is read in place, never copied), then measures:

- the engine step (query, label, refit on about 200 labels, evaluate, score the pool)
  against its floor (the same fit plus one read of the pool: ``X @ w``), medians in one
  process, interleaved;
- the app server's resident memory with 4 browser sessions open on the project, against
  the pool's bytes;
- the key press to next sample in headless Chromium, against the bare Streamlit page.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from playwright.sync_api import sync_playwright
from sklearn.datasets import make_classification

from al_core import SessionConfig
from al_core.learning.models import fit_model
from al_core.projects.project import Project
from al_core.projects.sources import DataSource
from al_core.threads import pin_threads
from tests.browser.harness import Server, launch, sample_id, wait_ready

from .click import press_latency, rss_mb
from .timing import summarize


def write_pool(path: Path, n: int, seed: int = 0) -> None:
    X, y = make_classification(
        n, 20, n_informative=10, n_clusters_per_class=1, flip_y=0.05, random_state=seed
    )
    frame = pd.DataFrame(X.astype(np.float32), columns=[f"x{i}" for i in range(20)])
    del X
    frame["label"] = np.where(y == 1, "yes", "no")
    frame.to_parquet(path, index=False)


def engine(project: Project, steps: int) -> dict:
    s = project.session
    X, truth = project.dataset.X, project.dataset.y
    ours, floor = [], []
    for _ in range(steps):
        t = time.perf_counter()
        row = int(s.query().ids[0])
        s.label(row, int(truth[row]))
        ours.append(time.perf_counter() - t)
        t = time.perf_counter()
        train = s.train_ids
        model = fit_model(s.estimator, X[train], s.labels[train])
        _ = X @ model.coef_[0].astype(X.dtype)
        floor.append(time.perf_counter() - t)
    a, b = summarize(ours), summarize(floor)
    return {"ours": a, "floor": b, "ratio_p50": a["p50_ms"] / b["p50_ms"]}


def run(n: int, steps: int, presses: int) -> dict:
    pin_threads(1)
    scratch = Path(tempfile.mkdtemp())
    path = scratch / "pool.parquet"
    t = time.perf_counter()
    write_pool(path, n)
    out: dict = {"rows": n, "file_mb": path.stat().st_size / 1e6}
    out["write_s"] = time.perf_counter() - t
    folder = scratch / "projects"
    config = SessionConfig(budget=None, initial_fraction=200 / (0.7 * n))
    source = DataSource("server", str(path), label_column="label")
    t = time.perf_counter()
    project = Project.create("big", source, config, folder=folder)
    out["create_s"] = time.perf_counter() - t
    X = project.dataset.X
    out["pool_mb"] = X.nbytes / 1e6
    out["dtype"] = str(X.dtype)
    out["engine"] = engine(project, steps)
    t = time.perf_counter()
    project.baseline()  # computed now, so no background work competes with the timing
    out["baseline_s"] = time.perf_counter() - t
    project.close()
    del project, X

    app = Server(folder).start()
    bare = Server(scratch / "bare", script=Path(__file__).with_name("bare_app.py")).start()
    try:
        with sync_playwright() as p:
            browser = launch(p)
            pages = []
            t = time.perf_counter()
            for i in range(4):
                page = browser.new_page()
                page.goto(f"{app.url}/?project=big&annotator=a{i}")
                sample_id(page, timeout=600_000)
                wait_ready(page)
                pages.append(page)
            out["first_open_s"] = time.perf_counter() - t
            out["server_rss_mb"] = rss_mb(app.proc.pid)
            bare_page = browser.new_page()
            bare_page.goto(bare.url)
            wait_ready(bare_page)
            ours, floor = [], []
            for i in range(presses + 3):
                a, b = press_latency(pages[0]), press_latency(bare_page)
                if i >= 3:
                    ours.append(a)
                    floor.append(b)
            out["click"] = {"app": summarize(ours), "bare": summarize(floor)}
            out["click"]["ratio_p50"] = (
                out["click"]["app"]["p50_ms"] / (out["click"]["bare"]["p50_ms"])
            )
            out["server_rss_after_mb"] = rss_mb(app.proc.pid)
            browser.close()
    finally:
        app.stop()
        bare.stop()
    out["rss_vs_pool"] = out["server_rss_after_mb"] / out["pool_mb"]
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--presses", type=int, default=15)
    args = parser.parse_args()
    result = run(args.rows, args.steps, args.presses)
    print(json.dumps(result, indent=1))
