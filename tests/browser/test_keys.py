"""Every key press labels the sample on the screen, with the class its key names."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from al_core import load_builtin
from al_core.projects.project import Project
from al_core.projects.sources import DataSource

from .harness import TITLE, chart_points, enter_name, sample_id, wait_for_new_sample, wait_ready

TRUTH = load_builtin("tutorial").y

# On every keydown, which sample the card showed (null: none was visible).
RECORD_SHOWN = """
window.__shown = [];
// On the window, added before the page's own handler (al_ui/keys.js), which stops the
// press from going further once it has taken it.
window.addEventListener('keydown', (e) => {
  const title = document.querySelector('.al-sample-title');
  const seen = title && title.offsetParent !== null && getComputedStyle(title).visibility !== 'hidden';
  window.__shown.push(seen ? Number(title.dataset.row) : null);
}, true);
"""


def labeled_rows(folder, annotator: str) -> list[int]:
    """Rows ``annotator`` labeled in the tutorial project, in log order."""
    project = Project.open("tutorial", folder=folder)
    try:
        return [e.row_id for e in project.events if e.kind == "label" and e.annotator == annotator]
    finally:
        project.close()


def test_fast_presses_never_label_a_sample_that_was_not_on_screen(server, new_page):
    page = new_page(server.url)
    page.add_init_script(RECORD_SHOWN)
    enter_name(page, "Ada")
    page.reload()  # a fresh page, with the recorder installed
    sample_id(page)
    for i in range(12):
        page.keyboard.press("1" if i % 2 else "2")
        page.wait_for_timeout(20)
    wait_ready(page, quiet_ms=1500)
    shown = set(page.evaluate("() => window.__shown")) - {None}
    rows = labeled_rows(server.projects, "Ada")
    assert rows, "no press was saved"
    assert len(rows) == len(set(rows)), f"a sample was labeled twice: {rows}"
    assert set(rows) <= shown, f"labeled {sorted(set(rows) - shown)}, never on screen"


def test_digit_keys_save_the_digit_they_name(tmp_path, new_page, server):
    Project.create("digits", DataSource("builtin", "digits"), folder=server.projects).close()
    truth = load_builtin("digits").y
    page = new_page(f"{server.url}/?project=digits&annotator=Ada")
    row = sample_id(page)
    wait_ready(page)
    shown = []
    for _ in range(4):
        shown.append(row)
        page.keyboard.press(str(int(truth[row])))  # the class named "7" is key 7
        row = wait_for_new_sample(page, row)
    project = Project.open("digits", folder=server.projects)
    saved = {e.row_id: e.label for e in project.events if e.kind == "label"}
    assert saved == {r: int(truth[r]) for r in shown}


def test_the_first_press_after_a_fresh_load_works(server, new_page):
    page = new_page(server.url)
    enter_name(page, "Ada")
    for _ in range(10):
        page = new_page(f"{server.url}/?annotator=Ada")
        row = sample_id(page)  # the card just became visible: press at once
        page.keyboard.press(str(int(TRUTH[row]) + 1))
        wait_for_new_sample(page, row, timeout=15_000)
        page.context.close()


def _wide_csv(n_features: int) -> bytes:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, n_features))
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(n_features)])
    frame["label"] = np.where(X[:, 0] + X[:, 1] > 0, "yes", "no")
    return frame.to_csv(index=False).encode()


@pytest.mark.parametrize("n_features", [10, 60])
def test_a_laptop_screen_shows_id_buttons_and_probabilities_without_scrolling(
    server, playwright_session, n_features
):
    name = f"wide{n_features}"
    source = DataSource("file", f"{name}.csv", label_column="label")
    Project.create(name, source, folder=server.projects, content=_wide_csv(n_features)).close()
    context = playwright_session.new_context(viewport={"width": 1280, "height": 720})
    try:
        page = context.new_page()
        page.goto(f"{server.url}/?project={name}&annotator=Ada")
        sample_id(page)
        wait_ready(page)
        must_show = [
            page.locator(TITLE),
            page.get_by_role("button", name="yes"),
            page.get_by_role("button", name="no"),
            page.get_by_role("button", name="Skip"),
            page.get_by_text("Model's probabilities"),
            page.get_by_test_id("stProgress").last,
        ]
        for locator in must_show:
            box = locator.bounding_box()
            assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= 720, box
    finally:
        context.close()


def test_a_raised_budget_survives_a_server_restart(server, new_page):
    from al_core import SessionConfig

    Project.create(
        "short", DataSource("builtin", "tutorial"), SessionConfig(budget=2), folder=server.projects
    ).close()
    page = new_page(f"{server.url}/?project=short&annotator=Ada")
    row = sample_id(page)
    wait_ready(page)
    page.keyboard.press(str(int(TRUTH[row]) + 1))
    row = wait_for_new_sample(page, row)
    page.keyboard.press(str(int(TRUTH[row]) + 1))
    page.get_by_text("The labeling budget is used up").wait_for()
    wait_ready(page)
    budget = page.get_by_role("spinbutton", name="New label budget")
    budget.fill("10")
    budget.press("Enter")
    wait_ready(page)
    page.get_by_role("button", name="Raise the budget and go on").click()
    sample_id(page)
    server.stop()
    server.start()
    page.reload()
    sample_id(page)
    page.get_by_text("Labels given 2 / 10").wait_for()


def test_the_in_app_demo_reproduces_the_readme_and_the_presenter_view_shows_it(server, new_page):
    page = new_page(server.url)
    enter_name(page, "Ada")
    page.get_by_text("Demo: let the simulated oracle label for you").click()
    count = page.get_by_role("spinbutton", name="Samples")
    count.fill("20")
    count.press("Enter")
    wait_ready(page)
    page.get_by_role("button", name="Simulate 20 labels").click()
    page.get_by_text("The labeling budget is used up").wait_for(timeout=60_000)
    wait_ready(page)
    page.wait_for_function(
        """() => [...document.querySelectorAll('.js-plotly-plot')].some(el => (el.data || [])
             .some(t => t.name === 'this project' && t.x.length === 21))"""
    )
    xs, ys = chart_points(page)
    assert (xs[-1], ys[-1]) == (110, 0.91)
    page.goto(f"{server.url}/present?annotator=Ada")
    page.get_by_text("Presenter's view").wait_for()
    for text in ("95 % interval", "Labels saved", "A map of the pool"):
        page.get_by_text(text).first.wait_for()
    page.wait_for_function(
        """() => [...document.querySelectorAll('.js-plotly-plot')].some(el => (el.data || [])
             .some(t => t.name === 'asked, in order' && t.x.length === 20))"""
    )
