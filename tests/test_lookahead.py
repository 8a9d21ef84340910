"""Steps computed ahead: a label that takes one ends exactly where computing it would."""

import threading

import numpy as np
import pytest

from al_core import Dataset, LabelingSession, SessionConfig, load_builtin
from al_core.learning import lookahead
from al_core.learning.strategies import STRATEGIES
from al_core.projects.project import Project
from al_core.projects.sources import DataSource


def _float32(name):
    d = load_builtin(name)
    X = np.ascontiguousarray(d.X, dtype=np.float32)
    return Dataset(name + "32", X, d.feature_names, d.class_names, y=d.y)


DATASETS = {
    "tutorial": lambda: load_builtin("tutorial", seed=42),
    "wine": lambda: load_builtin("wine"),
    "breast_cancer_float32": lambda: _float32("breast_cancer"),
    "iris_float32": lambda: _float32("iris"),
}


def _same_state(a: LabelingSession, b: LabelingSession) -> None:
    assert np.array_equal(a.labels, b.labels)
    assert np.array_equal(a.model.coef_, b.model.coef_)
    assert np.array_equal(a.model.intercept_, b.model.intercept_)
    assert a._rank.dtype == b._rank.dtype and np.array_equal(a._rank, b._rank)
    assert a._rank_cut == b._rank_cut
    # repr: a NaN score equals itself there, not under ==
    strip = [repr({**p.as_dict(), "fit_ms": 0, "query_ms": 0}) for p in a.history]
    assert strip == [repr({**p.as_dict(), "fit_ms": 0, "query_ms": 0}) for p in b.history]


@pytest.mark.parametrize("strategy", sorted(STRATEGIES))
@pytest.mark.parametrize("data", sorted(DATASETS))
def test_labels_taken_from_steps_computed_ahead_equal_labels_computed(strategy, data):
    dataset = DATASETS[data]()
    config = SessionConfig(strategy=strategy, budget=None)
    ahead, plain = LabelingSession(dataset, config), LabelingSession(dataset, config)
    rng = np.random.default_rng(0)
    for i in range(6):
        qa, qb = ahead.query(), plain.query()
        assert np.array_equal(qa.ids, qb.ids) and np.array_equal(qa.scores, qb.scores, True)
        row = int(qa.ids[0])
        job = ahead.look_ahead(row)
        assert job is not None
        job.run()
        assert job.n_ready == dataset.n_classes
        # The true class, then any class: not only the likeliest step is taken.
        label = int(dataset.y[row]) if i % 2 == 0 else int(rng.integers(dataset.n_classes))
        ahead.label(row, label)
        plain.label(row, label)
        _same_state(ahead, plain)
    assert ahead.looked_ahead == 6 and plain.looked_ahead == 0


def test_a_step_is_not_taken_once_the_labels_changed_otherwise(tutorial):
    ahead, plain = LabelingSession(tutorial), LabelingSession(tutorial)
    first, second = (int(r) for r in ahead.query(2).ids)
    job = ahead.look_ahead(first)
    job.run()
    for s in (ahead, plain):  # another annotator's label lands first
        s.label(second, int(tutorial.y[second]))
    assert ahead.looked_ahead == 0
    for s in (ahead, plain):
        s.label(first, int(tutorial.y[first]))
    assert ahead.looked_ahead == 0
    _same_state(ahead, plain)


def test_a_step_is_not_taken_after_an_undo(tutorial):
    ahead, plain = LabelingSession(tutorial), LabelingSession(tutorial)
    row = int(ahead.query().ids[0])
    for s in (ahead, plain):
        s.label(row, 0)
    nxt = int(ahead.query().ids[0])
    ahead.look_ahead(nxt).run()
    for s in (ahead, plain):
        s.undo()
        s.label(nxt, 1)
    assert ahead.looked_ahead == 0
    _same_state(ahead, plain)


def test_a_label_before_its_step_is_ready_is_computed(tutorial):
    ahead, plain = LabelingSession(tutorial), LabelingSession(tutorial)
    row = int(ahead.query().ids[0])
    job = ahead.look_ahead(row)  # prepared, never run
    for s in (ahead, plain):
        s.label(row, 1)
    assert ahead.looked_ahead == 0 and job.n_ready == 0
    _same_state(ahead, plain)
    job.run()  # cancelled by the label: computes nothing
    assert job.n_ready == 0


def test_look_ahead_declines_where_nothing_is_to_gain(tutorial, monkeypatch):
    s = LabelingSession(tutorial)
    labeled = int(s.train_ids[0])
    test_row = int(s.test_order[0])
    row = int(s.query().ids[0])
    assert s.look_ahead(labeled) is None
    assert s.look_ahead(test_row) is None
    assert s.look_ahead(row) is not None
    assert s.look_ahead(row) is None  # the page redrawn: the same job goes on
    monkeypatch.setattr(lookahead, "LOOKAHEAD_BYTES", 1_000)
    other = int(s.query(2).ids[1])
    assert s.look_ahead(other) is None  # 900 rows x 2 classes x 8 bytes is over 1,000
    d = load_builtin("tutorial", seed=42)
    unlabeled = Dataset("u", d.X, d.feature_names, d.class_names, y=None)
    test_phase = LabelingSession(unlabeled, SessionConfig(n_test_to_label=10))
    assert test_phase.phase == "test"
    assert test_phase.look_ahead(int(test_phase.query().ids[0])) is None


def test_the_rows_shown_last_keep_their_jobs_up_to_the_limits(tutorial, monkeypatch):
    s = LabelingSession(tutorial)
    rows = [int(r) for r in s.query(lookahead.LOOKAHEAD_JOBS + 1).ids]
    jobs = [s.look_ahead(r) for r in rows]
    assert all(job is not None for job in jobs)
    # One screen per annotator: the oldest beyond the limit is cancelled and dropped.
    assert s.lookahead_for(rows[0]) is None and s.lookahead_for(rows[-1]) is jobs[-1]
    jobs[0].run()
    assert jobs[0].n_ready == 0
    jobs[1].run()
    assert jobs[1].n_ready == 2
    # Another row's label makes every job stale; the row labeled takes its own step only.
    s.label(rows[1], 0)
    assert s.looked_ahead == 1 and all(s.lookahead_for(r) is None for r in rows)
    # Room for one job's rankings only: a second row replaces the first.
    monkeypatch.setattr(lookahead, "LOOKAHEAD_BYTES", tutorial.n_samples * 2 * 8 + 1)
    a, b = (int(r) for r in s.query(2).ids)
    first = s.look_ahead(a)
    assert s.look_ahead(b) is not None and s.lookahead_for(a) is None
    first.run()
    assert first.n_ready == 0


@pytest.mark.parametrize("delay", [0.0, 0.002, 0.02])
def test_a_press_during_the_computation_ends_where_computing_would(tmp_path, delay):
    """The label may arrive before, during or after the thread's work: same end state."""
    source = DataSource("builtin", "tutorial")
    ahead = Project.create("ahead", source, SessionConfig(budget=None), folder=tmp_path)
    plain = Project.create("plain", source, SessionConfig(budget=None), folder=tmp_path)
    y = ahead.dataset.y
    for _ in range(5):
        row = int(ahead.next_for("ann", look_ahead=True).ids[0])
        assert int(plain.next_for("ann").ids[0]) == row
        job = ahead.session.lookahead_for(row)
        if delay:
            threading.Event().wait(delay)
        ahead.label("ann", row, int(y[row]), on_screen=True)
        plain.label("ann", row, int(y[row]), on_screen=True)
        _same_state(ahead.session, plain.session)
        job.finished.wait(10)
    ahead.close()
    plain.close()


def test_next_for_looks_ahead_in_a_thread_and_the_label_takes_it(place, monkeypatch):
    monkeypatch.setattr("al_core.projects.actions.LOOK_AHEAD_AFTER", 0.0)
    p = Project.create("p", DataSource("builtin", "tutorial"), **place)
    row = int(p.next_for("ann", look_ahead=True).ids[0])
    job = p.session.lookahead_for(row)
    assert job is not None and job.finished.wait(10) and job.n_ready == 2
    p.next_for("ann", look_ahead=True)  # the 5-second redraw: nothing started again
    assert p.session.lookahead_for(row) is job
    saved = p.label("ann", row, 1, on_screen=True)
    assert p.session.looked_ahead == 1 and saved.point is not None
    nxt = int(p.next_for("ann").ids[0])  # no look_ahead (CLI, simulated oracle): no job
    assert p.session.lookahead_for(nxt) is None and p.session.lookahead_for(row) is None
    p.close()
    again = Project.open("p", **place)  # the saved project replays to the same state
    assert np.array_equal(again.session._rank, p.session._rank)
    again.close()


def test_steps_are_computed_likeliest_class_first(tutorial):
    s = LabelingSession(tutorial)
    row = int(s.query().ids[0])
    job = s.look_ahead(row)
    proba = s.predict_proba([row])[0]
    assert job.classes[0] == int(np.argmax(proba))
    assert sorted(job.classes) == list(range(tutorial.n_classes))
    assert lookahead.LOOKAHEAD_BYTES >= 8 * 2**20  # a million-row two-class pool fits


def test_a_label_from_another_server_ends_the_job_and_the_state_is_the_same(place, monkeypatch):
    """Two servers on one project: the one looking ahead catches up with the other's label."""
    monkeypatch.setattr("al_core.projects.actions.LOOK_AHEAD_AFTER", 0.0)
    here = Project.create("p", DataSource("builtin", "tutorial"), **place)
    there = Project.open("p", **place)
    row = int(here.next_for("ann", look_ahead=True).ids[0])
    assert here.session.lookahead_for(row).finished.wait(10)
    there.label("other", row, 1)
    assert here.refresh()
    assert here.session.lookahead_for(row) is None and here.session.looked_ahead == 0
    _same_state(here.session, there.session)
    here.close()
    there.close()
