"""Review in a real browser: two annotators disagree on an overlap row, a reviewer settles it."""

from __future__ import annotations

from al_core import SessionConfig, load_builtin
from al_core.projects.project import Project
from al_core.projects.sources import DataSource

from .harness import sample_id, wait_for_new_sample, wait_ready

TRUTH = load_builtin("tutorial").y


def _labels(folder, row):
    project = Project.open("team", folder=folder)
    try:
        return int(project.session.labels[row]), [e.kind for e in project.events]
    finally:
        project.close()


def test_two_annotators_disagree_and_a_reviewer_settles_it_by_keys(server, new_page):
    Project.create(
        "team",
        DataSource("builtin", "tutorial"),
        SessionConfig(overlap=1.0),
        folder=server.projects,
    ).close()
    ann = new_page(f"{server.url}/?project=team&annotator=Ann")
    row = sample_id(ann)
    wait_ready(ann)
    ann.keyboard.press(str(int(TRUTH[row]) + 1))
    wait_for_new_sample(ann, row)

    bob = new_page(f"{server.url}/?project=team&annotator=Bob")
    assert sample_id(bob) == row  # the overlap row, shown blind
    bob.get_by_text("agreement (a second, blind label)").wait_for()
    wait_ready(bob)
    bob.keyboard.press(str(2 - int(TRUTH[row])))  # the other class
    wait_for_new_sample(bob, row)

    rev = new_page(f"{server.url}/review?project=team&annotator=Rev")
    assert sample_id(rev) == row
    rev.get_by_text("two people gave different labels").wait_for()
    wait_ready(rev)
    rev.keyboard.press(str(int(TRUTH[row]) + 1))  # the reviewer keeps Ann's label
    rev.get_by_text("Nothing to review").or_(rev.get_by_text("likely mistake")).first.wait_for()
    wait_ready(rev)
    label, kinds = _labels(server.projects, row)
    assert label == TRUTH[row] and kinds[-1] == "adjudicate"
    rev.keyboard.press("u")
    rev.get_by_text("two people gave different labels").wait_for()
    wait_ready(rev)
    label, kinds = _labels(server.projects, row)
    assert kinds[-1] == "undo" and label == TRUTH[row]  # Ann's label trains it again
