"""PostgreSQL as the project store: moving projects, bad URLs, a database that restarts."""

from __future__ import annotations

import io

import numpy as np
import pytest

from al_core import SessionConfig, load_builtin
from al_core.cli import main
from al_core.errors import (
    ConfigError,
    DatabaseUnavailableError,
    ProjectExistsError,
    StorageError,
)
from al_core.projects.location import database_url, project_names
from al_core.projects.project import Project
from al_core.projects.sources import DataSource

TRUTH = load_builtin("tutorial").y


def _label_some(project, n, who="ann"):
    rows = []
    for _ in range(n):
        row = int(project.next_for(who).ids[0])
        project.label(who, row, int(TRUTH[row]), on_screen=True)
        rows.append(row)
    return rows


def test_migrate_copies_a_project_to_postgresql_and_back(tmp_path, postgres_server, monkeypatch):
    monkeypatch.setenv("AL_PROJECTS_DIR", str(tmp_path / "here"))
    url = postgres_server.new_database()
    p = Project.create(
        "moving",
        DataSource("builtin", "tutorial"),
        SessionConfig(overlap=0.5),
        folder=tmp_path / "here",
    )
    rows = _label_some(p, 5)
    p.skip("bob", int(p.next_for("bob").ids[0]))
    p.adjudicate("rev", rows[0], 1 - int(TRUTH[rows[0]]))
    p.undo("ann")
    before = (p.session.labels.copy(), [(q.n_labeled, q.accuracy) for q in p.session.history])
    p.close()
    out = io.StringIO()
    assert main(["migrate", "moving", "--to", url], out=out) == 0
    assert "same labels, curve and next query" in out.getvalue() and "***" not in url
    copy = Project.open("moving", url=url)
    assert np.array_equal(copy.session.labels, before[0])
    assert [(q.n_labeled, q.accuracy) for q in copy.session.history] == before[1]
    last = copy.events[-1].seq
    saved = copy.label("cy", int(copy.next_for("cy").ids[0]), 0)  # numbering goes on
    assert saved.seq == last + 1
    state = (copy.session.labels.copy(), [(q.n_labeled, q.accuracy) for q in copy.session.history])
    copy.close()
    back = tmp_path / "back"
    assert main(["migrate", "moving", "--from", url, "--to", str(back)]) == 0
    again = Project.open("moving", folder=back)
    assert again.events[-1].annotator == "cy" and again.events[-1].seq == last + 1
    assert np.array_equal(again.session.labels, state[0])
    assert [(q.n_labeled, q.accuracy) for q in again.session.history] == state[1]
    again.close()


def test_migrate_never_overwrites(tmp_path, postgres_server):
    url = postgres_server.new_database()
    for place in ({"folder": tmp_path}, {"url": url}):
        Project.create("twice", DataSource("builtin", "tutorial"), **place).close()
    with pytest.raises(ProjectExistsError, match="twice"):
        from al_core.projects.migrate import migrate

        migrate("twice", {"folder": tmp_path}, {"url": url})
    assert project_names(url=url) == ["twice"]


@pytest.mark.parametrize("url", ["mysql://x@y/z", "labels.db"])
def test_a_database_url_that_is_not_postgresql_is_refused(monkeypatch, url):
    monkeypatch.setenv("AL_DATABASE_URL", url)
    with pytest.raises(ConfigError, match="must be a PostgreSQL URL"):
        database_url()


def test_an_unreachable_database_is_a_clear_storage_error(postgres_server):
    url = f"postgresql://al:secret@127.0.0.1:{postgres_server.port + 1}/nothing"
    with pytest.raises(DatabaseUnavailableError, match="cannot be reached") as info:
        Project.open("x", url=url)
    assert "secret" not in str(info.value)


def test_a_database_restart_mid_session_loses_nothing_and_labeling_resumes(postgres_server):
    url = postgres_server.new_database()
    p = Project.create("live", DataSource("builtin", "tutorial"), url=url)
    acked = _label_some(p, 3)
    postgres_server.restart()  # every open connection is cut
    for _ in range(20):  # the pool replaces the dead connection on the next use
        try:
            acked += _label_some(p, 1)
            break
        except StorageError as exc:
            assert "cannot be reached" in str(exc) or "project" in str(exc)
    acked += _label_some(p, 2)
    p.close()
    again = Project.open("live", url=url)
    assert all(again.session.labels[r] == TRUTH[r] for r in acked)
    assert again.session.n_queried == len(acked) == 6
    again.close()


def test_migrate_to_a_url_of_another_database_is_refused(tmp_path, capsys):
    Project.create("here", DataSource("builtin", "tutorial"), folder=tmp_path).close()
    code = main(["migrate", "here", "--from", str(tmp_path), "--to", "mysql://u:pw@db/x"])
    assert code == 2 and "mysql:// is not a place for projects" in capsys.readouterr().err
    assert not (tmp_path.parent / "mysql:").exists()
