"""Projects: saved before acknowledged, replayed exactly, shared safely, exported safely."""

import json
import os
import shutil
import sqlite3
import stat
import subprocess

import numpy as np
import pandas as pd
import pytest

from al_core import (
    ConfigError,
    DataMismatchError,
    NothingToUndoError,
    PoolExhaustedError,
    ProjectError,
    ProjectExistsError,
    ProjectNotFoundError,
    SessionConfig,
    StorageError,
)
from al_core.cli import main
from al_core.projects.export import labels_frame, neutralize_formulas
from al_core.projects.project import Project
from al_core.projects.sources import DataSource
from al_core.projects.store import SUFFIX, project_names

TUTORIAL = DataSource("builtin", "tutorial")


def new(place, name="p", **kw):
    return Project.create(name, TUTORIAL, SessionConfig(budget=None), **place, **kw)


def comparable(project):
    s = project.session
    strip = [{**p.as_dict(), "fit_ms": 0, "query_ms": 0} for p in s.history]
    return s.labels.tolist(), sorted(s.skipped), json.dumps(strip), s.query(k=3).ids.tolist()


def test_replay_equals_the_live_project_step_by_step(place):
    live = new(place)
    y = live.dataset.y
    script = ["label", "label", "skip", "label", "undo", "label", "label", "skip", "undo", "label"]
    for i, op in enumerate(script):
        who = "ann" if i % 2 else "bob"
        if op == "label":
            row = int(live.next_for(who).ids[0])
            live.label(who, row, y[row])
        elif op == "skip":
            live.skip(who, int(live.next_for(who).ids[0]))
        else:
            live.undo(who)
        replay = Project.open("p", **place)
        assert comparable(replay) == comparable(live), f"differs after step {i} ({op})"
        replay.close()


def test_a_label_survives_reopening_with_its_who_and_when(place):
    p = new(place)
    row = int(p.next_for("ann").ids[0])
    saved = p.label("ann", row, 1)
    assert saved.point.n_labeled == 91 and not saved.conflict
    p.close()
    again = Project.open("p", **place)
    event = again.label_event(row)
    assert (event.annotator, event.label, event.kind) == ("ann", 1, "label")
    assert event.ts.endswith("+00:00") and event.model_version == 90
    assert event.score == pytest.approx(0.499290833504354)


def test_the_same_row_is_shown_again_after_a_refresh_and_never_to_two_people(place):
    p = new(place)
    a = p.next_for("ann", k=2).ids.tolist()
    assert p.next_for("ann", k=2).ids.tolist() == a
    b = p.next_for("bob", k=2).ids.tolist()
    assert not set(a) & set(b)
    other_process = Project.open("p", **place)
    assert not set(other_process.next_for("cy", k=3).ids.tolist()) & set(a + b)


def test_an_expired_lease_frees_the_row(place):
    p = new(place, lease_seconds=0.05)
    row = int(p.next_for("ann").ids[0])
    import time

    time.sleep(0.1)
    assert int(p.next_for("bob").ids[0]) == row


def test_undo_takes_back_only_the_annotators_own_last_action(place):
    p = new(place)
    ra = int(p.next_for("ann").ids[0])
    p.label("ann", ra, 0)
    rb = int(p.next_for("bob").ids[0])
    p.label("bob", rb, 1)
    assert p.undo("ann").row_id == ra
    assert p.session.labels[ra] == -1 and p.session.labels[rb] == 1
    with pytest.raises(NothingToUndoError, match="ann has nothing to undo"):
        p.undo("ann")


def test_a_second_label_is_a_conflict_and_the_first_trains(place):
    p = new(place)
    row = int(p.next_for("ann").ids[0])
    p.label("ann", row, 0)
    saved = p.label("bob", row, 1)
    assert saved.conflict and saved.point is None
    assert p.session.labels[row] == 0
    assert [e.annotator for e in p.conflicts()[row]] == ["bob"]
    frame = labels_frame(p)
    mine = frame[frame.row_id == row].iloc[0]
    assert mine.conflict and mine.other_labels == "class 1 by bob" and mine.annotator == "ann"
    p.undo("ann")
    assert p.session.labels[row] == 1 and not p.conflicts()
    assert labels_frame(p).set_index("row_id").loc[row, "annotator"] == "bob"


def test_skipped_rows_wait_on_the_later_list_until_revisited(place):
    p = new(place)
    row = int(p.next_for("ann").ids[0])
    p.skip("ann", row)
    assert row not in p.next_for("ann", k=5).ids
    assert Project.open("p", **place).session.skipped_ids.tolist() == [row]
    p.revisit("ann", row)
    assert p.session.skipped_ids.size == 0


def test_a_file_project_opens_without_the_original_file(tmp_path, place):
    csv = tmp_path / "mine.csv"
    rng = np.random.default_rng(0)
    pd.DataFrame({"a": rng.normal(size=80), "b": rng.normal(size=80)}).to_csv(csv, index=False)
    content = csv.read_bytes()
    source = DataSource("file", "mine.csv", class_names=("x", "y"))
    p = Project.create("f", source, SessionConfig(n_test_to_label=5), **place, content=content)
    row = int(p.next_for("ann").ids[0])
    assert p.next_for("ann").kind == "test"
    p.label("ann", row, 0)
    csv.unlink()
    again = Project.open("f", **place)
    assert again.session.labels[row] == 0 and again.session.phase == "test"


@pytest.mark.parametrize("name", ["../escape", "/etc/passwd", "..", "a/../../b", "nul\x00x"])
def test_project_names_cannot_leave_the_projects_folder(tmp_path, name):
    folder = tmp_path / "projects"
    try:
        p = Project.create(name, TUTORIAL, folder=folder)
    except ProjectError as exc:
        assert "cannot be a project name" in str(exc)
        return
    assert p.store.path.parent == folder and p.store.path.suffix == SUFFIX
    assert list(tmp_path.iterdir()) == [folder]


def test_an_existing_project_is_never_overwritten(tmp_path):
    p = new({"folder": tmp_path})
    p.label("ann", int(p.next_for("ann").ids[0]), 0)
    with pytest.raises(ProjectExistsError, match="already exists"):
        new({"folder": tmp_path})
    assert Project.open("p", folder=tmp_path).session.n_labeled == 91


def test_bad_settings_leave_no_file_behind(tmp_path):
    with pytest.raises(ConfigError):
        Project.create("x", TUTORIAL, folder=tmp_path, lease_seconds=0)
    assert project_names(tmp_path) == []


def test_missing_foreign_and_damaged_files_give_typed_errors(tmp_path):
    with pytest.raises(ProjectNotFoundError):
        Project.open("nope", folder=tmp_path)
    (tmp_path / f"junk{SUFFIX}").write_bytes(os.urandom(4096))
    with pytest.raises(ProjectError, match="not a project or is damaged"):
        Project.open("junk", folder=tmp_path)
    sqlite3.connect(tmp_path / f"other{SUFFIX}").execute("CREATE TABLE t (x)").connection.commit()
    with pytest.raises(ProjectError, match="not a labeling project"):
        Project.open("other", folder=tmp_path)


def _set_meta(tmp_path, key, value):
    with sqlite3.connect(tmp_path / f"p{SUFFIX}") as db:
        db.execute("UPDATE meta SET value = ? WHERE key = ?", (value, key))


def test_a_newer_schema_is_refused(tmp_path):
    new({"folder": tmp_path}).close()
    _set_meta(tmp_path, "schema_version", "99")
    with pytest.raises(ProjectError, match="newer version"):
        Project.open("p", folder=tmp_path)


def test_changed_data_is_detected(tmp_path):
    new({"folder": tmp_path}).close()
    _set_meta(tmp_path, "data_hash", '"0000"')
    with pytest.raises(DataMismatchError, match="no longer what it was labeled on"):
        Project.open("p", folder=tmp_path)


def _make_read_only(path):
    """chmod for ordinary users; root ignores modes, so it gets the immutable attribute.

    The -shm file stays writable: it is memory-mapped, and an immutable mapping would
    kill the process with SIGBUS, which is not the failure being tested.
    """
    files = [f for f in path.parent.glob(path.name + "*") if not f.name.endswith("-shm")]
    if os.geteuid() != 0:
        for f in files:
            os.chmod(f, stat.S_IRUSR)
        return lambda: [os.chmod(f, stat.S_IRUSR | stat.S_IWUSR) for f in files]
    if shutil.which("chattr") is None:
        pytest.skip("root without chattr cannot make a file read-only")
    if subprocess.run(["chattr", "+i", *map(str, files)], capture_output=True).returncode:
        pytest.skip("this file system does not support the immutable attribute")
    return lambda: subprocess.run(["chattr", "-i", *map(str, files)], check=True)


def test_a_read_only_project_refuses_the_label_and_keeps_the_old_ones(tmp_path):
    p = new({"folder": tmp_path})
    first = int(p.next_for("ann").ids[0])
    p.label("ann", first, 0)
    row = int(p.next_for("ann").ids[0])
    undo = _make_read_only(p.store.path)
    try:
        with pytest.raises(StorageError, match="read-only|could not be read or written"):
            p.label("ann", row, 1)
        assert p.session.labels[row] == -1
    finally:
        undo()
    again = Project.open("p", folder=tmp_path)
    assert again.session.labels[first] == 0 and again.session.labels[row] == -1


def test_a_deleted_project_file_refuses_the_label(tmp_path):
    p = new({"folder": tmp_path})
    row = int(p.next_for("ann").ids[0])
    p.store.path.unlink()
    with pytest.raises(StorageError, match="deleted or replaced"):
        p.label("ann", row, 0)
    assert p.session.labels[row] == -1


def test_the_pool_being_taken_by_others_is_reported(tmp_path):
    p = Project.create("s", DataSource("builtin", "iris"), folder=tmp_path)
    p.next_for("ann", k=p.session.n_unlabeled)
    with pytest.raises(PoolExhaustedError):
        p.next_for("bob")


def test_export_writes_labels_and_history_in_three_formats(tmp_path, monkeypatch):
    monkeypatch.setenv("AL_PROJECTS_DIR", str(tmp_path))
    p = Project.create("ex", TUTORIAL)
    for _ in range(3):
        row = int(p.next_for("=cmd|' /C calc'!A0").ids[0])
        p.label("=cmd|' /C calc'!A0", row, 1)
    for fmt in ("csv", "json", "parquet"):
        assert main(["export", "ex", "--format", fmt, "--out", str(tmp_path / "out")]) == 0
    labels = pd.read_csv(tmp_path / "out" / "ex-labels.csv")
    assert len(labels) == 100 + 90 + 3
    assert set(labels.annotator) == {"(dataset)", "'=cmd|' /C calc'!A0"}
    assert "value:x0" in labels.columns
    history = pd.read_json(tmp_path / "out" / "ex-history.json")
    assert history.n_labeled.tolist() == [90, 91, 92, 93]
    assert len(pd.read_parquet(tmp_path / "out" / "ex-labels.parquet")) == 193


@pytest.mark.parametrize("cell", ["=1+1", "+1", "-1+2", "@SUM(A1)", "\t=x"])
def test_csv_cells_that_spreadsheets_would_run_are_neutralized(cell):
    out = neutralize_formulas(pd.DataFrame({"a": [cell, "plain"], "n": [-1.5, 2.0]}))
    assert out.a.tolist() == ["'" + cell, "plain"]
    assert out.n.tolist() == [-1.5, 2.0]  # numbers stay numbers


def test_a_full_disk_refuses_the_label_and_keeps_the_old_ones(tmp_path):
    p = new({"folder": tmp_path})
    first = int(p.next_for("ann").ids[0])
    p.label("ann", first, 0)
    row = int(p.next_for("ann").ids[0])
    # SQLite reports a database that may not grow exactly as it reports a full disk.
    (pages,) = p.store.conn.execute("PRAGMA page_count").fetchone()
    p.store.conn.execute(f"PRAGMA max_page_count = {pages}")
    with pytest.raises(StorageError, match="full"):
        for _ in range(200):  # fill the last free page, then one more write fails
            row = None  # the lease of the next row may be the write that fails
            row = int(p.next_for("ann").ids[0])
            p.label("ann", row, 1)
    assert row is None or p.session.labels[row] == -1
    saved = [e.row_id for e in p.events if e.kind == "label"]
    again = Project.open("p", folder=tmp_path)
    assert [e.row_id for e in again.events if e.kind == "label"] == saved
    assert again.session.labels[first] == 0


def test_the_random_band_is_computed_once_and_stored(tmp_path):
    p = new({"folder": tmp_path})
    assert p.baseline(compute=False) is None
    curve = p.baseline(seeds=3)
    assert curve.accuracy.shape == (3, 101) and curve.n_labeled[0] == 90
    again = Project.open("p", folder=tmp_path).baseline(compute=False)
    assert np.array_equal(again.accuracy, curve.accuracy)


def test_data_without_ground_truth_has_no_random_band(tmp_path):
    frame = pd.DataFrame({"a": np.arange(40.0), "b": np.arange(40.0) % 7})
    source = DataSource("file", "x.csv", class_names=("p", "q"))
    content = frame.to_csv(index=False).encode()
    p = Project.create(
        "f", source, SessionConfig(n_test_to_label=5), folder=tmp_path, content=content
    )
    assert p.baseline() is None


def test_a_project_locked_by_another_program_refuses_then_recovers(tmp_path):
    p = new({"folder": tmp_path})
    row = int(p.next_for("ann").ids[0])
    p.store.conn.execute("PRAGMA busy_timeout = 200")  # the default waits 10 s
    other = sqlite3.connect(p.store.path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StorageError, match="locked by another program"):
            p.label("ann", row, 0)
        assert p.session.labels[row] == -1
    finally:
        other.execute("ROLLBACK")
        other.close()
    p.label("ann", row, 0)
    assert Project.open("p", folder=tmp_path).session.labels[row] == 0
