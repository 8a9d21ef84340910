"""What only a browser shows: keys, clicks, reloads, crashes, two people, uploads."""

from __future__ import annotations

import sqlite3

import numpy as np
import pandas as pd
import pytest

from al_core import load_builtin
from al_core.projects.project import Project

from .harness import Server, chart_points, enter_name, sample_id, wait_for_new_sample, wait_ready

TRUTH = load_builtin("tutorial").y


def label(page, row: int, how: str) -> int:
    """Give the true label of ``row`` by key press or click; returns the next sample's id."""
    cls = int(TRUTH[row])
    if how == "key":
        page.keyboard.press(str(cls + 1))
    else:
        page.get_by_role("button", name=f"class {cls}").click()
    return wait_for_new_sample(page, row)


def label_in_turns(pages: dict, rounds: int) -> list[tuple[str, int]]:
    """Each annotator labels in turn; no two are ever shown the same sample at once.

    Returns the (annotator, row) pairs labeled.
    """
    for who, page in pages.items():
        enter_name(page, who)
    rows = {who: sample_id(page) for who, page in pages.items()}
    given = []
    for _ in range(rounds):
        assert len(set(rows.values())) == len(rows), rows
        for who, page in pages.items():
            given.append((who, rows[who]))
            rows[who] = label(page, rows[who], "key")
    assert len(set(rows.values())) == len(rows), rows
    return given


def test_twenty_labels_by_keys_and_clicks_draw_the_reference_curve(server, new_page):
    page = new_page(server.url)
    enter_name(page, "Ada")
    row = sample_id(page)
    assert row == 922
    for i in range(19):
        row = label(page, row, "key" if i % 2 == 0 else "click")
    page.keyboard.press(str(int(TRUTH[row]) + 1))
    page.get_by_text("The labeling budget is used up").wait_for()
    wait_ready(page)
    xs, ys = chart_points(page)
    assert len(xs) == 21
    assert xs[0] == 90 and xs[-1] == 110 and ys[0] == 0.88 and ys[-1] == 0.91


def test_a_reload_keeps_labels_chart_and_the_current_sample(server, new_page):
    page = new_page(server.url)
    enter_name(page, "Ada")
    row = sample_id(page)
    for _ in range(3):
        row = label(page, row, "key")
    before = chart_points(page)
    page.reload()
    wait_ready(page)
    assert "Ada" in page.get_by_role("heading", name="Labeling").inner_text()  # not asked again
    assert sample_id(page) == row
    assert chart_points(page) == before and len(before[0]) == 4


def test_labels_survive_a_killed_server_and_the_next_sample_is_the_same(server, new_page, tmp_path):
    page = new_page(server.url)
    enter_name(page, "Ada")
    row = sample_id(page)
    acknowledged = []
    for _ in range(4):
        acknowledged.append((row, int(TRUTH[row])))
        row = label(page, row, "click")
    server.kill()
    again = Server(server.projects, port=server.port).start()
    try:
        project = Project.open("tutorial", folder=server.projects)
        assert all(project.session.labels[r] == y for r, y in acknowledged)
        page = new_page(again.url)
        enter_name(page, "Ada")
        assert sample_id(page) == row
    finally:
        again.stop()


def test_two_annotators_at_once_never_see_the_same_sample(server, new_page):
    given = label_in_turns({"Ann": new_page(server.url), "Bob": new_page(server.url)}, rounds=5)
    project = Project.open("tutorial", folder=server.projects)
    events = [(e.annotator, e.row_id) for e in project.events if e.kind == "label"]
    assert sorted(events) == sorted(given)
    assert not project.conflicts()


def _upload(page, name: str, content: bytes) -> None:
    page.get_by_role("link", name="Setup").click()
    wait_ready(page)
    page.get_by_role("tab", name="Upload a file").click()
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
        {"name": name, "mimeType": "text/csv", "buffer": content}
    )
    wait_ready(page)


def test_an_uploaded_csv_goes_from_test_set_to_active_learning(server, new_page):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(120, 2))
    truth = (X[:, 0] > 0).astype(int)
    X[:, 0] += np.where(truth == 1, 1.0, -1.0)
    content = pd.DataFrame(X, columns=["width", "height"]).to_csv(index=False).encode()
    page = new_page(server.url)
    enter_name(page, "Ada")
    _upload(page, "boxes.csv", content)
    page.get_by_label("Class names, separated by commas").fill("small, large")
    page.keyboard.press("Enter")
    wait_ready(page)
    n_test = page.get_by_role("spinbutton", name="Test rows to label first")
    n_test.fill("4")
    n_test.press("Enter")
    wait_ready(page)
    page.get_by_role("button", name="Create project").click()
    page.get_by_text("Test set first").wait_for()
    wait_ready(page)
    row = sample_id(page)
    for _ in range(4):
        page.keyboard.press(str(truth[row] + 1))
        row = wait_for_new_sample(page, row)
    page.get_by_text("Test set first").wait_for(state="detached")
    for _ in range(3):
        page.keyboard.press(str(truth[row] + 1))
        row = wait_for_new_sample(page, row)
    project = Project.open("boxes", folder=server.projects)
    assert project.session.is_test.sum() == 4 and project.session.n_labeled == 3


@pytest.mark.parametrize(
    "name,content,message",
    [
        ("holiday.csv", b"\x89PNG\r\n\x1a\n" + bytes(300), "PNG image"),
        ("empty.csv", b"", "the file is empty"),
        ("ragged.csv", b"a,b\n1,2\n3,4,5,6\n", "more cells than the header"),
    ],
)
def test_a_bad_upload_shows_a_readable_message(server, new_page, name, content, message):
    page = new_page(server.url)
    enter_name(page, "Ada")
    _upload(page, name, content)
    page.get_by_text("This file cannot be used").wait_for()
    body = page.inner_text("body")
    assert message in body
    assert "Traceback" not in body


def test_two_server_processes_on_one_folder_share_a_project_safely(server, new_page):
    other = Server(server.projects).start()
    try:
        given = label_in_turns({"Ann": new_page(server.url), "Bob": new_page(other.url)}, rounds=3)
    finally:
        other.stop()
    path = server.projects / "tutorial.alproj"
    assert sqlite3.connect(path).execute("PRAGMA integrity_check").fetchone() == ("ok",)
    project = Project.open("tutorial", folder=server.projects)
    assert sorted((e.annotator, e.row_id) for e in project.events) == sorted(given)
    assert not project.conflicts()


def test_two_servers_over_one_postgresql_share_a_project(tmp_path, postgres_server, new_page):
    """Two app servers (two ports, one database): no sample on two screens, no label lost."""
    url = postgres_server.new_database()
    env = {"AL_DATABASE_URL": url}
    one = Server(tmp_path / "one", env=env).start()
    two = Server(tmp_path / "two", env=env).start()
    try:
        pages = {"Ann": new_page(one.url), "Bob": new_page(two.url)}
        given = label_in_turns(pages, rounds=3)
        one.kill()  # a crash of one server loses nothing acknowledged
        project = Project.open("tutorial", url=url)
        events = [(e.annotator, e.row_id) for e in project.events if e.kind == "label"]
        assert sorted(events) == sorted(given)
        assert all(project.session.labels[row] == TRUTH[row] for _, row in given)
        project.close()
        row = sample_id(pages["Bob"])  # the other server goes on
        label(pages["Bob"], row, "key")
    finally:
        one.stop()
        two.stop()


def _overlap(a: dict, b: dict) -> bool:
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    )


def test_the_feature_tables_toolbar_leaves_the_card_buttons_clear(server, new_page):
    # The table's hover toolbar is drawn above its top edge: right under the card's
    # buttons, it covered Skip or Undo while the pointer was on the table.
    page = new_page(server.url)
    enter_name(page, "Ada")
    sample_id(page)
    wait_ready(page)
    page.locator('[data-testid="stDataFrame"]').first.hover()
    toolbar = page.locator('[data-testid="stElementToolbar"]').first
    toolbar.wait_for(state="visible")
    bar = toolbar.bounding_box()
    buttons = page.locator(
        '[data-testid="stMain"] [data-testid="stBaseButton-primary"], '
        '[data-testid="stMain"] [data-testid="stBaseButton-secondary"]'
    )
    boxes = {b.inner_text(): b.bounding_box() for b in buttons.all()}
    for name in ("class 0", "class 1", "Skip", "Undo"):
        assert any(name in text for text in boxes), (name, list(boxes))
    assert not [text for text, box in boxes.items() if box and _overlap(bar, box)]
