"""Strategies against random: the demonstration active learning exists to give."""

import numpy as np
import pytest

from al_core import SessionConfig, compare, load_builtin, random_baseline
from al_core.simulation.compare import Curve


def test_curve_labels_to_reach_needs_the_curve_to_stay_above():
    curve = Curve("x", np.array([10, 11, 12, 13]), np.array([[0.5, 0.95, 0.8, 0.96]]))
    assert curve.labels_to_reach(0.9) == 13
    assert curve.labels_to_reach(0.99) is None
    assert curve.labels_to_reach(0.4) == 10


@pytest.mark.parametrize("dataset", ["breast_cancer", "wine"])
def test_uncertainty_sampling_needs_fewer_labels_than_random(dataset):
    data = load_builtin(dataset)
    result = compare(
        data, ["margin"], seeds=6, budget=60, config=SessionConfig(initial_fraction=0.02)
    )
    margin = result.curves["margin"].labels_to_reach(result.target)
    rand = result.curves["random"].labels_to_reach(result.target)
    assert margin is not None
    assert rand is None or margin < rand
    assert result.curves["margin"].auc > result.curves["random"].auc


def test_random_baseline_keeps_the_projects_split_and_varies_picks(tutorial):
    curve = random_baseline(tutorial, SessionConfig(), queries=5, seeds=4)
    assert curve.accuracy.shape == (4, 6)
    assert np.all(curve.accuracy[:, 0] == 0.88)  # same starting set for every seed
    assert curve.sd[1:].max() > 0


def test_runs_on_several_processes_give_the_same_comparison_and_progress(iris):
    config = SessionConfig(initial_fraction=0.05)
    seen = []
    one = compare(iris, ["margin"], seeds=3, budget=8, config=config, n_jobs=1)
    two = compare(
        iris,
        ["margin"],
        seeds=3,
        budget=8,
        config=config,
        n_jobs=2,
        on_progress=lambda done, total: seen.append((done, total)),
    )
    for name in ("margin", "random"):
        assert np.array_equal(one.curves[name].accuracy, two.curves[name].accuracy, equal_nan=True)
        assert one.curves[name].stops == two.curves[name].stops
    assert one.full_accuracy == two.full_accuracy
    assert [d for d, _ in seen] == list(range(1, 10)) and {t for _, t in seen} == {9}


def test_the_random_band_is_the_same_on_several_processes(tutorial):
    config = SessionConfig()
    one = random_baseline(tutorial, config, queries=5, seeds=3, n_jobs=1)
    two = random_baseline(tutorial, config, queries=5, seeds=3, n_jobs=2)
    assert np.array_equal(one.accuracy, two.accuracy) and np.array_equal(
        one.n_labeled, two.n_labeled
    )


def _comparison(strategy_runs, random_runs, target=0.9):
    from al_core.simulation.compare import Comparison

    n = np.arange(10, 10 + np.shape(strategy_runs)[1])
    curves = {
        "margin": Curve("margin", n, np.asarray(strategy_runs, dtype=float)),
        "random": Curve("random", n, np.asarray(random_runs, dtype=float)),
    }
    seeds = list(range(np.shape(strategy_runs)[0]))
    return Comparison("d", seeds, n.size - 1, 2, curves, 1.0, target)


@pytest.mark.parametrize("seed", range(20))
def test_each_resamples_reach_is_the_curves_own(seed):
    from al_core.simulation.compare import _reach

    rng = np.random.default_rng(seed)
    runs = rng.uniform(0.7, 1.0, (5, 12))
    runs[rng.random(runs.shape) < 0.05] = np.nan  # a cold start here and there
    curve = Curve("x", np.arange(20, 32), runs)
    picks = rng.integers(5, size=(50, 5))
    got = _reach(curve, picks, 0.85)
    for row, reach in zip(picks, got, strict=True):
        own = Curve("x", curve.n_labeled, runs[row]).labels_to_reach(0.85)
        assert reach == (np.inf if own is None else own)


def test_identical_seeds_give_a_point_interval_at_the_saving():
    strategy = [[0.5, 0.8, 0.95, 0.96, 0.97, 0.97]] * 4
    random = [[0.5, 0.6, 0.7, 0.8, 0.92, 0.95]] * 4
    result = _comparison(strategy, random)
    assert result.labels_saved("margin") == 2
    assert result.labels_saved_interval("margin") == (2.0, 2.0)
    row = next(r for r in result.summary() if r["strategy"] == "margin")
    assert row["labels_saved_interval"] == [2.0, 2.0]


def test_a_saving_that_depends_on_one_lucky_seed_has_an_interval_reaching_below_zero():
    # Three seeds: the strategy saves 3 labels on one of them and none on the others.
    strategy = [
        [0.5, 0.95, 0.95, 0.95, 0.95, 0.95],
        [0.5, 0.6, 0.7, 0.8, 0.95, 0.95],
        [0.5, 0.6, 0.7, 0.8, 0.95, 0.95],
    ]
    random = [[0.5, 0.6, 0.7, 0.8, 0.95, 0.95]] * 3
    low, high = _comparison(strategy, random).labels_saved_interval("margin")
    assert low <= 0 < high


def test_an_unreached_target_makes_an_infinite_end_and_one_seed_no_interval():
    strategy = [[0.5, 0.6, 0.7, 0.8, 0.85, 0.88]] * 3  # never reaches 0.9
    random = [[0.5, 0.6, 0.7, 0.8, 0.92, 0.95]] * 3
    result = _comparison(strategy, random)
    assert result.labels_saved_interval("margin") == (-np.inf, -np.inf)
    row = next(r for r in result.summary() if r["strategy"] == "margin")
    assert row["labels_saved_interval"] == ["-inf", "-inf"]  # JSON has no infinity
    assert _comparison(strategy[:1], random[:1]).labels_saved_interval("margin") is None


def test_curve_mean_and_sd_are_nanmean_and_nanstd_without_a_warning(recwarn):
    runs = np.random.default_rng(3).uniform(0.5, 1.0, (6, 9))
    runs[:, 0] = np.nan  # no model yet in any run
    runs[2, 4] = np.nan
    curve = Curve("x", np.arange(9), runs)
    mean, sd = curve.mean, curve.sd
    assert np.isnan(mean[0]) and np.isnan(sd[0])
    np.testing.assert_allclose(mean[1:], np.nanmean(runs[:, 1:], axis=0), rtol=1e-15)
    np.testing.assert_allclose(sd[1:], np.nanstd(runs[:, 1:], axis=0), rtol=1e-12)
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]
