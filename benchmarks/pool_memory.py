"""A session on a large float32 pool in one process: resident memory and step time.

``python -m benchmarks.pool_memory [--rows N]`` (default 10,000,000): a two-class
``make_classification`` pool of N x 20 as float32, a ``LabelingSession`` with 200
labels to start and a 30 % test share (as ``benchmarks.big``), then 40 labels by the
ground truth. Prints the process's resident memory after opening and after the labels,
both against the pool's bytes, the engine's own bytes per row (resident memory after
opening, less the pool and the memory of the imports measured before the pool was
made), and the step's median. No Streamlit: what the engine alone holds; ``make
bench-big`` measures the served app.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from al_core.threads import pin_threads


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024 / 1e6  # MB, as the pool's bytes / 1e6
    return float("nan")


def run(rows: int, labels: int = 40) -> dict:
    pin_threads(1)
    from sklearn.datasets import make_classification

    from al_core import Dataset, LabelingSession, SessionConfig
    from al_core.allocator import give_back_free_memory, share_heaps

    share_heaps()
    imports = rss_mb()
    X, y = make_classification(rows, 20, n_informative=10, n_clusters_per_class=1, random_state=0)
    X = np.ascontiguousarray(X, dtype=np.float32)
    y = y.astype(np.int64)
    dataset = Dataset(
        name="pool",
        X=X,
        feature_names=tuple(f"x{i}" for i in range(20)),
        class_names=("a", "b"),
        y=y,
    )
    y = dataset.y  # the Dataset keeps the ground truth narrow (int8 here); drop the rest
    config = SessionConfig(budget=None, initial_fraction=200 / (0.7 * rows), test_size=0.3)
    session = LabelingSession(dataset, config)
    give_back_free_memory()  # as the app's server does once a project is open
    opened = rss_mb()
    steps = []
    for _ in range(labels):
        t0 = time.perf_counter()
        row = int(session.query().ids[0])
        session.label(row, int(y[row]))
        steps.append(time.perf_counter() - t0)
    pool = X.nbytes / 1e6
    return {
        "rows": rows,
        "pool_mb": pool,
        "imports_mb": imports,
        "opened_mb": opened,
        "after_labels_mb": rss_mb(),
        "engine_bytes_per_row": (opened - imports - pool) * 1e6 / rows,
        "step_p50_ms": float(np.median(steps[5:])) * 1e3,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    r = run(parser.parse_args().rows)
    print(
        f"{r['rows']:,} rows: pool {r['pool_mb']:.0f} MB; resident {r['opened_mb']:.0f} MB "
        f"after opening ({r['opened_mb'] / r['pool_mb']:.2f}x the pool), "
        f"{r['after_labels_mb']:.0f} MB after 40 labels "
        f"({r['after_labels_mb'] / r['pool_mb']:.2f}x); imports {r['imports_mb']:.0f} MB; "
        f"the engine's own arrays {r['engine_bytes_per_row']:.1f} bytes a row (with the "
        f"ground truth); step p50 {r['step_p50_ms']:.1f} ms"
    )


if __name__ == "__main__":
    main()
