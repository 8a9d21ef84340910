"""The figures and figures' words of the UI, as pure functions (no Streamlit run)."""

from __future__ import annotations

import numpy as np
import pytest

from al_ui.charts import class_colors, pool_map_figure
from al_ui.claims import savings_text


@pytest.mark.parametrize("n_classes", [2, 6, 7, 10, 23])
def test_every_class_has_a_colour_of_its_own_on_the_map(n_classes):
    rng = np.random.default_rng(n_classes)
    m = 50 * n_classes
    predicted = np.arange(m) % n_classes
    fig = pool_map_figure(
        rng.standard_normal((m, 2)),
        predicted,
        rng.uniform(0.3, 1.0, m),
        [f"c{i}" for i in range(n_classes)],
        labeled=rng.random(m) < 0.1,
        queried_xy=rng.standard_normal((3, 2)),
        current_xy=None,
    )
    colors = {t.name: t.marker.color for t in fig.data if t.name.startswith("predicted")}
    assert len(colors) == n_classes
    assert len(set(colors.values())) == n_classes, colors
    ring = next(t for t in fig.data if t.name == "labeled").marker.line.color
    assert ring not in colors.values()


def test_class_colours_cycle_only_beyond_23_classes():
    assert len(set(class_colors(23))) == 23
    many = class_colors(30)
    assert len(many) == 30 and many[23] == many[0]


@pytest.mark.parametrize(
    ("needed", "n_labeled", "value", "words"),
    [
        (150, 100, "50", "33% fewer"),
        (100, 100, "none yet", "no saving yet"),
        (161, 172, "none yet", "with 172"),
    ],
)
def test_labels_saved_is_never_a_negative_count(needed, n_labeled, value, words):
    shown, caption = savings_text(needed, n_labeled, 0.911)
    assert shown == value and words in caption
    assert "0.911" in caption


def _band(mean):
    from al_core.simulation.compare import Curve

    mean = np.asarray(mean, dtype=float)
    return Curve("random", np.arange(90, 90 + mean.size), np.vstack([mean - 0.01, mean + 0.01]))


@pytest.mark.parametrize(
    ("acc", "n_test", "level"),
    [
        (0.900, 100, 0.876),  # 0.024 above, within the +-0.06 of 100 test rows
        (0.870, 100, 0.876),  # below random
        (0.900, 10_000, None),  # the same gap is clear on 10,000 test rows
    ],
)
def test_a_saving_within_the_test_sets_noise_is_not_claimed(acc, n_test, level):
    from al_ui.claims import random_level

    band = _band([0.88] * 8 + [0.876] * 12)
    got = random_level(band, 98, acc, n_test)
    assert got is None if level is None else got == pytest.approx(level)
    assert random_level(band, 80, acc, n_test) is None  # the band starts later


@pytest.mark.parametrize(
    ("runs", "words"),
    [
        ([[0.5, 0.8, 0.95, 0.96, 0.97, 0.97]] * 4, "interval over the 4 seeds +2 to +2)"),
        (
            [[0.5, 1.0, 1.0, 1.0, 1.0, 1.0]] + [[0.5, 0.6, 0.7, 0.86, 0.95, 0.95]] * 2,
            "not clearly",
        ),
        ([[0.5, 0.8, 0.95, 0.96, 0.97, 0.97]], "run more seeds"),
    ],
)
@pytest.mark.parametrize("random_end", [0.95, 0.85])  # random reaches the target, or not
def test_the_compare_headline_says_how_sure_its_saving_is(runs, words, random_end):
    from al_core.simulation.compare import Comparison, Curve
    from al_ui.claims import headline

    n = np.arange(10, 16)
    random = [[0.5, 0.6, 0.7, 0.8, 0.92, random_end]] * len(runs)
    curves = {
        "margin": Curve("margin", n, np.asarray(runs, dtype=float)),
        "random": Curve("random", n, np.asarray(random, dtype=float)),
    }
    result = Comparison("d", list(range(len(runs))), 5, 2, curves, 1.0, 0.9)
    text = headline(result)
    if random_end < 0.9:  # random never gets there: the interval is open at the top
        words = "does not within 5 queries" if len(runs) == 1 else "to +∞)"
    assert "labels saved" in text or "does not within" in text
    assert words in text, text


@pytest.mark.parametrize(
    ("interval", "text"),
    [
        ((2.0, 2.0), "+2 to +2"),
        ((-np.inf, 3.0), "−∞ to +3"),
        (["-inf", 3.0], "−∞ to +3"),  # as Comparison.summary writes it for JSON
        ([27.0, "+inf"], "+27 to +∞"),
        (None, "—"),
    ],
)
def test_an_interval_reads_the_same_from_the_comparison_or_its_summary(interval, text):
    from al_ui.claims import interval_text

    assert interval_text(interval) == text


@pytest.mark.parametrize(
    "n_labeled", [[90], [90, 91], [10, 11, 12, 13, 14, 15, 16], [20, 44], [100, 400]]
)
def test_the_learning_curve_ticks_whole_numbers_of_labels(n_labeled):
    """A first point at 90 labels drew ticks 89, 90, 90, 91, 91 (half steps, rounded)."""
    from al_core.learning.history import HistoryPoint
    from al_ui.charts import learning_curve_figure

    history = [HistoryPoint(n_labeled=n, accuracy=0.8 + n / 1e4) for n in n_labeled]
    xaxis = learning_curve_figure(history, n_test=100).layout.xaxis
    span = max(n_labeled) - min(n_labeled)
    if span < 25:
        assert xaxis.dtick >= 1 and float(xaxis.dtick).is_integer()
        assert xaxis.tick0 == min(n_labeled)  # the curve's start is a tick
        assert span / xaxis.dtick <= 6  # a few ticks in the sidebar's width
    else:
        assert xaxis.dtick is None  # plotly's own, whole numbers at this span
