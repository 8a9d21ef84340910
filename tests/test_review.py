"""Review: overlap rows, agreement, likely mistakes, adjudication and the review CLI."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hst
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import cohen_kappa_score

from al_core import SessionConfig, load_builtin
from al_core.cli import main
from al_core.errors import ConfigError, NotEnoughLabelsError, StaleActionError
from al_core.learning.overlap import is_overlap_row, overlap_draw
from al_core.projects.project import Project
from al_core.projects.sources import DataSource
from al_core.review.agreement import (
    MIN_SHARED,
    agreement_report,
    kappas,
    median_seconds,
    pair_agreement,
)
from al_core.review.queue import project_agreement, review_queue
from al_core.review.suspects import check_cross_validation, find_suspects

TRUTH = load_builtin("tutorial").y


def _project(where, overlap=0.0, name="p", **config):
    """A tutorial project in a folder (a path) or in either store (a ``place`` dict)."""
    place = where if isinstance(where, dict) else {"folder": where}
    source = DataSource("builtin", "tutorial")
    return Project.create(name, source, SessionConfig(overlap=overlap, **config), **place)


def _label_next(project, who, wrong=False):
    row = int(project.next_for(who).ids[0])
    label = int(TRUTH[row]) ^ int(wrong)
    project.label(who, row, label, on_screen=True)
    return row


# ----------------------------------------------------------------------------- overlap
def test_overlap_draw_is_fixed_by_seed_and_row_and_hits_the_share():
    draws = np.array([overlap_draw(r, 42) for r in range(20_000)])
    assert np.array_equal(draws, [overlap_draw(r, 42) for r in range(20_000)])
    assert abs(np.mean(draws < 0.1) - 0.1) < 0.01
    assert not np.array_equal(draws[:100], [overlap_draw(r, 43) for r in range(100)])
    assert not any(is_overlap_row(r, 0.0, 42) for r in range(1000))


@pytest.mark.parametrize("bad", [-0.1, 1.5, "half", True])
def test_an_overlap_outside_0_to_1_is_refused(bad):
    with pytest.raises(ConfigError, match="overlap"):
        SessionConfig(overlap=bad)


def test_overlap_rows_reach_a_second_person_blind_and_never_two_at_once(tmp_path):
    p = _project(tmp_path, overlap=0.5)
    first = [_label_next(p, "ann") for _ in range(8)]
    expected = [r for r in first if is_overlap_row(r, 0.5, p.session.config.seed)]
    assert expected, "no overlap row among 8 at 50 %"
    n_queried = p.session.n_queried
    q_bob = p.next_for("bob")
    assert q_bob.kind == "overlap" and int(q_bob.ids[0]) == expected[0]
    assert int(q_bob.ids[0]) not in set(p.on_screens().values()) - {int(q_bob.ids[0])}
    # Carl is not shown the row Bob holds, but the next overlap row (or a fresh query).
    q_carl = p.next_for("carl")
    assert int(q_carl.ids[0]) != int(q_bob.ids[0])
    # Ann, who gave the first label, is never asked again.
    assert int(p.next_for("ann").ids[0]) not in expected
    saved = p.label("bob", int(q_bob.ids[0]), int(TRUTH[q_bob.ids[0]]), on_screen=True)
    assert not saved.conflict and p.session.n_queried == n_queried  # no training label
    assert expected[0] not in p.log.awaiting_second("carl")  # two people: done
    p.close()


def test_overlap_rows_do_not_stall_a_lone_annotator(tmp_path):
    p = _project(tmp_path, overlap=1.0, budget=5)
    rows = [_label_next(p, "ann") for _ in range(5)]
    assert len(set(rows)) == 5 and p.session.phase == "done"
    p.close()


def test_a_reload_shows_the_same_overlap_row_and_the_lease_survives_reopening(tmp_path):
    p = _project(tmp_path, overlap=1.0)
    row = _label_next(p, "ann")
    assert int(p.next_for("bob").ids[0]) == row
    p.close()
    p = Project.open("p", folder=tmp_path)
    q = p.next_for("bob")
    assert int(q.ids[0]) == row and q.kind == "overlap"
    p.close()


# --------------------------------------------------------------------------- agreement
def test_pair_agreement_matches_hand_computed_kappa():
    # 10 rows, 2 classes: the raters agree on 8. Confusion [[4, 1], [1, 4]]:
    # p_o = 0.8, p_e = 0.5 * 0.5 + 0.5 * 0.5 = 0.5, kappa = (0.8 - 0.5) / 0.5 = 0.6.
    a = [0, 0, 0, 0, 0, 1, 1, 1, 1, 1]
    b = [0, 0, 0, 0, 1, 0, 1, 1, 1, 1]
    pair = pair_agreement("x", "y", a, b, 2)
    assert pair.value == pytest.approx(0.6) and pair.percent == pytest.approx(0.8)
    assert pair.n_shared == MIN_SHARED and pair.low <= 0.6 <= pair.high


@given(hst.lists(hst.tuples(hst.integers(0, 3), hst.integers(0, 3)), min_size=1, max_size=60))
@settings(max_examples=60, deadline=None)
def test_the_vectorized_kappa_is_scikit_learns(pairs):
    a, b = (np.array(x) for x in zip(*pairs, strict=True))
    ours = kappas(a[None], b[None], 4)[0]
    if np.isnan(ours):
        assert len(set(a.tolist()) | set(b.tolist())) == 1
    else:
        assert ours == pytest.approx(cohen_kappa_score(a, b, labels=range(4)), abs=1e-9)


def test_agreement_of_one_class_throughout_is_undefined_not_perfect():
    pair = pair_agreement("x", "y", [1] * 12, [1] * 12, 3)
    assert pair.value is None and pair.percent == 1.0 and pair.low is None


def test_agreement_report_pairs_overall_and_per_annotator():
    labels = {
        1: {"ann": 0, "bob": 0},
        2: {"ann": 1, "bob": 0, "cat": 1},
        3: {"ann": 1},
        4: {"bob": 1, "cat": 1},
    }
    times = {
        "ann": [
            "2026-01-01T10:00:00+00:00",
            "2026-01-01T10:00:04+00:00",
            "2026-01-01T10:00:10+00:00",
            "2026-01-01T11:00:00+00:00",
        ]
    }
    report = agreement_report(labels, {2: 1}, times, 2)
    by_pair = {(p.first, p.second): p for p in report.pairs}
    assert by_pair["ann", "bob"].n_shared == 2 and by_pair["ann", "bob"].percent == 0.5
    assert by_pair["bob", "cat"].n_shared == 2 and ("ann", "cat") in by_pair
    assert report.overall.n_shared == 3  # rows with two or more labels
    stats = {a.annotator: a for a in report.annotators}
    assert stats["ann"].labels == 3 and stats["ann"].median_seconds == 5.0  # the hour is a break
    assert stats["ann"].agrees_with_decision == 1.0 and stats["bob"].agrees_with_decision == 0.0
    assert stats["cat"].n_decided == 1


def test_median_seconds_needs_two_actions():
    assert median_seconds(["2026-01-01T10:00:00+00:00"]) is None


def test_project_agreement_reads_the_overlap_pairs(tmp_path):
    p = _project(tmp_path, overlap=1.0)
    for i in range(4):
        _label_next(p, "ann")
        _label_next(p, "bob", wrong=i == 0)  # one disagreement out of the overlap rows
    report = project_agreement(p)
    (pair,) = report.pairs
    assert pair.n_shared >= 3 and pair.percent < 1.0
    assert len(p.log.disagreements()) == 1
    p.close()


# ------------------------------------------------------------------------ adjudication
def test_adjudication_replays_and_undo_restores_labels_model_and_curve(place):
    p = _project(place, overlap=1.0)
    row = _label_next(p, "ann")
    assert int(p.next_for("bob").ids[0]) == row
    p.label("bob", row, 1 - int(TRUTH[row]), on_screen=True)
    assert set(p.log.disagreements()) == {row}
    before = (p.session.labels.copy(), [pt.accuracy for pt in p.session.history])
    seen = p.last_change(row)
    saved = p.adjudicate("rev", row, 1 - int(TRUTH[row]), seen=seen)
    assert saved.conflict and p.session.labels[row] == 1 - TRUTH[row]
    assert p.session.history[-1].kind == "adjudicate" and not p.log.disagreements()
    after = (p.session.labels.copy(), [pt.accuracy for pt in p.session.history])
    coef = p.session.model.coef_.copy()
    p.close()
    p = Project.open("p", **place)
    assert np.array_equal(p.session.labels, after[0])
    assert [pt.accuracy for pt in p.session.history] == after[1]
    assert np.allclose(p.session.model.coef_, coef)
    undone = p.undo("rev")
    assert undone.kind == "adjudicate"
    assert np.array_equal(p.session.labels, before[0])
    assert [pt.accuracy for pt in p.session.history] == before[1]
    assert set(p.log.disagreements()) == {row}
    p.close()
    p = Project.open("p", **place)
    assert np.array_equal(p.session.labels, before[0])
    p.close()


def test_a_decision_on_a_row_that_changed_since_it_was_shown_is_refused(place):
    p = _project(place)
    row = _label_next(p, "ann")
    seen = p.last_change(row)
    other = Project.open("p", **place)  # a second process decides first
    other.adjudicate("eve", row, 1 - int(TRUTH[row]), seen=seen)
    other.close()
    n_events = len(p.events)
    with pytest.raises(StaleActionError, match="changed since it was shown.*eve"):
        p.adjudicate("rev", row, int(TRUTH[row]), seen=seen)
    assert len(p.events) == n_events + 1  # eve's decision, caught up; nothing of rev's
    assert p.session.labels[row] == 1 - TRUTH[row]
    p.close()


def test_a_decision_on_a_test_label_from_the_data_moves_the_accuracy(tmp_path):
    p = _project(tmp_path)
    row = int(p.session.test_order[0])
    acc = p.session.accuracy
    p.adjudicate("rev", row, 1 - int(TRUTH[row]))
    assert p.session.accuracy != acc
    assert p.session.n_queried == 0  # a decision is not a query: the budget is untouched
    p.undo("rev")
    assert p.session.accuracy == acc and p.session.labels[row] == TRUTH[row]
    p.close()


def test_a_label_after_a_decision_is_kept_but_the_decision_stands(tmp_path):
    p = _project(tmp_path, overlap=1.0)
    row = _label_next(p, "ann")
    p.adjudicate("rev", row, 1 - int(TRUTH[row]))
    p.label("bob", int(p.next_for("bob").ids[0]), int(TRUTH[row]), on_screen=True)
    assert p.session.labels[row] == 1 - TRUTH[row]
    p.close()


def test_a_decision_on_an_unlabeled_row_is_refused(tmp_path):
    p = _project(tmp_path)
    row = int(p.next_for("ann").ids[0])
    with pytest.raises(ConfigError, match="no label to review"):
        p.adjudicate("rev", row, 0)
    p.close()


# ---------------------------------------------------------------------------- suspects
@pytest.mark.parametrize("name", ["breast_cancer", "wine", "digits"])
def test_suspects_find_most_injected_flips(name):
    data = load_builtin(name)
    y = data.y.astype(np.int64).copy()
    rng = np.random.default_rng(0)
    flipped = rng.choice(y.size, size=y.size // 10, replace=False)
    y[flipped] = (y[flipped] + rng.integers(1, data.n_classes, flipped.size)) % data.n_classes
    found = find_suspects(LogisticRegression(max_iter=2000), data.X, y, data.n_classes)
    top = found.order[: flipped.size]
    assert np.isin(top, flipped).mean() >= 0.6
    assert found.flagged[top].mean() > 0.5 and found.proba.shape == (y.size, data.n_classes)


@pytest.mark.parametrize(
    ("y", "match"),
    [([0, 0, 0], "at least two classes"), ([0, 0, 1], "at least 2 labeled rows.*'b' \\(1\\)")],
)
def test_suspects_say_what_is_missing(y, match):
    with pytest.raises(NotEnoughLabelsError, match=match):
        check_cross_validation(np.array(y), ["a", "b"])


def test_the_review_queue_lists_conflicts_then_likely_mistakes(tmp_path):
    p = _project(tmp_path, overlap=1.0)
    row = _label_next(p, "ann")
    p.label("bob", int(p.next_for("bob").ids[0]), 1 - int(TRUTH[row]), on_screen=True)
    queue = review_queue(p, top=5)
    assert queue.items[0].row_id == row and queue.items[0].reason == "conflict"
    suspects = [i for i in queue.items if i.reason == "suspect"]
    assert 0 < len(suspects) <= 5 and all(i.quality is not None for i in suspects)
    # A decided suspect leaves the queue.
    first = suspects[0]
    p.adjudicate("rev", first.row_id, first.current, seen=first.seen)
    assert first.row_id not in {i.row_id for i in review_queue(p, top=5).items}
    p.close()


# --------------------------------------------------------------------------------- CLI
def test_review_cli_lists_the_queue_as_json(tmp_path, monkeypatch):
    monkeypatch.setenv("AL_PROJECTS_DIR", str(tmp_path))
    p = _project(tmp_path, overlap=1.0, name="team")
    row = _label_next(p, "ann")
    p.label("bob", int(p.next_for("bob").ids[0]), 1 - int(TRUTH[row]), on_screen=True)
    p.close()
    out = io.StringIO()
    assert main(["review", "team", "--top", "3", "--json"], out=out) == 0
    payload = json.loads(out.getvalue())
    assert payload["items"][0]["row_id"] == row and payload["items"][0]["reason"] == "conflict"
    assert {e["annotator"] for e in payload["items"][0]["labels"]} == {"ann", "bob"}
    assert len(payload["items"]) <= 4


def test_suspects_cli_ranks_a_file(tmp_path):
    data = load_builtin("wine")
    import pandas as pd

    frame = pd.DataFrame(data.X, columns=data.feature_names)
    y = data.y.copy()
    y[[3, 70, 150]] = (y[[3, 70, 150]] + 1) % 3
    frame["kind"] = np.array(data.class_names)[y]
    path = tmp_path / "wine.csv"
    frame.to_csv(path, index=False)
    out = io.StringIO()
    code = main(
        ["suspects", "--dataset", str(path), "--label-column", "kind", "--top", "5", "--json"],
        out=out,
    )
    payload = json.loads(out.getvalue())
    assert code == 0 and len(payload["rows"]) == 5 == len(payload["scores"])
    assert payload["scores"] == sorted(payload["scores"], reverse=True)
    assert len({3, 70, 150} & set(payload["rows"])) >= 2


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        ("a,b,label\n1,2,x\n3,4,x\n5,6,y\n", ["--label-column", "label"], "at least 2"),
        ("a,b,label\n1,2,x\n3,4,x\n5,6,y\n", [], "--label-column"),
        ("a,b,label\n1,2,x\n3,4,x\n", ["--label-column", "label"], "only one class"),
    ],
)
def test_suspects_cli_says_what_is_missing(tmp_path, capsys, content, args, message):
    path = tmp_path / "f.csv"
    path.write_text(content)
    assert main(["suspects", "--dataset", str(path), *args]) == 2
    assert message in capsys.readouterr().err


def test_agreement_cli_reports_pairs_overall_and_people(tmp_path, monkeypatch):
    monkeypatch.setenv("AL_PROJECTS_DIR", str(tmp_path))
    p = _project(tmp_path, overlap=1.0, name="team")
    for wrong in (False, True, False, False):
        _label_next(p, "ann")
        _label_next(p, "bob", wrong=wrong)
    p.close()
    out = io.StringIO()
    assert main(["agreement", "team", "--json"], out=out) == 0
    report = json.loads(out.getvalue())
    (pair,) = report["pairs"]
    assert (pair["first"], pair["second"], pair["n_shared"]) == ("ann", "bob", 4)
    assert pair["percent"] == 0.75 and report["overall"]["n_shared"] == 4
    assert {a["annotator"] for a in report["annotators"]} == {"ann", "bob"}
    text = io.StringIO()
    assert main(["agreement", "team"], out=text) == 0
    assert "ann / bob: Cohen's kappa" in text.getvalue()
