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
