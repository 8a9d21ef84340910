"""Strategies against random sampling, over several seeds, with the simulated oracle.

This is what shows a stakeholder, honestly, whether active learning saves labels on a
dataset: learning curves with mean and sd over seeds, area under the curve, and the
labels each strategy needs to reach 98% of a model trained on the whole pool.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
from joblib import Parallel, delayed

from al_core.data.datasets import Dataset
from al_core.errors import ConfigError
from al_core.learning.config import SessionConfig
from al_core.learning.models import fit_model, make_model
from al_core.learning.session import LabelingSession
from al_core.learning.strategies import check_strategy
from al_core.simulation.simulate import require_oracle, simulate
from al_core.threads import pin_threads

TARGET_SHARE = 0.98
"""Share of the full-pool accuracy that counts as "as good as labeling everything"."""


@dataclass(frozen=True)
class Curve:
    """Learning curves of one strategy over seeds.

    Attributes
    ----------
    strategy : str
    n_labeled : ndarray of shape (n_points,)
    accuracy : ndarray of shape (n_seeds, n_points)
        NaN where no model existed (cold start).
    """

    strategy: str
    n_labeled: np.ndarray
    accuracy: np.ndarray
    stops: tuple[int | None, ...] = ()
    """Per seed, labels given when the stopping advice first said "stop" (None: never)."""

    def stop_summary(self) -> dict:
        """How the stopping advice did: in how many runs it stopped, where, and the
        accuracy there (means over the runs that stopped)."""
        where = [(i, s) for i, s in enumerate(self.stops) if s is not None]
        if not where:
            return {"stopped_runs": 0, "stop_at": None, "accuracy_at_stop": None}
        index = {int(n): k for k, n in enumerate(self.n_labeled)}
        acc = [self.accuracy[i, index[s]] for i, s in where]
        return {
            "stopped_runs": len(where),
            "stop_at": float(np.mean([s for _, s in where])),
            "accuracy_at_stop": float(np.nanmean(acc)),
        }

    @property
    def mean(self) -> np.ndarray:
        """Mean accuracy over the seeds at each point, shape (n_points,); NaN where no
        seed had a model yet."""
        return _seed_means(self.accuracy)

    @property
    def sd(self) -> np.ndarray:
        """Standard deviation over the seeds at each point (as ``np.nanstd``)."""
        known = ~np.isnan(self.accuracy)
        deviations = np.where(known, self.accuracy - self.mean, 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.sqrt((deviations**2).sum(axis=0) / known.sum(axis=0))

    @property
    def auc(self) -> float:
        """Mean accuracy along the curve (area under it divided by its length)."""
        return float(np.nanmean(self.mean))

    def at(self, n_queried: int) -> tuple[float, float]:
        """Mean and sd of accuracy after ``n_queried`` queries."""
        return float(self.mean[n_queried]), float(self.sd[n_queried])

    def labels_to_reach(self, target: float) -> int | None:
        """Fewest labels from which on the mean curve stays at or above ``target``.

        "Stays" keeps one lucky point of a noisy curve from counting; None if the curve
        is below the target at the end of the budget.
        """
        reach = _stays_from(self.mean[np.newaxis], self.n_labeled, target)[0]
        return None if np.isinf(reach) else int(reach)


@dataclass(frozen=True)
class Comparison:
    """The outcome of ``compare``."""

    dataset: str
    seeds: list[int]
    budget: int
    n_classes: int
    curves: dict[str, Curve]
    full_accuracy: float
    target: float

    def labels_saved(self, strategy: str, baseline: str = "random") -> int | None:
        """Labels ``strategy`` saves over ``baseline`` to reach the target, if both do."""
        a = self.curves[strategy].labels_to_reach(self.target)
        b = self.curves[baseline].labels_to_reach(self.target) if baseline in self.curves else None
        return None if a is None or b is None else b - a

    def labels_saved_interval(
        self,
        strategy: str,
        baseline: str = "random",
        level: float = 0.95,
        n_resamples: int = 2000,
        random_state: int = 0,
    ) -> tuple[float, float] | None:
        """A bootstrap interval over seeds for ``labels_saved``.

        Seeds are resampled with replacement, the same for both curves (a seed's runs
        share their start), and the labels saved read off the resampled mean curves as
        ``labels_saved`` reads them. A resample where the strategy's mean curve does not
        reach the target counts as ``-inf`` saved, one where the baseline's does not as
        ``+inf``; so an infinite end says "not reached" in more than ``(1 - level) / 2``
        of the resamples.

        Returns
        -------
        (low, high) : tuple of float, or None
            None with fewer than two seeds, without the baseline, or on curves of
            different label counts.
        """
        a, b = self.curves[strategy], self.curves.get(baseline)
        if b is None or len(self.seeds) < 2 or not np.array_equal(a.n_labeled, b.n_labeled):
            return None
        rng = np.random.default_rng(random_state)
        picks = rng.integers(len(self.seeds), size=(n_resamples, len(self.seeds)))
        with np.errstate(invalid="ignore"):  # inf - inf: NaN, set just below
            saved = _reach(b, picks, self.target) - _reach(a, picks, self.target)
        # Both unreached: no saving either way, not inf - inf.
        saved[np.isnan(saved)] = 0.0
        tail = (1.0 - level) / 2
        low, high = np.quantile(saved, [tail, 1.0 - tail], method="inverted_cdf")
        return float(low), float(high)

    def identical_groups(self) -> list[list[str]]:
        """Strategies whose curves are the same in every seed, grouped (in curve order).

        On two-class data least confidence, margin and entropy rank rows identically, so
        their runs are the same; a chart draws such a group as one line.
        """
        groups: list[list[str]] = []
        for name, curve in self.curves.items():
            for group in groups:
                first = self.curves[group[0]].accuracy
                if first.shape == curve.accuracy.shape and np.array_equal(
                    first, curve.accuracy, equal_nan=True
                ):
                    group.append(name)
                    break
            else:
                groups.append([name])
        return groups

    def checkpoints(self) -> list[int]:
        """Query counts the summary reports accuracy at: a quarter, half and all of the budget."""
        return sorted({max(1, self.budget // 4), max(1, self.budget // 2), self.budget})

    def summary(self) -> list[dict]:
        """One JSON-ready row per strategy."""
        rows = []
        for name, curve in self.curves.items():
            rows.append(
                {
                    "strategy": name,
                    "accuracy_at": {
                        str(int(curve.n_labeled[q])): dict(
                            zip(("mean", "sd"), curve.at(q), strict=True)
                        )
                        for q in self.checkpoints()
                    },
                    "auc": curve.auc,
                    "labels_to_target": curve.labels_to_reach(self.target),
                    "labels_saved_vs_random": self.labels_saved(name) if name != "random" else 0,
                    "labels_saved_interval": (
                        None if name == "random" else _json_ends(self.labels_saved_interval(name))
                    ),
                    "stop_advice": curve.stop_summary(),
                }
            )
        return rows


def _json_ends(interval: tuple[float, float] | None) -> list[float | str] | None:
    """An interval for JSON, which has no infinity: an infinite end (the target not
    reached) as the string "+inf" or "-inf"."""
    if interval is None:
        return None
    return [float(v) if np.isfinite(v) else ("+inf" if v > 0 else "-inf") for v in interval]


def _reach(curve: Curve, picks: np.ndarray, target: float) -> np.ndarray:
    """``labels_to_reach`` of the mean curve of each row of seed indices ``picks``
    (shape (n_resamples, n_seeds)); ``inf`` where it does not reach the target."""
    return _stays_from(_seed_means(curve.accuracy[picks], axis=1), curve.n_labeled, target)


def _seed_means(runs: np.ndarray, axis: int = 0) -> np.ndarray:
    """``np.nanmean`` over the seeds' axis, without its warning for a point NaN in
    every run (a cold start), which warnings.catch_warnings would silence for every
    thread at once."""
    known = ~np.isnan(runs)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(known, runs, 0.0).sum(axis=axis) / known.sum(axis=axis)


def _stays_from(means: np.ndarray, n_labeled: np.ndarray, target: float) -> np.ndarray:
    """For each mean curve (a row of ``means``, shape (k, n_points)), the fewest labels
    from which on it stays at or above ``target`` (a NaN point counts as below);
    ``inf`` where it ends below. ``Curve.labels_to_reach`` of each."""
    below = ~(means >= target)
    # Index of the last point below the target, -1 where none is.
    last = np.where(below.any(axis=1), below.shape[1] - 1 - np.argmax(below[:, ::-1], axis=1), -1)
    reach = np.full(len(means), np.inf)
    ok = last < below.shape[1] - 1
    reach[ok] = n_labeled[last[ok] + 1]
    return reach


def full_pool_accuracy(dataset: Dataset, config: SessionConfig) -> float:
    """Test accuracy of the model trained on every pool label (same split as a session)."""
    session = LabelingSession(dataset, replace(config, budget=None))
    y = require_oracle(dataset)
    pool = np.flatnonzero(~session.is_test)
    model = fit_model(
        make_model(config.model, config.seed), dataset.X[pool], y[pool].astype(np.int64)
    )
    test = session.test_order
    return float(np.mean(model.predict(dataset.X[test]) == y[test]))


def _run(dataset: Dataset, config: SessionConfig, full: bool) -> tuple:
    """One unit of a comparison: a full-pool fit, or one simulated run."""
    if full:
        return (full_pool_accuracy(dataset, config),)
    result = simulate(dataset, config)
    return [np.nan if a is None else a for a in result.accuracy], result.stop_at, result.n_labeled


def run_all(
    dataset: Dataset,
    configs: list[tuple[SessionConfig, bool]],
    n_jobs: int | None,
    on_done: Callable[[int], None] | None = None,
) -> list[tuple]:
    """``_run`` for each ``(config, full)``, on ``n_jobs`` processes; results in order.

    Every run is seeded by its own config, so the results do not depend on how many
    processes ran them, nor in which order they finished.
    """
    n_jobs = (os.cpu_count() or 1) if n_jobs is None else n_jobs
    results: list[tuple | None] = [None] * len(configs)
    if n_jobs == 1 or len(configs) == 1:
        for i, (config, full) in enumerate(configs):
            results[i] = _run(dataset, config, full)
            if on_done is not None:
                on_done(i + 1)
    else:
        tasks = Parallel(n_jobs=n_jobs, return_as="generator_unordered")(
            delayed(_indexed)(i, dataset, config, full) for i, (config, full) in enumerate(configs)
        )
        for done, (i, result) in enumerate(tasks, start=1):
            results[i] = result
            if on_done is not None:
                on_done(done)
    return [r for r in results if r is not None]


def _indexed(i: int, dataset: Dataset, config: SessionConfig, full: bool) -> tuple[int, tuple]:
    pin_threads(1)  # in a worker process: the runs, not BLAS, share the cores
    return i, _run(dataset, config, full)


def compare(
    dataset: Dataset,
    strategies: list[str],
    seeds: int = 10,
    budget: int = 100,
    config: SessionConfig | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    n_jobs: int | None = None,
) -> Comparison:
    """Simulate each strategy for each seed and summarize the learning curves.

    Parameters
    ----------
    dataset : Dataset
        Must be fully labeled.
    strategies : list of str
        Registered names; ``"random"`` is added if missing, as the baseline.
    seeds : int
        Seeds ``config.seed, config.seed + 1, ...``; each gives its own split, shared by
        all strategies.
    budget : int
        Queries per run.
    config : SessionConfig, optional
        Model, fractions and base seed.
    on_progress : callable, optional
        Called as ``on_progress(runs_done, runs_total)``.
    n_jobs : int, optional
        Processes to run the seeds and strategies on (default: every core); the
        result is the same for any number.
    """
    require_oracle(dataset)
    config = config or SessionConfig()
    if seeds < 1:
        raise ConfigError(f"seeds must be at least 1, got {seeds}")
    names = [check_strategy(s) for s in strategies]
    if "random" not in names:
        names.append("random")
    seed_list = [config.seed + i for i in range(seeds)]
    configs: list[tuple[SessionConfig, bool]] = []
    for seed in seed_list:
        run_config = replace(config, seed=seed, budget=budget)
        configs.append((run_config, True))
        configs += [(replace(run_config, strategy=name), False) for name in names]
    total = len(configs)
    progress = None if on_progress is None else (lambda done: on_progress(done, total))
    results = iter(run_all(dataset, configs, n_jobs, progress))
    runs: dict[str, list[list[float]]] = {n: [] for n in names}
    stops: dict[str, list[int | None]] = {n: [] for n in names}
    n_labeled: list[int] = []
    full: list[float] = []
    for _seed in seed_list:
        full.append(next(results)[0])
        for name in names:
            accuracy, stop_at, n_labeled = next(results)
            runs[name].append(accuracy)
            stops[name].append(stop_at)
    curves = {
        n: Curve(n, np.asarray(n_labeled), np.asarray(runs[n], dtype=float), tuple(stops[n]))
        for n in names
    }
    full_accuracy = float(np.mean(full))
    return Comparison(
        dataset=dataset.name,
        seeds=seed_list,
        n_classes=dataset.n_classes,
        budget=budget,
        curves=curves,
        full_accuracy=full_accuracy,
        target=TARGET_SHARE * full_accuracy,
    )


def random_baseline(
    dataset: Dataset,
    config: SessionConfig,
    queries: int,
    seeds: int = 10,
    n_jobs: int | None = None,
) -> Curve:
    """Random sampling from the same split and starting set as ``config``, over seeds.

    Only the random picks change from seed to seed (``query_seed``), so the band shows
    what labeling at random would have given this very project. ``n_jobs``: processes
    (default: every core); the band is the same for any number.
    """
    require_oracle(dataset)
    configs = [
        (replace(config, strategy="random", budget=queries, query_seed=config.seed + 1 + i), False)
        for i in range(seeds)
    ]
    results = run_all(dataset, configs, n_jobs)
    rows = [accuracy for accuracy, _stop, _n in results]
    n_labeled = results[-1][2] if results else []
    return Curve("random", np.asarray(n_labeled), np.asarray(rows, dtype=float))


def random_labels_to_reach(band: Curve, accuracy: float) -> int | None:
    """Labels random sampling needs, on average, to reach ``accuracy`` (the band's mean
    stays at or above it from there on); None when it does not within the band."""
    return band.labels_to_reach(accuracy)
