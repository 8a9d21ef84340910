"""Large pools: a huge test set is evaluated on a fixed stratified sample; float32 above
100,000 rows. Below those sizes nothing changes (the tutorial's replay pins that)."""

from __future__ import annotations

import numpy as np
import pytest

from al_core import SessionConfig, load_builtin
from al_core.learning.modelstate import SAMPLE_TEST_ABOVE, TEST_SAMPLE_ROWS
from al_core.learning.session import LabelingSession
from al_core.projects.project import Project
from al_core.projects.sources import DataSource


@pytest.fixture(scope="module")
def big():
    return load_builtin("synthetic_100k")


def _session(data, test_size):
    return LabelingSession(data, SessionConfig(test_size=test_size, initial_fraction=0.002))


def test_a_huge_test_set_is_measured_on_a_fixed_stratified_sample(big):
    s = _session(big, 0.3)
    assert s.n_test == 30_000 > SAMPLE_TEST_ABOVE and s.n_evaluated == TEST_SAMPLE_ROWS
    rows = s.evaluated_rows
    assert rows.size == TEST_SAMPLE_ROWS and np.isin(rows, s.test_order).all()
    share = np.bincount(big.y[rows]) / rows.size
    assert np.allclose(share, np.bincount(big.y[s.test_order]) / s.n_test, atol=1e-3)
    pred = s.model.predict(big.X[rows])
    assert s.accuracy == pytest.approx(np.mean(pred == big.y[rows]))
    again = _session(big, 0.3)
    assert np.array_equal(again.evaluated_rows, rows) and again.accuracy == s.accuracy


def test_a_test_set_at_the_limit_is_measured_whole(big):
    s = _session(big, 0.2)
    assert s.n_test == SAMPLE_TEST_ABOVE and s.n_evaluated == s.n_test
    pred = s.model.predict(big.X[s.test_order])
    assert s.accuracy == np.mean(pred == big.y[s.test_order])


@pytest.mark.parametrize(
    ("name", "float32", "dtype"),
    [
        ("synthetic_100k", None, np.float64),  # 100,000 rows: not above the limit
        ("wine", None, np.float64),
        ("synthetic_1m", None, np.float32),
        ("synthetic_1m", False, np.float64),  # as saved before the choice existed
    ],
)
def test_pools_above_100000_rows_are_float32_unless_the_source_says(name, float32, dtype):
    assert DataSource("builtin", name, float32=float32).load().X.dtype == dtype


def test_an_old_project_keeps_its_float64_pool(tmp_path):
    p = Project.create("old", DataSource("builtin", "tutorial", float32=False), folder=tmp_path)
    p.close()
    assert Project.open("old", folder=tmp_path).dataset.X.dtype == np.float64
