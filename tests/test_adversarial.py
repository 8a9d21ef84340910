"""What an attacker or a careless operator tried: each case here once went wrong."""

import csv
import io
import os
import re
import sqlite3

import pandas as pd
import pytest

from al_core import PoolExhaustedError, ProjectError, ProjectNotFoundError, SessionConfig
from al_core.projects.export import to_bytes
from al_core.projects.project import Project
from al_core.projects.sources import DataSource
from al_core.projects.store import SUFFIX
from al_ui.messages import md

TUTORIAL = DataSource("builtin", "tutorial")


@pytest.fixture
def outside(tmp_path):
    """A real project outside the projects folder, and the folder itself."""
    folder, elsewhere = tmp_path / "projects", tmp_path / "outside"
    Project.create("secret", TUTORIAL, folder=elsewhere).close()
    folder.mkdir()
    return folder, elsewhere / f"secret{SUFFIX}"


@pytest.mark.parametrize(
    "name",
    [
        "{abs}",
        "../outside/secret",
        f"../outside/secret{SUFFIX}",
        "..%2Foutside%2Fsecret",
        "..\u2215outside\u2215secret",  # a look-alike slash
        "..\uff0foutside\uff0fsecret",
        "secret\x00.alproj",
        "x" * 300,
    ],
)
def test_a_project_name_never_opens_a_file_outside_the_folder(outside, name):
    folder, secret = outside
    before = secret.read_bytes()
    with pytest.raises(ProjectError):
        Project.open(name.replace("{abs}", str(secret)), folder=folder)
    assert secret.read_bytes() == before
    assert sorted(p.name for p in folder.iterdir()) == []


def test_a_link_inside_the_folder_pointing_out_is_not_opened(outside):
    folder, secret = outside
    os.symlink(secret, folder / f"evil{SUFFIX}")
    with pytest.raises(ProjectNotFoundError, match="link"):
        Project.open("evil", folder=folder)


def test_a_foreign_sqlite_file_is_not_changed_by_trying_to_open_it(tmp_path):
    path = tmp_path / f"other{SUFFIX}"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE t (x)")
    db.close()
    before = path.read_bytes()
    with pytest.raises(ProjectError, match="not a labeling project"):
        Project.open("other", folder=tmp_path)
    assert path.read_bytes() == before
    assert not (tmp_path / f"other{SUFFIX}-wal").exists()


@pytest.mark.parametrize(
    "cell",
    ["ok\r=cmd|' /C calc'!A0", "ok\n=cmd|' /C calc'!A0", "a\r\n@SUM(1)", '"quoted", and, commas'],
)
def test_csv_export_round_trips_and_no_line_starts_a_formula(cell):
    frame = pd.DataFrame({"name": [cell, "plain"], "n": [1, 2]})
    data = to_bytes(frame, "csv")
    rows = list(csv.reader(io.StringIO(data.decode(), newline="")))
    assert len(rows) == 3 and rows[2] == ["plain", "2"]
    back = pd.read_csv(io.BytesIO(data))
    assert back.shape == (2, 2) and back["n"].tolist() == [1, 2]
    for line in rows[1][0].replace("\r", "\n").split("\n"):
        assert not line.startswith(("=", "+", "-", "@")), line


def test_undo_of_a_skip_never_hands_a_row_someone_else_is_shown(tmp_path):
    p = Project.create("p", TUTORIAL, SessionConfig(budget=None), folder=tmp_path)
    row = int(p.next_for("alice").ids[0])
    p.skip("alice", row)
    p.revisit("alice", row)  # back in the pool...
    assert int(p.next_for("carol").ids[0]) == row  # ...and shown to carol
    p.undo("alice")  # alice takes her skip back
    assert int(p.next_for("alice").ids[0]) != row
    p.label("carol", row, 0)
    assert p.conflicts() == {}


@pytest.mark.parametrize(
    "text", ["https://127.0.0.1:8799/phish", "admin@evil.example", "www.evil.example"]
)
def test_user_text_never_becomes_a_bare_link(text):
    shown = md(text)
    unescaped = shown.replace("\\", "")
    assert unescaped.replace("\u200b", "") == text  # reads the same
    # What GitHub-flavoured Markdown's autolinking looks for in the rendered text:
    assert not re.search(r"(?i)https?://|www\.|[-.\w+]@", unescaped)


def test_reading_the_labels_table_while_others_label_never_fails(tmp_path):
    import threading

    from al_core.projects.export import history_frame, labels_frame, skipped_frame

    p = Project.create("p", TUTORIAL, SessionConfig(budget=None), folder=tmp_path)
    y = p.dataset.y
    errors, stop = [], threading.Event()

    def annotate(who):
        try:
            while not stop.is_set():
                try:
                    row = int(p.next_for(who).ids[0])
                except PoolExhaustedError:  # every row labeled or skipped: done
                    return
                if row % 5 == 0:
                    p.skip(who, row)
                else:
                    p.label(who, row, int(y[row]))
        except Exception as exc:  # reported below; the test fails on any
            errors.append(exc)

    workers = [threading.Thread(target=annotate, args=(f"a{i}",)) for i in range(3)]
    for w in workers:
        w.start()
    try:
        for _ in range(150):
            labels_frame(p, with_values=False)
            skipped_frame(p)
            history_frame(p)
    finally:
        stop.set()
        for w in workers:
            w.join()
    assert errors == []
    assert len(labels_frame(p, with_values=False)) == int((p.session.labels >= 0).sum())


def test_a_parquet_decompression_bomb_is_refused_from_its_metadata(tmp_path, monkeypatch):
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    from al_core import DatasetError, load_table

    path = tmp_path / "bomb.parquet"
    pq.write_table(pa.table({f"c{i}": np.zeros(2_000_000) for i in range(4)}), path)
    assert path.stat().st_size < 1_000_000  # tiny on disk, 64 MB once read
    monkeypatch.setenv("AL_MAX_TABLE_MB", "20")
    with pytest.raises(DatasetError, match="over the limit of 20 MB"):
        load_table(path)


def test_a_binary_parquet_column_is_a_clear_message(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from al_core import DatasetError, load_table

    path = tmp_path / "bin.parquet"
    blob = pa.array([b"\xff\xfe\x00abc", b"\x80\x81"] * 20, type=pa.binary())
    pq.write_table(pa.table({"blob": blob, "x": list(range(40)), "y": ["a", "b"] * 20}), path)
    with pytest.raises(DatasetError, match="column 'blob' holds binary data"):
        load_table(path, label_column="y")


def test_more_classes_than_a_project_can_take_are_refused_even_when_allowed():
    from al_core import DatasetError, frame_to_dataset

    frame = pd.DataFrame({"x": range(600), "label": [f"c{i}" for i in range(300)] * 2})
    with pytest.raises(DatasetError, match="at most 200"):
        frame_to_dataset(frame, "many", "label", allow_many_classes=True)


def test_a_flipped_bit_in_a_page_is_reported_as_damage_and_never_exported(tmp_path):
    from al_core.cli import main

    p = Project.create("p", TUTORIAL, SessionConfig(budget=None), folder=tmp_path)
    for _ in range(200):
        p.label("a", int(p.next_for("a").ids[0]), 0)
    p.close()
    path = tmp_path / f"p{SUFFIX}"
    good = path.read_bytes()
    refused = 0
    for page in range(1, len(good) // 4096):
        data = bytearray(good)
        data[page * 4096 + 5] ^= 0xFF  # the page header's cell-content pointer
        path.write_bytes(bytes(data))
        with pytest.raises(ProjectError, match="damaged"):
            Project.open("p", folder=tmp_path)
        refused += 1
    assert refused >= 5
    os.environ["AL_PROJECTS_DIR"] = str(tmp_path)
    try:
        assert main(["export", "p", "--out", str(tmp_path / "out")]) == 2
    finally:
        del os.environ["AL_PROJECTS_DIR"]
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("path", ["next", "revisit", "revisit_all", "oracle"])
def test_no_path_hands_out_a_row_someone_else_is_shown(tmp_path, path):
    from al_core.projects.oracle import oracle_labels

    p = Project.create("p", TUTORIAL, SessionConfig(budget=None), folder=tmp_path)
    held = int(p.next_for("carol").ids[0])  # carol is looking at this row
    if path in ("revisit", "revisit_all"):
        p.skip("carol", held)
        p.revisit("alice", held if path == "revisit" else None)  # back in the pool...
        assert int(p.next_for("carol").ids[0]) == held  # ...and carol is shown it again
    if path == "oracle":
        oracle_labels(p, 5, presenter="dave")
        assert held not in [e.row_id for e in p.events if e.kind == "label"]
    for who in ("alice", "bob"):
        assert int(p.next_for(who).ids[0]) != held


def test_a_crash_while_creating_a_project_never_blocks_its_name(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    code = (
        "import sys; from al_core.projects.project import Project; "
        "from al_core.projects.sources import DataSource; "
        "Project.create('victim', DataSource('builtin', 'synthetic_100k'), folder=sys.argv[1])"
    )
    for delay in (0.5, 1.5, 3.0):
        proc = subprocess.Popen([sys.executable, "-c", code, str(tmp_path)])
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        names = [p.name for p in tmp_path.iterdir()]
        if f"victim{SUFFIX}" in names:  # it finished: a whole project, which opens
            Project.open("victim", folder=tmp_path).close()
            return
        assert project_names_in(tmp_path) == []
    Project.create("victim", TUTORIAL, folder=tmp_path).close()  # the name is free
    assert project_names_in(tmp_path) == ["victim"]


def project_names_in(folder):
    from al_core.projects.store import project_names

    return project_names(folder)
