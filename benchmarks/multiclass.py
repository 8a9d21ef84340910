"""Scoring a 10-class pool: from the probabilities, class by class, and screened.

``python -m benchmarks.multiclass``: 100,000 x 20, float64 and float32, logistic
regression on 200 rows, the pool scored in 65,536-row chunks as the session does; medians
of 15 interleaved runs in one process, with one read of the pool (its sum) beside them,
a check that the first two give the same scores bit for bit, and one that the screen
(``al_core.learning.screening``) chooses the same 1, 10 and 100 rows as the
class-by-class scores, keyed as a session keys them for a query of that many
(``screen_top``), with its keys at or above its cut equal to them. Where the screen does
not apply (a float32 pool where it was not quicker: margin and entropy, and every
strategy where numpy has AVX-512 exponentials; a pool whose BLAS rounds gathered rows
otherwise) the screened column is the exact scoring again and says so.
"""

from __future__ import annotations

import time

import numpy as np
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression

from al_core.learning.models import predict_proba_fast
from al_core.learning.scoring import rank_pool
from al_core.learning.screening import screen_top
from al_core.learning.strategies import SCORERS, select_top_k
from al_core.threads import pin_threads

CHUNK = 65_536


def _from_probabilities(model, X, strategy: str) -> np.ndarray:
    rank = np.empty(len(X))
    for s in range(0, len(X), CHUNK):
        rank[s : s + CHUNK] = SCORERS[strategy](predict_proba_fast(model, X[s : s + CHUNK]))
    return rank


def _same_choice(model, X, strategy: str, exact: np.ndarray, k: int) -> bool:
    """The screen's choice of k rows, keyed as for a query of k, against the exact one."""
    keys, cut = rank_pool(
        model,
        X,
        strategy,
        (),
        CHUNK,
        np.random.default_rng(0),
        screen=True,
        screen_top=screen_top(k, 0),
    )
    above = keys >= cut
    return bool(
        np.array_equal(keys[above], exact[above])
        and np.array_equal(above, exact >= cut)
        and np.array_equal(select_top_k(exact, k, 1), select_top_k(keys, k, 1))
    )


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
            before, now, screened, read = [], [], [], []
            for _ in range(repeats):
                t = time.perf_counter()
                a = _from_probabilities(model, Xd, strategy)
                before.append(time.perf_counter() - t)
                t = time.perf_counter()
                b, _ = rank_pool(model, Xd, strategy, (), CHUNK, np.random.default_rng(0))
                now.append(time.perf_counter() - t)
                t = time.perf_counter()
                c, cut = rank_pool(
                    model, Xd, strategy, (), CHUNK, np.random.default_rng(0), screen=True
                )
                screened.append(time.perf_counter() - t)
                t = time.perf_counter()
                Xd.sum()
                read.append(time.perf_counter() - t)
            above = c >= cut
            # A query of k rows has the screen key k rows more exactly (``screen_top``),
            # as a session asks it to; its choice must be the exact one.
            same_choice = all(_same_choice(model, Xd, strategy, b, k) for k in (1, 10, 100))
            out[f"{strategy}, {np.dtype(dtype).name}"] = {
                "before_ms": float(np.median(before) * 1e3),
                "now_ms": float(np.median(now) * 1e3),
                "screened_ms": float(np.median(screened) * 1e3),
                "read_ms": float(np.median(read) * 1e3),
                "identical": bool(np.array_equal(a, b)),
                "exact_rows": int(above.sum()),
                "applies": bool(cut > -np.inf),
                "same_choice": bool(
                    np.array_equal(c[above], b[above])
                    and np.array_equal(above, b >= cut)
                    and same_choice
                ),
            }
    return out


def table(r: dict) -> str:
    lines = [
        "| strategy, pool | from probabilities | class by class | screened | one read "
        "| same scores | rows at or above the cut | same choice |"
    ]
    lines.append("|---|---:|---:|---:|---:|---|---:|---|")
    for name, v in r.items():
        screened, rows = (
            (f"{v['screened_ms']:.1f} ms", f"{v['exact_rows']:,}")
            if v["applies"]
            else ("not screened", "all")
        )
        lines.append(
            f"| {name} | {v['before_ms']:.1f} ms | {v['now_ms']:.1f} ms | {screened} | "
            f"{v['read_ms']:.1f} ms | {v['identical']} | {rows} | {v['same_choice']} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    print(table(run()))
