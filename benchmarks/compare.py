"""Comparisons in seconds: ``compare`` on wine and a project's random band.

``python -m benchmarks compare``: ``compare`` on wine (10 seeds, 100 queries, least
confidence, margin, entropy and random, from 2 % of the pool as the CLI does) with
scikit-learn's own ``LogisticRegression.fit`` (the baseline) and with the engine's exact
replica of it (``al_core.learning.lbfgs``), in one process and on every core; and the
random band of a new 10,000-row project (``synthetic_10k``, 10 runs, one process, as
the app computes it) for the default budget of 20 queries and for 100 (a project
without a budget). The methods run interleaved, ``REPEATS`` times each, and every run's
curves are checked to be identical to the baseline's.
"""

from __future__ import annotations

import os
import time
from contextlib import AbstractContextManager
from unittest import mock

import numpy as np

from al_core import SessionConfig, compare, load_builtin
from al_core.learning import models
from al_core.projects.baseline import compute_baseline

REPEATS = 1 if os.environ.get("AL_BENCH_QUICK") else 3
STRATEGIES = ["least_confidence", "margin", "entropy", "random"]


def _fits(replica: bool) -> AbstractContextManager:
    """The engine's quick fit (``replica``), or scikit-learn's own ``fit`` for every model."""
    accept = models.can_fit_logistic if replica else (lambda *a: False)
    return mock.patch.object(models, "can_fit_logistic", accept)


def _compare(n_jobs: int, replica: bool):
    dataset = load_builtin("wine")
    config = SessionConfig(initial_fraction=0.02)
    with _fits(replica):
        t0 = time.perf_counter()
        result = compare(dataset, STRATEGIES, seeds=10, budget=100, config=config, n_jobs=n_jobs)
        seconds = time.perf_counter() - t0
    return seconds, {name: curve.accuracy for name, curve in result.curves.items()}


def _band(budget: int, replica: bool):
    dataset = load_builtin("synthetic_10k")
    config = SessionConfig(budget=budget)
    n_unlabeled = int(dataset.X.shape[0] * (1 - config.test_size) * (1 - config.initial_fraction))
    with _fits(replica):
        t0 = time.perf_counter()
        curve = compute_baseline(dataset, config, n_unlabeled)
        seconds = time.perf_counter() - t0
    return seconds, {"random": curve.accuracy}


def _group(name: str) -> str:
    """Runs of one group give the same curves and share a baseline."""
    return "compare" if name.startswith("compare") else ", ".join(name.split(", ")[:2])


# Worker processes import the engine afresh, so the baseline (patched here) runs in one.
METHODS = {
    "compare, scikit-learn's fit, 1 process": lambda: _compare(1, replica=False),
    "compare, replica, 1 process": lambda: _compare(1, replica=True),
    "compare, replica, every core": lambda: _compare(os.cpu_count() or 1, replica=True),
    "band, 20 queries, scikit-learn's fit": lambda: _band(20, replica=False),
    "band, 20 queries, replica": lambda: _band(20, replica=True),
    "band, 100 queries, scikit-learn's fit": lambda: _band(100, replica=False),
    "band, 100 queries, replica": lambda: _band(100, replica=True),
}


BASELINES = {_group(name): name for name in METHODS if "scikit-learn's fit" in name}


def run() -> dict:
    seconds: dict[str, list[float]] = {name: [] for name in METHODS}
    curves: dict[str, dict] = {}
    for _ in range(REPEATS):
        for name, method in METHODS.items():
            s, c = method()
            seconds[name].append(s)
            kind = _group(name)
            if kind in curves:
                for strategy, accuracy in c.items():
                    if not np.array_equal(accuracy, curves[kind][strategy], equal_nan=True):
                        raise AssertionError(
                            f"{name}: {strategy}'s curves differ from the baseline's"
                        )
            else:
                curves[kind] = c
    return {
        name: {"n": len(s), "median_s": float(np.median(s)), "min_s": float(np.min(s))}
        for name, s in seconds.items()
    }


def table(results: dict) -> str:
    rows = ["| run | median s | min s | vs scikit-learn's fit |", "|---|---:|---:|---:|"]
    for name, r in results.items():
        base = results[BASELINES[_group(name)]]["median_s"]
        rows.append(
            f"| {name} | {r['median_s']:.2f} | {r['min_s']:.2f} | {r['median_s'] / base:.2f}x |"
        )
    return "\n".join(rows)
