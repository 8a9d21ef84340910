"""Scoring a 10-class pool: from the probabilities (before) and class by class (now).

``python -m benchmarks.multiclass``: 100,000 x 20, float64 and float32, logistic
regression on 200 rows, the pool scored in 65,536-row chunks as the session does; medians
of 15 interleaved runs in one process, with one read of the pool (its sum) beside them,
and a check that both give the same scores bit for bit.
"""

from __future__ import annotations

import time

import numpy as np
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression

from al_core.learning.models import predict_proba_fast
from al_core.learning.scoring import rank_pool
from al_core.learning.strategies import SCORERS
from al_core.threads import pin_threads

CHUNK = 65_536


def _from_probabilities(model, X, strategy: str) -> np.ndarray:
    rank = np.empty(len(X))
    for s in range(0, len(X), CHUNK):
        rank[s : s + CHUNK] = SCORERS[strategy](predict_proba_fast(model, X[s : s + CHUNK]))
    return rank


def run(n: int = 100_000, n_classes: int = 10, repeats: int = 15) -> dict:
    pin_threads(1)
    X, y = make_classification(
        n, 20, n_informative=10, n_classes=n_classes, n_clusters_per_class=1, random_state=0
    )
    out = {}
    for dtype in (np.float64, np.float32):
        Xd = np.ascontiguousarray(X, dtype=dtype)
        model = LogisticRegression(max_iter=300).fit(Xd[:200], y[:200])
        for strategy in ("least_confidence", "margin", "entropy"):
            before, now, read = [], [], []
            for _ in range(repeats):
                t = time.perf_counter()
                a = _from_probabilities(model, Xd, strategy)
                before.append(time.perf_counter() - t)
                t = time.perf_counter()
                rng = np.random.default_rng(0)
                b, _ = rank_pool(model, Xd, strategy, (), CHUNK, rng)
                now.append(time.perf_counter() - t)
                t = time.perf_counter()
                Xd.sum()
                read.append(time.perf_counter() - t)
            out[f"{strategy}, {np.dtype(dtype).name}"] = {
                "before_ms": float(np.median(before) * 1e3),
                "now_ms": float(np.median(now) * 1e3),
                "read_ms": float(np.median(read) * 1e3),
                "identical": bool(np.array_equal(a, b)),
            }
    return out


def table(r: dict) -> str:
    lines = [
        "| strategy, pool | from probabilities | class by class | ratio | one read | same scores |"
    ]
    lines.append("|---|---:|---:|---:|---:|---|")
    for name, v in r.items():
        lines.append(
            f"| {name} | {v['before_ms']:.1f} ms | {v['now_ms']:.1f} ms | "
            f"{v['before_ms'] / v['now_ms']:.2f}x | {v['read_ms']:.1f} ms | {v['identical']} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    print(table(run()))
