"""Large pools: a huge test set is evaluated on a fixed stratified sample; float32 above
100,000 rows. Below those sizes nothing changes (the tutorial's replay pins that)."""

from __future__ import annotations

import numpy as np
import pandas as pd
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


def _server_file(tmp_path, n=300):
    rng = np.random.default_rng(0)
    size = rng.normal(10, 3, n)
    size[5] = np.nan
    frame = pd.DataFrame(
        {
            "item": [f"I{i:04d}" for i in range(n)],
            "size": size,
            "plan": rng.choice(["a", "b", "c"], n),
            "note": [f"called about {i}" for i in range(n)],
            "label": np.where(np.nan_to_num(size, nan=10) > 10, "big", "small"),
        }
    )
    path = tmp_path / "pool.parquet"
    frame.to_parquet(path)
    return path, frame


def test_a_large_pool_keeps_no_second_copy_of_its_numbers_and_shows_them_back(
    tmp_path, monkeypatch
):
    import al_core.projects.sources as sources
    from al_core.learning.explain import feature_context

    monkeypatch.setattr(sources, "FLOAT32_ABOVE", 100)  # as if 300 rows were millions
    path, frame = _server_file(tmp_path)
    data = DataSource("server", str(path), label_column="label").load()
    assert data.X.dtype == np.float32
    assert list(data.raw.columns) == ["item", "plan", "note"]  # no size, no label
    s = LabelingSession(data, SessionConfig(initial_fraction=0.1))
    shown = feature_context(data, s.labels, s.train_ids, 7).set_index("feature")["value"]
    assert shown["size"] == pytest.approx(frame["size"][7], rel=1e-5)
    assert shown["plan"] == frame["plan"][7]
    imputed = feature_context(data, s.labels, s.train_ids, 5).set_index("feature")["value"]
    assert imputed["size"] == pytest.approx(np.nanmedian(frame["size"]), rel=1e-5)


def test_a_project_on_a_server_file_reads_it_in_place(tmp_path, monkeypatch):
    import io
    import shutil
    import sqlite3

    from al_core.cli import main
    from al_core.errors import DatasetError

    path, _ = _server_file(tmp_path)
    monkeypatch.setenv("AL_PROJECTS_DIR", str(tmp_path / "p"))
    out = io.StringIO()
    args = ["create", "big", "--data", str(path), "--label-column", "label", "--on-server"]
    assert main(args, out=out) == 0
    with sqlite3.connect(tmp_path / "p" / "big.alproj") as db:
        assert db.execute("SELECT COUNT(*) FROM blobs").fetchone()[0] == 0  # not copied
    p = Project.open("big", folder=tmp_path / "p")
    assert p.dataset.n_samples == 300
    p.close()
    shutil.move(path, tmp_path / "moved.parquet")
    with pytest.raises(DatasetError, match="pool.parquet"):
        Project.open("big", folder=tmp_path / "p")
    with pytest.raises(DatasetError, match="full path"):
        DataSource("server", "pool.parquet")


@pytest.mark.parametrize(
    ("n_classes", "dtype"),
    [(2, np.int8), (128, np.int8), (129, np.int16), (32_768, np.int16), (32_769, np.int32)],
)
def test_label_arrays_are_as_narrow_as_the_class_count_allows(n_classes, dtype):
    """The ground truth and the session's labels run the pool's length: one byte a row
    up to 128 classes, and wide enough for the last class index and MISSING_LABEL."""
    from al_core.data.datasets import MISSING_LABEL, Dataset, label_dtype

    assert label_dtype(n_classes) == dtype
    n = 40
    y = np.arange(n, dtype=np.int64) % 2 * (n_classes - 1)  # the first and the last class
    y[-1] = MISSING_LABEL
    data = Dataset("narrow", np.zeros((n, 1)), ("x",), tuple(map(str, range(n_classes))), y=y)
    assert data.y.dtype == dtype
    assert data.y[1] == n_classes - 1 and data.y[-1] == MISSING_LABEL


def test_a_session_on_narrow_labels_labels_the_last_class_and_fits_int64_classes():
    """300 classes (int16 labels): the last class index is saved as given, and the model
    is fitted on int64 labels as before, so its classes_ and predictions are unchanged."""
    from al_core.data.datasets import Dataset

    rng = np.random.default_rng(0)
    n, k = 1_500, 300
    y = np.arange(n) % k
    X = rng.normal(size=(n, 3)) + y[:, None] * 0.01
    data = Dataset("many", X, ("a", "b", "c"), tuple(map(str, range(k))), y=y)
    s = LabelingSession(data, SessionConfig(test_size=0.25, initial_fraction=0.3, seed=1))
    assert s.labels.dtype == np.int16 and data.y.dtype == np.int16
    row = int(s.query().ids[0])
    s.label(row, k - 1)
    assert s.labels[row] == k - 1
    assert s.model is not None and s.model.classes_.dtype == np.int64


def test_fractional_ground_truth_is_refused():
    from al_core.data.datasets import Dataset
    from al_core.errors import DatasetError

    with pytest.raises(DatasetError, match="whole class indices"):
        Dataset("half", np.zeros((3, 1)), ("x",), ("a", "b"), y=np.array([0.0, 0.5, 1.0]))
