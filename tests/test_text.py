"""Text columns as features: loading, bad cells, sparse pools end to end, highlights."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from al_core import SessionConfig, load_builtin, load_table
from al_core.cli import main
from al_core.data.builtin.make_tickets import PATH, csv_text
from al_core.data.text import MAX_TEXT_CHARS, looks_like_text
from al_core.errors import ConfigError, DatasetError
from al_core.learning.coldstart import diverse_rows
from al_core.learning.poolmap import pool_map
from al_core.learning.session import LabelingSession
from al_core.learning.words import word_highlights
from al_core.projects.predict import predictions_frame, save_model
from al_core.projects.project import Project
from al_core.projects.sources import DataSource, dataset_hash
from al_core.review.suspects import find_suspects
from al_core.simulation.compare import compare
from al_ui.textcard import highlighted_html

GOOD = ["great", "lovely", "excellent", "superb", "wonderful"]
BAD = ["awful", "broken", "terrible", "useless", "horrid"]


def _reviews(n=200, seed=0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        good = i % 2 == 0
        words = rng.choice(GOOD if good else BAD, 2).tolist() + ["the", "product", "was"]
        rng.shuffle(words)
        rows.append(
            {
                "id": f"R{i}",
                "review": " ".join(words),
                "stars": 4 + rng.normal() if good else 2 + rng.normal(),
                "verdict": "good" if good else "bad",
            }
        )
    return pd.DataFrame(rows)


def _csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode()


def _fit(data, n=40, strategy="least_confidence", model="logistic_regression"):
    s = LabelingSession(data, SessionConfig(budget=None, strategy=strategy, model=model))
    for _ in range(n):
        row = int(s.query().ids[0])
        s.label(row, int(data.y[row]))
    return s


# ------------------------------------------------------------------------ loading
def test_the_shipped_tickets_file_is_what_its_generator_writes():
    assert PATH.read_text(encoding="utf-8") == csv_text()


def test_tickets_load_as_a_sparse_pool_of_text_and_other_columns():
    data = load_builtin("tickets")
    assert sp.issparse(data.X) and data.X.format == "csr"
    assert data.text_columns == ("text",) and data.n_classes == 4 and data.n_samples == 1200
    assert {"channel", "customer_months", "text"} <= set(data.feature_columns)
    assert any(name.startswith("text: ") for name in data.feature_names)
    assert data.X.nnz < 0.2 * data.n_samples * data.n_features  # not densified
    assert load_builtin("tickets", dtype=np.float32).X.dtype == np.float32


def test_a_text_column_is_guessed_and_without_choosing_it_the_note_says_how():
    frame = _reviews()
    assert looks_like_text(frame.review) and not looks_like_text(frame.verdict)
    data = load_table(_csv(frame), label_column="verdict")
    (note,) = [n for n in data.notes if n.column == "review"]
    assert not note.used and "choose it as a text column" in note.problem


def test_text_mixed_with_numbers_keeps_both():
    data = load_table(_csv(_reviews()), label_column="verdict", text_columns=["review"])
    assert "stars" in data.feature_names and "review: great" in data.feature_names
    assert data.X.shape == (200, len(data.feature_names))


@pytest.mark.parametrize(
    ("cells", "message", "used"),
    [
        (lambda n: [None] * n, "every cell is empty", False),
        (lambda n: ["a"] * n, "fewer than two rows have a word", False),
        (lambda n: ["\x01\x02\x03\x04 x"] * n, "binary data", False),
        (
            lambda n: ["nice words here"] * 10 + [None] * (n - 10),
            r"no words in 190 of 200 rows \(95%\)",
            True,
        ),
        (lambda n: ["ok text here"] * (n - 3) + ["\x00\x01\x02\x03\x04\x05"] * 3, "3 cells", True),
    ],
    ids=["empty", "no-words", "junk", "mostly-empty", "some-junk"],
)
def test_bad_text_columns_get_a_note_and_the_rest_still_loads(cells, message, used):
    frame = _reviews().assign(note=cells(200))
    data = frame_to_data(frame)
    (note,) = [n for n in data.notes if n.column == "note"]
    assert note.used is used
    assert re.search(message, note.problem)
    assert ("note" in data.text_columns) is used


def frame_to_data(frame):
    from al_core.data.tabular import frame_to_dataset

    return frame_to_dataset(frame, "f", "verdict", text_columns=["note", "review"])


def test_a_huge_cell_is_cut_for_the_model_and_kept_whole_in_the_file():
    frame = _reviews(20)
    frame.loc[3, "review"] = "great " * 200_000  # 1.2 MB
    data = load_table(_csv(frame), label_column="verdict", text_columns=["review"])
    (note,) = [n for n in data.notes if n.column == "review"]
    assert f"{MAX_TEXT_CHARS:,}" in note.problem and note.used
    assert len(data.raw.review[3]) == 1_200_000


def test_only_a_text_column_with_nothing_in_it_is_refused_with_the_reason():
    frame = pd.DataFrame({"t": [None, "", None, "x"], "y": ["a", "b", "a", "b"]})
    with pytest.raises(DatasetError, match="no column can be used.*fewer than two rows"):
        load_table(_csv(frame), label_column="y", feature_columns=["t"], text_columns=["t"])


def test_the_label_column_cannot_also_be_text():
    with pytest.raises(DatasetError, match="label column; it cannot also be a text feature"):
        load_table(_csv(_reviews()), label_column="verdict", text_columns=["verdict"])


def test_a_file_not_in_utf8_says_how_it_was_read():
    frame = _reviews(30).assign(review=lambda f: f.review + " café")
    data = load_table(
        frame.to_csv(index=False).encode("cp1252"), label_column="verdict", text_columns=["review"]
    )
    assert any("not UTF-8" in n.problem and "cp1252" in n.problem for n in data.notes)
    assert data.raw.review[0].endswith("café")


def test_a_parquet_text_column_in_another_encoding_is_refused(tmp_path):
    frame = pd.DataFrame({"t": ["héllo wörld".encode("utf-16")] * 4, "y": ["a", "b"] * 2})
    frame.to_parquet(tmp_path / "f.parquet")
    with pytest.raises(DatasetError, match="binary data, not text"):
        load_table(tmp_path / "f.parquet", label_column="y", text_columns=["t"])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(st.none(), st.text(max_size=40)), min_size=2, max_size=30))
def test_any_text_column_loads_or_is_refused_with_a_dataset_error(texts):
    labels = [("a", "b")[i % 2] for i in range(len(texts))]
    frame = pd.DataFrame({"t": texts, "n": np.arange(len(texts)), "y": labels})
    buffer = io.BytesIO()
    frame.to_parquet(buffer)  # exact cells (a CSV writer may leave a bare "\r" unquoted)
    try:
        data = load_table(buffer.getvalue(), label_column="y", text_columns=["t"])
    except DatasetError:
        return
    assert data.X.shape[0] == len(texts)
    assert sp.issparse(data.X) or "t" not in data.text_columns


# ------------------------------------------------------------------ sparse engine
def test_a_session_on_text_keeps_the_pool_sparse_and_learns():
    data = load_builtin("tickets")
    s = _fit(data, 120)
    assert sp.issparse(s.dataset.X) and s.accuracy > 0.6
    proba = s.predict_proba([0, 1])
    assert proba.shape == (2, 4) and np.allclose(proba.sum(axis=1), 1)


def test_sparse_cold_start_measures_the_same_distances_as_dense():
    data = load_table(_csv(_reviews(60)), label_column="verdict", text_columns=["review"])
    X = data.X
    candidates, anchors = np.arange(10, 60), np.arange(0, 3)
    dense = X.toarray()
    zero, one = np.zeros(X.shape[1]), np.ones(X.shape[1])
    a = diverse_rows(X, candidates, anchors, 5, None, None, 7)
    b = diverse_rows(dense, candidates, anchors, 5, zero, one, 7)
    assert np.array_equal(a[0], b[0]) and np.allclose(a[1], b[1])


def test_an_unlabeled_text_file_starts_cold_on_the_sparse_pool():
    frame = _reviews(80).drop(columns="verdict")
    data = load_table(_csv(frame), class_names=["bad", "good"], text_columns=["review"])
    s = LabelingSession(data, SessionConfig(budget=None, n_test_to_label=5))
    for _ in range(5):
        row = int(s.query().ids[0])
        s.label(row, int("great" in data.raw.review[row]))
    q = s.query()
    assert q.kind == "cold_start" and q.ids.size == 1


def test_naive_bayes_is_refused_for_text_with_what_to_choose():
    with pytest.raises(ConfigError, match="needs numeric features.*logistic_regression"):
        LabelingSession(load_builtin("tickets"), SessionConfig(model="naive_bayes"))


def test_random_forest_learns_text_too():
    assert _fit(load_builtin("tickets"), 30, model="random_forest").model is not None


def test_the_hash_of_a_text_pool_is_stable_and_sees_a_changed_word():
    frame = _reviews()
    first = load_table(_csv(frame), label_column="verdict", text_columns=["review"])
    again = load_table(_csv(frame), label_column="verdict", text_columns=["review"])
    frame.loc[5, "review"] = "great great product"
    changed = load_table(_csv(frame), label_column="verdict", text_columns=["review"])
    assert dataset_hash(first) == dataset_hash(again) != dataset_hash(changed)


def test_the_pool_map_and_suspects_work_on_text():
    data = load_builtin("tickets")
    drawn = pool_map(data.X, 0)
    assert drawn.xy.shape == (1200, 2) and drawn.place(data.X[[5]]).shape == (1, 2)
    s = _fit(data, 60)
    rows = s.train_ids
    found = find_suspects(s.estimator, data.X[rows], s.labels[rows], 4)
    assert found.order.size == rows.size


# --------------------------------------------------------------------- highlights
def test_highlights_mark_the_words_that_push_each_way_in_place():
    data = load_table(_csv(_reviews()), label_column="verdict", text_columns=["review"])
    s = _fit(data, 40)
    good = data.class_names.index("good")
    row = int(np.flatnonzero(data.y == good)[0])
    text = data.raw.review[row]
    marks = word_highlights(data, s.model, row, "review")
    words = {text[m.start : m.end]: m.klass for m in marks}
    assert all(words[w] == good for w in words if w in GOOD) and any(w in GOOD for w in words)
    assert all(m.weight > 0 for m in marks)
    assert word_highlights(data, _fit(data, 20, model="random_forest").model, row, "review") == []


def test_multiclass_highlights_name_the_topic_a_word_belongs_to():
    data = load_builtin("tickets")
    s = _fit(data, 150)
    billing = data.class_names.index("billing")
    frame = data.raw
    row = int(frame.index[frame.text.str.contains("refund") & (frame.topic == "billing")][0])
    marks = word_highlights(data, s.model, row, "text")
    text = frame.text[row]
    assert any(text[m.start : m.end].lower() == "refund" and m.klass == billing for m in marks)


def test_user_text_is_escaped_never_html_or_markdown():
    from al_core.learning.words import Highlight

    text = "<script>alert(1)</script> **bold** [x](javascript:y) great"
    at = text.index("great")
    out = highlighted_html(text, [Highlight(at, at + 5, 0, 1.0)], ["<b>good</b>"], ["#00796b"])
    assert "<script>" not in out and "&lt;script&gt;" in out and "**bold**" in out
    assert ">great</mark>" in out and "&lt;b&gt;good" in out
    cut = highlighted_html("word " * 10_000, [], ["a"], ["#00796b"], shown_chars=100)
    assert "49,900 more characters not shown" in cut


# --------------------------------------------------------- comparison, CLI, model
def test_uncertainty_beats_random_on_the_tickets():
    result = compare(
        load_builtin("tickets"),
        ["least_confidence", "random"],
        seeds=2,
        budget=250,
        config=SessionConfig(initial_fraction=0.02),
        n_jobs=2,
    )
    lc, rnd = result.curves["least_confidence"], result.curves["random"]
    assert lc.auc > rnd.auc
    reach = lc.labels_to_reach(result.target)
    assert reach is not None and reach < (rnd.labels_to_reach(result.target) or 10**9)


def test_cli_create_and_simulate_take_text_columns(tmp_path, monkeypatch):
    monkeypatch.setenv("AL_PROJECTS_DIR", str(tmp_path))
    path = tmp_path / "reviews.csv"
    _reviews().to_csv(path, index=False)
    out = io.StringIO()
    args = ["--label-column", "verdict", "--text-column", "review"]
    assert main(["create", "rev", "--data", str(path), *args], out=out) == 0
    assert "created 'rev'" in out.getvalue()
    assert Project.open("rev", folder=tmp_path).dataset.text_columns == ("review",)
    out = io.StringIO()
    assert main(["simulate", "--dataset", str(path), *args, "--queries", "3"], out=out) == 0
    assert "QUERY 3" in out.getvalue()
    bad = ["create", "nb", "--data", str(path), *args, "--model", "naive_bayes"]
    assert main(bad) == 2
    assert main(["simulate", "--dataset", "tickets", "--text-column", "text"]) == 2


def test_a_text_project_predicts_new_rows_and_its_model_loads_in_a_fresh_process(tmp_path):
    source = DataSource("file", "r.csv", label_column="verdict", text_columns=("review",))
    p = Project.create(
        "r", source, SessionConfig(budget=None), folder=tmp_path, content=_csv(_reviews())
    )
    for _ in range(30):
        row = int(p.next_for("ann").ids[0])
        p.label("ann", row, int(p.dataset.y[row]))
    new = _reviews(40, seed=3)
    new.loc[0, "review"] = None  # an empty cell in a new file is read as no words
    path = tmp_path / "new.csv"
    new.drop(columns="verdict").to_csv(path, index=False)
    frame = predictions_frame(p, path)
    assert (frame.predicted == new.verdict).mean() > 0.9
    model = save_model(p, tmp_path / "m.skops")
    script = f"""
import json, pandas as pd, skops.io as sio
model = sio.load({str(model)!r}, trusted=sio.get_untrusted_types(file={str(model)!r}))
frame = pd.read_csv({str(path)!r})
frame["review"] = frame["review"].fillna("")
print(json.dumps(model.predict_proba(frame)[:, 0].tolist()))
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert np.allclose(json.loads(done.stdout), frame["p:bad"])


def test_a_large_pool_hashes_its_words_and_still_marks_them(monkeypatch):
    import al_core.data.text as text

    monkeypatch.setattr(text, "HASHING_ROWS", 50)  # as if the pool were over 200,000 rows
    data = load_table(_csv(_reviews()), label_column="verdict", text_columns=["review"])
    assert data.n_features == text.HASH_FEATURES + 1 and sp.issparse(data.X)
    assert "review: #0" in data.feature_names
    s = _fit(data, 40)
    good = data.class_names.index("good")
    row = int(np.flatnonzero(data.y == good)[0])
    review = data.raw.review[row]
    marks = {
        review[m.start : m.end]: m.klass for m in word_highlights(data, s.model, row, "review")
    }
    assert any(w in GOOD and c == good for w, c in marks.items())
