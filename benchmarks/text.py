"""A 100,000-row text pool beside a numeric pool of the same size: step time and memory.

``python -m benchmarks.text``: the text pool is 100,000 generated support tickets (the
built-in ``tickets`` generator, another seed) read through the loader (TF-IDF on the text,
one-hot channel, scaled tenure: a sparse CSR pool; four classes); the numeric pools are
100,000 x 20 ``make_classification``, with four classes (as the text) and with two (the
engine's fastest case). For each, a session with 200 labeled rows and logistic regression
takes labels from the ground truth; one step = query, label, refit, evaluate, score the
pool. Medians of ``steps`` steps, the two pools interleaved in one process; memory is the
pool's bytes (values and, for CSR, its index arrays) and the process's resident memory.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.datasets import make_classification

from al_core import SessionConfig, load_builtin
from al_core.data.builtin.make_tickets import rows
from al_core.data.datasets import Dataset
from al_core.data.tabular import frame_to_dataset
from al_core.learning.session import LabelingSession
from al_core.threads import pin_threads


def pool_bytes(X) -> int:
    """Bytes of a pool's arrays (CSR: values, column indices and row pointers)."""
    if sp.issparse(X):
        return int(X.data.nbytes + X.indices.nbytes + X.indptr.nbytes)
    return int(X.nbytes)


def resident_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 1e6


def _session(data) -> LabelingSession:
    config = SessionConfig(
        budget=None, initial_fraction=200 / (0.8 * data.n_samples), test_size=0.2, seed=0
    )
    return LabelingSession(data, config)


def _step(s: LabelingSession) -> float:
    t = time.perf_counter()
    row = int(s.query().ids[0])
    s.label(row, int(s.dataset.y[row]))
    return time.perf_counter() - t


def run(n: int = 100_000, steps: int = 30) -> dict:
    pin_threads(1)
    before = resident_mb()
    t = time.perf_counter()
    text = frame_to_dataset(
        pd.DataFrame(rows(n, seed=7)), "tickets_100k", "topic", text_columns=["text"]
    )
    load_s = time.perf_counter() - t
    after_text = resident_mb()
    numeric = load_builtin("synthetic_100k")
    X, y = make_classification(
        n, 20, n_informative=10, n_classes=4, n_clusters_per_class=1, random_state=0
    )
    four = Dataset(
        "numeric_4",
        np.ascontiguousarray(X),
        tuple(f"x{i}" for i in range(20)),
        ("a", "b", "c", "d"),
        y=y.astype(np.int64),
    )
    sessions = {"text": _session(text), "numeric": _session(numeric), "numeric_4": _session(four)}
    times: dict[str, list[float]] = {k: [] for k in sessions}
    for _ in range(steps):
        for name, s in sessions.items():
            times[name].append(_step(s))
    out = {"load_text_s": load_s, "rss_before_mb": before, "rss_after_text_mb": after_text}
    for name, s in sessions.items():
        X = s.dataset.X
        out[name] = {
            "shape": list(X.shape),
            "nnz": int(X.nnz) if sp.issparse(X) else int(X.size),
            "pool_mb": pool_bytes(X) / 1e6,
            "step_p50_ms": float(np.median(times[name]) * 1e3),
            "step_p90_ms": float(np.percentile(times[name], 90) * 1e3),
            "accuracy": s.accuracy,
        }
    return out


def table(r: dict) -> str:
    lines = [
        "| pool | shape | stored values | pool MB | step p50 ms | p90 ms | vs binary numeric |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    base = r["numeric"]["step_p50_ms"]
    for name in ("text", "numeric_4", "numeric"):
        v = r[name]
        lines.append(
            f"| {name} | {v['shape'][0]:,} x {v['shape'][1]:,} | {v['nnz']:,} | "
            f"{v['pool_mb']:.1f} | {v['step_p50_ms']:.1f} | {v['step_p90_ms']:.1f} | "
            f"{v['step_p50_ms'] / base:.2f}x |"
        )
    lines.append("")
    lines.append(
        f"Loading the text pool (reading 100,000 tickets, fitting TF-IDF): "
        f"{r['load_text_s']:.1f} s; resident memory {r['rss_before_mb']:.0f} MB before, "
        f"{r['rss_after_text_mb']:.0f} MB after."
    )
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--steps", type=int, default=30)
    args = parser.parse_args()
    print(table(run(args.rows, args.steps)))
