"""Figures that carry their uncertainty: intervals, "within noise", and the stopping advice."""

import math

import numpy as np
import pytest

from al_core import SessionConfig, load_builtin, simulate
from al_core.learning.history import HistoryPoint
from al_core.learning.intervals import (
    rows_for_half_width,
    wilson_interval,
    within_noise,
)
from al_core.learning.stopping import LAG, WINDOW, stopping_advice


def wilson_by_hand(k, n, z=1.959963984540054):
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


@pytest.mark.parametrize("k, n", [(50, 100), (88, 100), (91, 100), (17, 18), (12, 12), (0, 7)])
def test_the_wilson_interval_matches_the_formula(k, n):
    assert wilson_interval(k, n) == pytest.approx(wilson_by_hand(k, n), abs=1e-9)


def test_known_interval_values():
    low, high = wilson_interval(50, 100)
    assert (round(low, 4), round(high, 4)) == (0.4038, 0.5962)


@pytest.mark.parametrize("k, n", [(-1, 10), (11, 10), (0, 0)])
def test_impossible_counts_are_refused(k, n):
    with pytest.raises(ValueError, match="correct"):
        wilson_interval(k, n)


def test_an_interval_is_computed_once_per_count_and_the_memo_gives_the_same_bounds():
    first = wilson_interval(733, 1009)
    hits = wilson_interval.cache_info().hits
    assert wilson_interval(733, 1009) == first
    assert wilson_interval.cache_info().hits == hits + 1
    assert first == wilson_interval.__wrapped__(733, 1009)


def test_one_test_row_of_a_hundred_is_within_noise_and_ten_are_not():
    assert within_noise(0.88, 0.89, 100)
    assert not within_noise(0.70, 0.90, 100)


def test_rows_for_a_five_point_interval():
    n = rows_for_half_width(0.9)
    low, high = wilson_interval(round(0.9 * n), n)
    assert (high - low) / 2 <= 0.052 and n < 200


def _history(agreements, accuracies):
    return [
        HistoryPoint(n_labeled=10 + i, accuracy=a, agreement=g)
        for i, (g, a) in enumerate(zip(agreements, accuracies, strict=True))
    ]


def test_the_advice_waits_for_stable_predictions_and_a_level_curve():
    n = LAG + WINDOW + 2
    stable = [None] * LAG + [0.995] * (n - LAG)
    assert stopping_advice(_history(stable, [0.9] * n), 100).state == "stop"
    rising = [0.6 + 0.02 * i for i in range(n)]  # predictions stable, accuracy still climbing
    assert stopping_advice(_history(stable, rising), 100).state != "stop"
    shaky = [None] * LAG + [0.995, 0.97, 0.995, 0.995, 0.96]
    assert stopping_advice(_history(shaky, [0.9] * n), 100).state == "nearly"
    early = stopping_advice(_history([None] * 3, [0.9] * 3), 100)
    assert early.state == "keep" and early.stop_at is None


def test_the_advice_is_reproducible_and_reported_by_simulate():
    data = load_builtin("breast_cancer")
    config = SessionConfig(initial_fraction=0.02, budget=120)
    a, b = simulate(data, config), simulate(data, config)
    assert a.stop_at == b.stop_at and a.stop_reason == b.stop_reason
    assert a.as_dict()["stop_at"] == a.stop_at
    assert a.stop_at is None or a.n_labeled[0] < a.stop_at <= a.n_labeled[-1]


def test_labels_saved_are_read_from_the_random_bands_mean():
    import numpy as np

    from al_core.simulation.compare import Curve, random_labels_to_reach

    band = Curve(
        "random",
        np.array([10, 11, 12, 13, 14, 15]),
        np.array([[0.70, 0.75, 0.82, 0.79, 0.85, 0.90], [0.70, 0.77, 0.80, 0.83, 0.87, 0.90]]),
    )  # mean: 0.70 0.76 0.81 0.81 0.86 0.90
    assert random_labels_to_reach(band, 0.80) == 12
    assert random_labels_to_reach(band, 0.85) == 14
    assert random_labels_to_reach(band, 0.95) is None  # "more than ..." on the page


@pytest.mark.parametrize(
    "labels",
    [
        lambda c: c,  # class indices (the session's): counted directly
        lambda c: c * 97 + 3,  # indices with gaps, some unpredicted
        lambda c: c - 2,  # negative
        lambda c: c + 5_000,  # large
        lambda c: np.array([f"class {v}" for v in c]),  # not numbers
    ],
)
@pytest.mark.parametrize("seed", range(6))
def test_agreement_is_cohens_kappa(seed, labels):
    from sklearn.metrics import cohen_kappa_score

    from al_core.learning.stopping import agreement

    rng = np.random.default_rng(seed)
    a = rng.integers(0, 2 + seed, 500)
    b = np.where(rng.random(500) < 0.8, a, rng.integers(0, 2 + seed, 500))
    a, b = labels(a), labels(b)
    assert agreement(a, b) == pytest.approx(cohen_kappa_score(a, b), abs=1e-12)
    assert agreement(a, a) == 1.0


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint8])
@pytest.mark.parametrize("seed", range(6))
def test_agreement_of_class_indices_counts_them_as_they_are(seed, dtype):
    from al_core.learning.stopping import agreement

    rng = np.random.default_rng(seed)
    k = 2 + 5 * seed  # up to 27 classes: a uint8 product of codes would wrap
    a = rng.integers(0, k, 500)
    b = np.where(rng.random(500) < 0.7, a, rng.integers(0, k, 500))
    earlier = a.astype(dtype)  # as read back from a project (int32) or narrower
    assert agreement(earlier, b, k) == agreement(a, b)  # the same number, bit for bit
    assert agreement(earlier, b) == agreement(a, b)
    assert agreement(earlier, a, k) == 1.0
    assert agreement(np.zeros(9, dtype), np.zeros(9, np.int64), k) == 1.0
    assert agreement(np.zeros(9, dtype), np.ones(9, np.int64), k) == 0.0
