"""Labeling text in a real browser: the text first, escaped, its swaying words marked."""

from __future__ import annotations

from al_core import SessionConfig, load_builtin
from al_core.projects.project import Project
from al_core.projects.sources import DataSource

from .harness import sample_id, wait_for_new_sample, wait_ready

TICKETS = load_builtin("tickets")


def _labels(folder) -> dict[int, int]:
    project = Project.open("tix", folder=folder)
    try:
        s = project.session
        return {int(r): int(s.labels[r]) for r in s.train_ids if s.labels[r] >= 0}
    finally:
        project.close()


def test_a_few_text_rows_are_labeled_by_keys_with_the_text_and_its_marks(server, new_page):
    Project.create(
        "tix",
        DataSource("builtin", "tickets"),
        SessionConfig(budget=30, initial_fraction=0.05),
        folder=server.projects,
    ).close()
    page = new_page(f"{server.url}/?project=tix&annotator=Ann")
    row = sample_id(page)
    given = {}
    for _ in range(4):
        wait_ready(page)
        box = page.locator(".al-text").first
        box.wait_for()
        # The sample's own text, as text (a ticket never renders as Markdown or HTML).
        assert box.inner_text().strip() == TICKETS.raw.text[row].strip()
        assert box.locator("mark").count() > 0  # a model exists: some words are marked
        assert page.get_by_text("Marked: words that pushed the model").is_visible()
        cls = int(TICKETS.y[row])
        given[row] = cls
        page.keyboard.press(str(cls + 1))
        row = wait_for_new_sample(page, row)
    wait_ready(page)
    saved = _labels(server.projects)
    assert all(saved.get(r) == c for r, c in given.items())
