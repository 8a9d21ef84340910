"""Loading CSV and Parquet files: usable data in, a clear typed error for anything else."""

import csv
import io

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.pandas import column, data_frames

from al_core import DatasetError, TooManyClassesError, load_table


def csv_bytes(frame, **kw):
    return frame.to_csv(index=False, **kw).encode()


def mixed_frame(n=60):
    rng = np.random.default_rng(1)
    return pd.DataFrame(
        {
            "num": rng.normal(size=n),
            "colour": rng.choice(["red", "green", "blue"], size=n),
            "id": [f"u{i}" for i in range(n)],
            "empty": [None] * n,
            "label": rng.choice(["cat", "dog"], size=n),
        }
    )


def test_a_mixed_file_is_preprocessed_and_unusable_columns_are_reported():
    data = load_table(csv_bytes(mixed_frame()), label_column="label")
    assert data.class_names == ("cat", "dog")
    assert set(data.feature_names) == {"num", "colour_blue", "colour_green", "colour_red"}
    unused = {n.column: n.problem for n in data.notes if not n.used}
    assert set(unused) == {"id", "empty"}
    assert "(an id?)" in unused["id"] and "empty" in unused["empty"]
    assert data.fully_labeled and data.X.dtype == np.float64
    assert abs(data.X[:, data.feature_names.index("num")].mean()) < 1e-9  # scaled


def test_parquet_loads_like_csv():
    frame = mixed_frame()
    buf = io.BytesIO()
    frame.to_parquet(buf)
    a = load_table(buf.getvalue(), label_column="label")
    b = load_table(csv_bytes(frame), label_column="label")
    np.testing.assert_allclose(a.X, b.X)
    assert np.array_equal(a.y, b.y)


@pytest.mark.parametrize("sep", [";", "\t", "|"])
def test_delimiters_are_detected(sep):
    data = load_table(csv_bytes(mixed_frame(), sep=sep), label_column="label")
    assert data.n_features == 4


@pytest.mark.parametrize("sep", [";", "\t"])
def test_decimal_commas_load_as_the_same_numbers_as_decimal_points(sep):
    # As a spreadsheet saves CSV in many locales: semicolons, 1,5 and 1.234,5.
    frame = mixed_frame()
    frame["big"] = np.random.default_rng(2).uniform(-5000, 5000, len(frame)).round(2)
    frame.loc[0, "big"] = 4321.5
    points = load_table(csv_bytes(frame), label_column="label")
    text = frame.to_csv(index=False, sep=sep, decimal=",")
    # Points between thousands where a spreadsheet would put them (1.234,5).
    assert "4321,5" in text
    text = text.replace("4321,5", "4.321,5")
    commas = load_table(text.encode(), label_column="label")
    assert commas.feature_names == points.feature_names
    np.testing.assert_allclose(commas.X, points.X)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=12, max_size=40))
def test_any_decimal_comma_numbers_read_back_as_written(values):
    from al_core.data.decimals import decimal_comma_numbers

    cells = [f"{v:.6f}".replace(".", ",") for v in values]
    frame = decimal_comma_numbers(pd.DataFrame({"x": cells, "w": ["a"] * len(cells)}))
    np.testing.assert_allclose(frame["x"].to_numpy(float), [float(f"{v:.6f}") for v in values])
    assert frame["w"].tolist() == ["a"] * len(cells)  # words stay words


def test_a_comma_separated_file_keeps_quoted_commas_as_text():
    # "1,500" in a comma-separated file may mean fifteen hundred: it is not guessed.
    rows = "".join(f'"{i},500",{i % 7},{"ab"[i % 2]}\n' for i in range(30))
    data = load_table(f"x,n,label\n{rows}".encode(), label_column="label")
    assert data.feature_names == ("n",)


def test_non_utf8_text_is_decoded():
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "label": ["café", "naïve", "café", "naïve"]})
    data = load_table(frame.to_csv(index=False).encode("cp1252"), label_column="label")
    assert data.class_names == ("café", "naïve")


def test_partial_labels_are_kept_as_missing():
    frame = pd.DataFrame({"x": np.arange(10.0), "label": ["a", "b", None, None, "a", *[None] * 5]})
    data = load_table(csv_bytes(frame), label_column="label")
    assert data.y.tolist()[:5] == [0, 1, -1, -1, 0] and not data.fully_labeled


def test_numeric_column_with_some_text_is_numeric_with_a_note():
    values = [str(v) for v in range(30)]
    values[3] = "n/a?"
    frame = pd.DataFrame({"x": values, "y2": np.arange(30.0)})
    data = load_table(csv_bytes(frame), class_names=["a", "b"])
    assert "x" in data.feature_names
    assert any("non-numeric" in n.problem for n in data.notes)


def test_infinite_values_are_imputed_with_a_note():
    frame = pd.DataFrame({"x": [1.0, np.inf, 3.0, 4.0], "z": [1.0, 2.0, 3.0, 5.0]})
    data = load_table(csv_bytes(frame), class_names=["a", "b"])
    assert np.isfinite(data.X).all()
    assert any("infinite" in n.problem for n in data.notes)


@pytest.mark.parametrize(
    "payload,match",
    [
        (b"", "empty"),
        (b"a,b,c\n", "no rows"),
        (b"\x89PNG\r\n\x1a\n" + bytes(100), "PNG image"),
        (b"PK\x03\x04" + bytes(100), "spreadsheet"),
        (b"a,b\n1,2\n3,4,5,6\n", "more cells"),
        (b"a,a,b\n1,2,3\n4,5,6\n", "more than once"),
        (b"a,b\nx1,y1\nx2,y2\nx3,y3\n", None),
    ],
)
def test_unusable_files_raise_a_dataset_error_saying_what_to_do(payload, match):
    with pytest.raises(DatasetError, match=match or "no column can be used"):
        load_table(payload, class_names=["p", "q"])


def test_a_label_column_with_one_class_is_refused():
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0], "label": ["a", "a", "a"]})
    with pytest.raises(DatasetError, match="only one class"):
        load_table(csv_bytes(frame), label_column="label")


def test_an_id_like_label_column_asks_for_confirmation():
    frame = pd.DataFrame({"x": np.arange(100.0) % 7, "label": np.arange(100)})
    with pytest.raises(TooManyClassesError, match="looks like an id"):
        load_table(csv_bytes(frame), label_column="label")
    data = load_table(csv_bytes(frame), label_column="label", allow_many_classes=True)
    assert data.n_classes == 100


def test_unknown_label_column_names_the_columns():
    with pytest.raises(DatasetError, match="columns are: num"):
        load_table(csv_bytes(mixed_frame()), label_column="nope")


def test_size_limit_is_enforced():
    with pytest.raises(DatasetError, match="over the limit"):
        load_table(csv_bytes(mixed_frame()), label_column="label", max_bytes=100)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_random_bytes_give_a_dataset_or_a_dataset_error(payload):
    try:
        data = load_table(payload, class_names=["a", "b"])
    except DatasetError as exc:
        assert str(exc)
    else:
        assert data.X.shape[0] > 0 and np.isfinite(data.X).all()


frames = data_frames(
    [
        column("f", dtype=float),
        column("t", elements=st.text(max_size=5)),
        column("label", elements=st.sampled_from(["a", "b", None])),
    ]
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frames)
def test_random_frames_round_trip_through_csv_to_a_dataset_or_an_error(frame):
    try:
        # Quote every cell: pandas leaves a lone "\r" unquoted, which any reader splits on.
        data = load_table(csv_bytes(frame, quoting=csv.QUOTE_ALL), label_column="label")
    except DatasetError as exc:
        assert str(exc)
    else:
        assert data.n_samples == len(frame) and np.isfinite(data.X).all()
        assert set(data.class_names) <= {"a", "b"}


def test_a_very_wide_file_loads():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        rng.normal(size=(30, 10_000)).round(3), columns=[f"c{i}" for i in range(10_000)]
    )
    data = load_table(csv_bytes(frame), class_names=["a", "b"])
    assert data.X.shape == (30, 10_000) and np.isfinite(data.X).all()


def test_a_very_long_file_loads():
    n = 1_000_000
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "a": rng.normal(size=n).round(4),
            "b": rng.integers(0, 9, n),
            "kind": np.where(rng.random(n) < 0.5, "x", "y"),
        }
    )
    data = load_table(csv_bytes(frame), label_column="kind", dtype=np.float32)
    assert data.X.shape == (n, 2) and data.X.dtype == np.float32 and data.fully_labeled


def test_a_project_saved_before_decimal_commas_keeps_reading_its_file_as_it_did():
    from al_core.projects.sources import DataSource

    old = DataSource.from_dict({"kind": "file", "name": "x.csv", "label_column": "label"})
    assert old.decimal_comma is False
    assert DataSource("file", "x.csv").decimal_comma is True
    text = "a;b;label\n" + "".join(f"{i},5;{i % 3};{'xy'[i % 2]}\n" for i in range(40))
    assert old.load(text.encode()).feature_names == ("b",)  # "a" unusable, as it was
    assert DataSource("file", "x.csv", label_column="label").load(text.encode()).n_features == 2
