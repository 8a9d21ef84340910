"""Stale key presses, budget changes, the simulated oracle, and logs that were tampered with."""

import sqlite3

import pytest

from al_core import ConfigError, ProjectError, SessionConfig, StaleActionError, simulate
from al_core.errors import DamagedProjectError
from al_core.projects.location import open_store
from al_core.projects.oracle import ORACLE, oracle_labels
from al_core.projects.project import Project
from al_core.projects.sources import DataSource
from al_core.projects.store import SCHEMA_VERSION, SUFFIX, project_names

TUTORIAL = DataSource("builtin", "tutorial")


def new(place, name="p", config=None):
    return Project.create(name, TUTORIAL, config or SessionConfig(), **place)


# ------------------------------------------------------------------ stale presses
def test_a_second_press_for_a_labeled_sample_is_refused_and_saves_nothing(place):
    p = new(place)
    row = int(p.next_for("ann").ids[0])
    p.label("ann", row, 0, on_screen=True)
    n_events = len(p.events)
    with pytest.raises(StaleActionError, match=f"sample {row} is no longer on your screen"):
        p.label("ann", row, 1, on_screen=True)
    following = int(p.next_for("ann").ids[0])
    with pytest.raises(StaleActionError):  # the old sample's skip key, pressed late
        p.skip("ann", row, on_screen=True)
    assert len(p.events) == n_events and p.conflicts() == {}
    assert int(p.next_for("ann").ids[0]) == following


def test_a_press_for_a_row_someone_else_now_holds_is_refused(place):
    p = new(place)
    row = int(p.next_for("ann").ids[0])
    with pytest.raises(StaleActionError, match="someone else is labeling it"):
        p.label("bob", row, 0, on_screen=True)
    assert p.events == []


def test_a_lapsed_lease_on_a_row_nobody_took_still_accepts_the_label(place):
    p = new(place)
    p.lease_seconds = -1.0  # the lease is over the moment it is granted
    row = int(p.next_for("ann").ids[0])
    p.label("ann", row, 1, on_screen=True)
    assert p.session.labels[row] == 1


def test_a_second_undo_press_for_the_same_screen_is_refused(place):
    p = new(place)
    first = int(p.next_for("ann").ids[0])
    p.label("ann", first, 0, on_screen=True)
    second = int(p.next_for("ann").ids[0])
    p.label("ann", second, 0, on_screen=True)
    third = int(p.next_for("ann").ids[0])
    assert p.undo("ann", shown_row=third).row_id == second
    with pytest.raises(StaleActionError):  # pressed on the screen that showed `third`
        p.undo("ann", shown_row=third)
    assert int(p.next_for("ann").ids[0]) == second
    assert p.session.labels[first] == 0


# ------------------------------------------------------------------------ budget
def test_a_raised_budget_is_saved_replayed_and_lets_labeling_go_on(place):
    p = new(place, config=SessionConfig(budget=2))
    y = p.dataset.y
    for _ in range(2):
        row = int(p.next_for("ann").ids[0])
        p.label("ann", row, int(y[row]))
    assert p.session.phase == "done"
    p.set_budget("ann", 5)
    assert p.session.phase == "learn" and p.session.budget_left == 3
    row = int(p.next_for("ann").ids[0])
    p.label("ann", row, int(y[row]))
    p.close()
    again = Project.open("p", **place)
    assert again.session.config.budget == 5 and again.session.budget_left == 2


@pytest.mark.parametrize("bad", [0, 1, -3, 2.5, "ten", True])
def test_a_budget_below_the_labels_given_or_not_a_number_changes_nothing(tmp_path, bad):
    p = new({"folder": tmp_path}, config=SessionConfig(budget=20))
    y = p.dataset.y
    for _ in range(2):
        row = int(p.next_for("ann").ids[0])
        p.label("ann", row, int(y[row]))
    n_events = len(p.events)
    with pytest.raises(ConfigError, match="budget"):
        p.set_budget("ann", bad)
    assert len(p.events) == n_events and p.session.config.budget == 20


# ------------------------------------------------------------------------ oracle
def test_the_in_app_demo_labels_the_rows_the_cli_queries_screen_included(place):
    p = new(place)
    on_screen = int(p.next_for("presenter").ids[0])
    assert oracle_labels(p, 20, presenter="presenter") == 20
    labeled = [e.row_id for e in p.events if e.kind == "label"]
    assert labeled[0] == on_screen
    assert labeled == simulate(p.dataset, SessionConfig()).queried
    assert {e.annotator for e in p.events} == {ORACLE}
    last = p.session.history[-1]
    assert (last.n_labeled, last.accuracy) == (110, 0.91)


# ------------------------------------------------------------ damaged or tampered logs
def _tamper(tmp_path, sql, params=()):
    conn = sqlite3.connect(tmp_path / f"p{SUFFIX}")
    conn.execute(sql, params)
    conn.commit()
    conn.close()


@pytest.mark.parametrize(
    "row_id, kind",
    [
        (99999, "label"),
        (123456, "skip"),
        (123456, "revisit"),
        (-2, "skip"),
        ("abc", "label"),
        (5.5, "label"),
    ],
)
def test_an_event_with_an_impossible_row_is_reported_as_damage(tmp_path, row_id, kind):
    p = new({"folder": tmp_path})
    row = int(p.next_for("ann").ids[0])
    p.label("ann", row, 0)
    p.close()
    _tamper(
        tmp_path,
        "INSERT INTO events (kind, row_id, label, annotator, ts) VALUES (?, ?, 0, 'x', 't')",
        (kind, row_id),
    )
    with pytest.raises(DamagedProjectError, match="damaged"):
        Project.open("p", folder=tmp_path)


@pytest.mark.parametrize("version", ['"abc"', "1.5", "{", "0"])
def test_a_schema_version_no_app_wrote_is_reported_as_damage(tmp_path, version):
    new({"folder": tmp_path}).close()
    _tamper(tmp_path, "UPDATE meta SET value = ? WHERE key = 'schema_version'", (version,))
    with pytest.raises(ProjectError, match="damaged"):
        Project.open("p", folder=tmp_path)


def test_a_schema_1_file_is_upgraded_and_keeps_its_labels(tmp_path):
    p = new({"folder": tmp_path})
    row = int(p.next_for("ann").ids[0])
    p.label("ann", row, 1)
    p.close()
    conn = sqlite3.connect(tmp_path / f"p{SUFFIX}")
    conn.executescript(
        """CREATE TABLE old (seq INTEGER PRIMARY KEY AUTOINCREMENT,
             kind TEXT NOT NULL CHECK (kind IN ('label', 'skip', 'revisit', 'undo')),
             row_id INTEGER, label INTEGER, annotator TEXT NOT NULL, ts TEXT NOT NULL,
             model_version INTEGER, strategy TEXT, score REAL, target INTEGER);
           INSERT INTO old SELECT * FROM events; DROP TABLE events;
           ALTER TABLE old RENAME TO events; DROP TABLE points;
           UPDATE meta SET value = '1' WHERE key = 'schema_version';"""
    )
    conn.close()
    again = Project.open("p", folder=tmp_path)
    assert again.session.labels[row] == 1
    again.set_budget("ann", 30)  # a kind schema 1 could not hold
    assert again.store.meta()["schema_version"] == str(SCHEMA_VERSION)
    again.close()
    assert Project.open("p", folder=tmp_path).session.config.budget == 30


# -------------------------------------------------------------------- creation
def test_a_crash_while_creating_leaves_nothing_that_blocks_the_name(tmp_path):
    # What a crash between the first write and the rename leaves: a hidden temporary file.
    (tmp_path / f".victim.0123{SUFFIX}.creating").write_bytes(b"half a project")
    assert project_names(tmp_path) == []
    Project.create("victim", TUTORIAL, folder=tmp_path).close()
    assert project_names(tmp_path) == ["victim"]
    assert Project.open("victim", folder=tmp_path).session.n_labeled == 90


# ----------------------------------------------------------- replay without refits
def _count_fits(monkeypatch):
    from al_core.learning import session as session_module

    calls = {"n": 0}
    real = session_module.LabelingSession._fit

    def counted(self):
        calls["n"] += 1
        return real(self)

    monkeypatch.setattr(session_module.LabelingSession, "_fit", counted)
    return calls


def test_opening_a_long_log_refits_once_and_equals_the_live_project(place, monkeypatch):
    live = new(place, config=SessionConfig(budget=None))
    y = live.dataset.y
    for i in range(60):
        row = int(live.next_for("ann").ids[0])
        if i % 10 == 9:
            live.skip("ann", row)
        else:
            live.label("ann", row, int(y[row]))
        if i % 15 == 14:
            live.undo("ann")
    fits = _count_fits(monkeypatch)
    again = Project.open("p", **place)
    assert fits["n"] <= 2  # the starting model, then one for every label in the log
    strip = [{**p.as_dict(), "fit_ms": 0, "query_ms": 0} for p in live.session.history]
    assert [{**p.as_dict(), "fit_ms": 0, "query_ms": 0} for p in again.session.history] == strip
    assert again.session.query(k=3).ids.tolist() == live.session.query(k=3).ids.tolist()
    assert again.session.history[-1].agreement == live.session.history[-1].agreement


def test_a_log_without_saved_points_is_replayed_exactly_all_the_same(place):
    live = new(place, config=SessionConfig(budget=None))
    y = live.dataset.y
    for _ in range(12):
        row = int(live.next_for("ann").ids[0])
        live.label("ann", row, int(y[row]))
    store = open_store("p", **place)  # as a damaged or older file would have it
    with store.write() as conn:
        conn.execute("DELETE FROM points")
    store.close()
    again = Project.open("p", **place)
    strip = [{**p.as_dict(), "fit_ms": 0, "query_ms": 0} for p in live.session.history]
    assert [{**p.as_dict(), "fit_ms": 0, "query_ms": 0} for p in again.session.history] == strip


def test_catching_up_with_many_labels_of_a_slow_model_refits_once(place, monkeypatch):
    config = SessionConfig(model="random_forest", budget=None)
    idle = new(place, config=config)
    busy = Project.open("p", **place)
    y = busy.dataset.y
    for _ in range(40):
        row = int(busy.next_for("bob").ids[0])
        busy.label("bob", row, int(y[row]))
    fits = _count_fits(monkeypatch)
    row = int(idle.next_for("ann").ids[0])  # catches up with bob's 40 labels first
    # bob's last point is still unsaved (written with his next write): computed here, on
    # the model before it, so two fits at most for forty labels.
    assert fits["n"] <= 2
    idle.label("ann", row, int(y[row]))
    assert fits["n"] <= 3
    assert idle.session.labels.tolist() == Project.open("p", **place).session.labels.tolist()
