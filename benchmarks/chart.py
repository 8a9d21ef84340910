"""The sidebar's learning-curve chart after every label, as a session grows long.

``python -m benchmarks.chart``: the chart (``al_ui.charts.learning_curve_figure``, with
each point's 95 % interval) for histories of 50, 150 and 300 labels of a simulated run
on ``synthetic_10k``, built with scipy's interval computed afresh for every point (as
before 2026-11-22) and with the remembered one (``wilson_interval``'s memo, cleared before
each size so the first build pays for its new counts); medians of 10 builds, interleaved.
"""

from __future__ import annotations

import time

import numpy as np

import al_ui.charts as charts
from al_core import SessionConfig, load_builtin, simulate
from al_core.learning.intervals import wilson_interval
from al_core.threads import pin_threads

SIZES = (50, 150, 300)


def run(repeats: int = 10) -> dict:
    pin_threads(1)
    history = simulate(load_builtin("synthetic_10k"), SessionConfig(budget=max(SIZES))).history
    methods = {"scipy each time": wilson_interval.__wrapped__, "remembered": wilson_interval}
    out = {}
    try:
        for n in SIZES:
            wilson_interval.cache_clear()
            seconds: dict[str, list[float]] = {name: [] for name in methods}
            for _ in range(repeats):
                for name, interval in methods.items():
                    charts.wilson_interval = interval
                    t0 = time.perf_counter()
                    charts.learning_curve_figure(history[: n + 1], None, n_test=1000)
                    seconds[name].append(time.perf_counter() - t0)
            out[n] = {name: float(np.median(s)) * 1e3 for name, s in seconds.items()}
    finally:
        charts.wilson_interval = wilson_interval
    return out


def table(results: dict) -> str:
    rows = ["| labels | scipy each time ms | remembered ms | ratio |", "|---:|---:|---:|---:|"]
    for n, r in results.items():
        a, b = r["scipy each time"], r["remembered"]
        rows.append(f"| {n} | {a:.1f} | {b:.1f} | {a / b:.1f}x |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(table(run()))
