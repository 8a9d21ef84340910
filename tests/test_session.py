"""The labeling session: labels, undo, skip, cold start, test-set phase, models."""

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from al_core import (
    DONE,
    LEARN,
    MODELS,
    TEST,
    AlreadyLabeledError,
    ConfigError,
    LabelingSession,
    NotEnoughLabelsError,
    NothingToUndoError,
    PoolExhaustedError,
    SessionConfig,
    frame_to_dataset,
    load_builtin,
)


def unlabeled_frame(n=120, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    X[: n // 2] += 3
    truth = np.r_[np.ones(n // 2, int), np.zeros(n - n // 2, int)]
    return pd.DataFrame(X, columns=["a", "b", "c"]), truth


def test_labels_are_the_single_source_and_masks_derive_from_them(tutorial):
    s = LabelingSession(tutorial)
    assert s.n_labeled == 90 and s.is_test.sum() == 100 and s.n_unlabeled == 810
    q = s.query()
    s.label(q.ids[0], 1)
    assert s.train_mask[q.ids[0]] and not s.unlabeled_mask[q.ids[0]]
    assert s.n_labeled == 91 and s.n_queried == 1 and s.budget_left == 19


def test_history_point_records_the_step(tutorial):
    s = LabelingSession(tutorial)
    q = s.query()
    point = s.label(q.ids[0], tutorial.y[q.ids[0]])
    assert point.queried_ids == (int(q.ids[0]),)
    assert point.scores == pytest.approx(tuple(q.scores))
    assert point.kind == "strategy" and point.strategy == "least_confidence"
    assert point.fit_ms > 0 and point.query_ms > 0
    assert len(s.history) == 2 and s.accuracy == point.accuracy


def test_undo_restores_the_previous_state_exactly(tutorial):
    s = LabelingSession(tutorial)
    first = s.query()
    s.label(first.ids[0], 0)
    s.undo()
    assert s.n_labeled == 90 and len(s.history) == 1
    again = s.query()
    assert np.array_equal(again.ids, first.ids)
    np.testing.assert_array_equal(again.scores, first.scores)
    with pytest.raises(NothingToUndoError, match="nothing to undo"):
        s.undo()


def test_skip_hides_a_row_until_revisited_and_undo_takes_it_back(tutorial):
    s = LabelingSession(tutorial)
    first = int(s.query().ids[0])
    s.skip(first)
    assert first not in s.query(k=5).ids
    assert s.skipped_ids.tolist() == [first]
    s.undo()
    assert int(s.query().ids[0]) == first
    s.skip(first)
    s.revisit(first)
    assert int(s.query().ids[0]) == first


def test_exclude_keeps_leased_rows_out_of_a_query(tutorial):
    s = LabelingSession(tutorial)
    top = s.query(k=3).ids
    other = s.query(k=3, exclude=top[:2]).ids
    assert not set(top[:2]) & set(other)
    assert other[0] == top[2]


def test_labeling_a_row_twice_is_refused(tutorial):
    s = LabelingSession(tutorial)
    row = int(s.query().ids[0])
    s.label(row, 0)
    with pytest.raises(AlreadyLabeledError, match=f"row {row}"):
        s.label(row, 1)


@pytest.mark.parametrize("row,label,match", [(5000, 0, "row ids"), (3, 7, "class indices")])
def test_bad_label_calls_raise_typed_errors(tutorial, row, label, match):
    with pytest.raises(ConfigError, match=match):
        LabelingSession(tutorial).label(row, label)


def test_unlabeled_file_starts_with_a_test_phase_then_a_cold_start():
    frame, truth = unlabeled_frame()
    data = frame_to_dataset(frame, class_names=["no", "yes"])
    s = LabelingSession(data, SessionConfig(n_test_to_label=20, budget=30))
    assert s.phase == TEST and s.history == []
    with pytest.raises(NotEnoughLabelsError, match="20 test rows"):
        s.evaluate()
    for _ in range(20):
        q = s.query()
        assert q.kind == "test"
        s.label(q.ids[0], truth[q.ids[0]])
    assert s.phase == LEARN
    assert s.history[0].kind == "initial" and s.history[0].accuracy is None
    # Nothing labeled for training: diverse picks until two classes are known.
    kinds = []
    while s.model is None:
        q = s.query()
        assert q.kind == "cold_start" and not s.is_test[q.ids].any()
        kinds.append(s.label(q.ids[0], truth[q.ids[0]]).kind)
    assert set(kinds) == {"cold_start"}
    q = s.query()
    assert q.kind == "strategy"
    point = s.label(q.ids[0], truth[q.ids[0]])
    assert point.accuracy is not None and point.accuracy > 0.8


@pytest.mark.parametrize("n_known", [0, 1])
def test_zero_or_one_class_never_crashes(n_known):
    frame, truth = unlabeled_frame()
    labels = pd.Series([None] * len(frame), dtype=object)
    labels[: n_known * 5] = "yes"
    frame["label"] = labels
    data = frame_to_dataset(frame, label_column="label", class_names=["no", "yes"])
    s = LabelingSession(data, SessionConfig(n_test_to_label=5))
    for i in s.test_order:
        s.label(i, truth[i])
    assert s.model is None and s.phase == LEARN
    q = s.query(k=3)
    assert q.kind == "cold_start" and np.unique(q.ids).size == 3


def test_a_model_that_fails_to_fit_falls_back_to_cold_start(tutorial):
    class Broken(LogisticRegression):
        def fit(self, X, y):
            raise RuntimeError("boom")

    s = LabelingSession(tutorial, estimator=Broken())
    assert s.model is None and "boom" in s.fit_error
    assert s.query().kind == "cold_start"
    assert s.history[0].note and s.history[0].accuracy is None


def test_the_users_estimator_is_cloned_not_mutated(tutorial):
    mine = LogisticRegression(C=0.5, max_iter=500)
    s = LabelingSession(tutorial, estimator=mine)
    assert not hasattr(mine, "coef_")
    assert s.model is not mine and s.model.C == 0.5


@pytest.mark.parametrize("model", sorted(MODELS))
def test_every_registered_model_runs_a_few_steps(model, iris):
    s = LabelingSession(iris, SessionConfig(model=model, budget=3))
    for _ in range(3):
        q = s.query()
        s.label(q.ids[0], iris.y[q.ids[0]])
    assert s.phase == DONE and 0 <= s.accuracy <= 1
    assert s.predict_proba([0]).sum() == pytest.approx(1.0)


def test_the_pool_running_dry_ends_the_session(iris):
    s = LabelingSession(iris, SessionConfig(budget=None, batch_size=200))
    with pytest.raises(PoolExhaustedError, match="asked for 200"):
        s.query()
    q = s.query(k=s.n_unlabeled)
    s.label_many(q.ids, iris.y[q.ids])
    assert s.phase == DONE and s.n_unlabeled == 0


def test_float32_pool_gives_the_same_queries(tutorial):
    f32 = load_builtin("tutorial", dtype=np.float32)
    assert f32.X.dtype == np.float32 and f32.X.flags.c_contiguous
    a, b = LabelingSession(tutorial), LabelingSession(f32)
    assert np.array_equal(a.query(k=5).ids, b.query(k=5).ids)


@pytest.mark.parametrize(
    "field,value,match",
    [
        ("strategy", "nope", "unknown strategy"),
        ("model", "nope", "unknown model"),
        ("test_size", 1.5, "between 0 and 1"),
        ("initial_fraction", 0.0, "between 0 and 1"),
        ("batch_size", 0, "at least 1"),
        ("budget", -3, "at least 1"),
    ],
)
def test_bad_config_raises_config_error(field, value, match):
    with pytest.raises(ConfigError, match=match):
        SessionConfig(**{field: value})


def _check_derived(s):
    known = s.labels != -1
    assert np.array_equal(s.blocked_mask, known | s.is_test)
    assert np.array_equal(s.unlabeled_mask, ~known & ~s.is_test)
    assert np.array_equal(s.train_ids, np.flatnonzero(known & ~s.is_test))
    assert np.array_equal(s.train_mask, known & ~s.is_test)
    assert s.n_unlabeled == np.count_nonzero(~known & ~s.is_test)
    assert s.n_test_labeled == np.count_nonzero(known & s.is_test)
    pending = s.test_order[s.labels[s.test_order] == -1]
    assert np.array_equal(s.test_ids_pending, pending)
    assert np.array_equal(s.test_rows_sorted, np.sort(s.test_order))
    skipped = np.array(sorted(s.skipped), dtype=np.int64)
    assert np.array_equal(s.skipped_ids, skipped[s.labels[skipped] == -1])


@pytest.mark.parametrize("block_rows", [1 << 20, 16])
def test_the_one_kept_mask_and_the_counts_follow_every_change(block_rows, monkeypatch):
    """Only ``blocked_mask`` is kept (written over at each change, block by block);
    every other mask and count is made from the labels and the split when asked,
    through test labels, undo, skips and training labels."""
    from al_core.learning import blocks

    monkeypatch.setattr(blocks, "BLOCK_ROWS", block_rows)
    frame, truth = unlabeled_frame(n=200, seed=3)
    data = frame_to_dataset(frame, class_names=["no", "yes"])
    s = LabelingSession(data, SessionConfig(n_test_to_label=12, budget=40))
    rng = np.random.default_rng(0)
    _check_derived(s)
    first = s.blocked_mask
    for _ in range(60):
        move = rng.integers(4)
        if move == 0 and s._actions:
            s.undo()
        elif move == 1 and s.phase != DONE:
            s.skip(int(s.query().ids[0]))
        elif move == 2 and s.skipped:
            s.revisit(int(rng.choice(sorted(s.skipped))))
        elif move == 3 and s.phase == LEARN and rng.random() < 0.3:
            rows = s.query(min(3, s.budget_left or 3)).ids
            s.label_many(rows, truth[rows])  # a batch
        elif s.phase != DONE:
            row = int(s.query().ids[0])
            s.label(row, int(truth[row]))
        _check_derived(s)
    assert s.n_test_labeled == s.n_test and s.n_labeled > 0
    assert s.blocked_mask is first  # one buffer for the session's life


def test_a_label_patches_the_derived_state_instead_of_deriving_it_again(monkeypatch):
    """A label of a row without one brings the mask, ids and counts along in place (no
    pass over the pool); any other change derives them again."""
    from al_core.learning.labelstate import LabelState

    calls = [0]
    derive = LabelState._derive

    def counted(self):
        calls[0] += 1
        return derive(self)

    monkeypatch.setattr(LabelState, "_derive", counted)
    frame, truth = unlabeled_frame(n=300, seed=4)
    data = frame_to_dataset(frame, class_names=["no", "yes"])
    s = LabelingSession(data, SessionConfig(n_test_to_label=10, budget=None))
    pending = s.test_ids_pending
    s.label_many(pending[:4], truth[pending[:4]])  # test rows: the pending count moves
    _check_derived(s)
    s.label_many(pending[4:], truth[pending[4:]])
    _check_derived(s)
    for _ in range(5):
        row = int(s.query().ids[0])
        before = calls[0]
        s.label(row, int(truth[row]))
        _check_derived(s)
        assert calls[0] == before  # patched, not derived again
    row = int(s.train_ids[-1])
    s.unlabel(row)
    _check_derived(s)
    assert calls[0] > before  # an undo derives again


def test_counts_stay_right_while_other_threads_read_them(monkeypatch):
    """A page redraws without the project's lock while a label is applied: readers in
    other threads ask for the counts at the same time as the labeling thread, and the
    one kept mask is written over in place, so it is derived by one thread at a time
    (each derivation slowed here, so that two would overlap if they could)."""
    import threading
    import time

    from al_core.learning.labelstate import LabelState

    inside, most = [0], [0]
    derive = LabelState._derive

    def slow_derive(self):
        inside[0] += 1
        most[0] = max(most[0], inside[0])
        time.sleep(0.005)
        try:
            return derive(self)
        finally:
            inside[0] -= 1

    monkeypatch.setattr(LabelState, "_derive", slow_derive)
    frame, truth = unlabeled_frame(n=400, seed=5)
    data = frame_to_dataset(frame, class_names=["no", "yes"])
    s = LabelingSession(data, SessionConfig(n_test_to_label=10, budget=None))
    stop = threading.Event()
    seen: list[int] = []

    def read() -> None:
        while not stop.is_set():
            seen.append(s.n_unlabeled)

    readers = [threading.Thread(target=read) for _ in range(3)]
    for t in readers:
        t.start()
    try:
        for _ in range(30):
            row = int(s.query().ids[0])
            s.label(row, int(truth[row]))
            _check_derived(s)
    finally:
        stop.set()
        for t in readers:
            t.join()
    assert len(seen) > 30 and most[0] == 1
    _check_derived(s)
