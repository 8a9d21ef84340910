"""Regenerate the README's screenshots: ``.venv/bin/python docs/screenshots.py``.

Starts the app on a free port with a scratch projects folder, drives it in Debian's
headless Chromium and writes PNGs next to this file.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from playwright.sync_api import sync_playwright

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from al_core import SessionConfig, load_builtin  # noqa: E402
from al_core.projects.project import Project  # noqa: E402
from al_core.projects.sources import DataSource  # noqa: E402
from tests.browser.harness import (  # noqa: E402
    Server,
    enter_name,
    launch,
    sample_id,
    wait_for_new_sample,
    wait_ready,
)


def shoot(page, name: str) -> None:
    wait_ready(page)
    page.wait_for_timeout(500)
    page.screenshot(path=str(HERE / name), full_page=True)
    print("wrote", HERE / name)


def _team_project(folder: Path) -> None:
    """Two annotators with 50 % overlap, who disagree now and then: a review queue."""
    truth = load_builtin("tutorial").y
    config = SessionConfig(overlap=0.5, budget=60)
    team = Project.create("team", DataSource("builtin", "tutorial"), config, folder=folder)
    rng = np.random.default_rng(1)
    for _ in range(30):
        for who in ("Ann", "Bob"):
            row = int(team.next_for(who).ids[0])
            team.label(who, row, int(truth[row]) ^ int(rng.random() < 0.15), on_screen=True)
    team.close()


def main() -> None:
    folder = Path(tempfile.mkdtemp()) / "projects"
    Project.create("digits", DataSource("builtin", "digits"), folder=folder).close()
    tickets_config = SessionConfig(initial_fraction=0.05, budget=200)
    tickets_source = DataSource("builtin", "tickets")
    Project.create("tickets", tickets_source, tickets_config, folder=folder).close()
    _team_project(folder)
    server = Server(folder).start()
    truth = load_builtin("tutorial").y
    digits = load_builtin("digits").y
    try:
        with sync_playwright() as p:
            browser = launch(p)
            page = browser.new_page(viewport={"width": 1400, "height": 1250})
            page.goto(server.url)
            enter_name(page, "Ada")
            row = sample_id(page)
            for _ in range(8):
                page.keyboard.press(str(int(truth[row]) + 1))
                row = wait_for_new_sample(page, row)
            shoot(page, "label-tutorial.png")
            laptop = browser.new_page(viewport={"width": 1280, "height": 720})
            laptop.goto(f"{server.url}/?project=tutorial&annotator=Ada")
            sample_id(laptop)
            wait_ready(laptop)
            laptop.wait_for_timeout(500)
            laptop.screenshot(path=str(HERE / "label-laptop.png"))  # what fits, no scrolling
            print("wrote", HERE / "label-laptop.png")
            laptop.close()

            page.goto(f"{server.url}/?project=digits&annotator=Ada")
            row = sample_id(page)
            wait_ready(page)
            for _ in range(6):
                page.keyboard.press(str(int(digits[row])))  # digit classes: their own key
                row = wait_for_new_sample(page, row)
            shoot(page, "label-digits.png")

            topics = load_builtin("tickets").y
            page.goto(f"{server.url}/?project=tickets&annotator=Ada")
            row = sample_id(page)
            wait_ready(page)
            for _ in range(6):
                page.keyboard.press(str(int(topics[row]) + 1))
                row = wait_for_new_sample(page, row)
            shoot(page, "label-text.png")

            page.goto(f"{server.url}/setup?project=tutorial&annotator=Ada")
            wait_ready(page)
            page.get_by_role("tab", name="Upload a file").click()
            rng = np.random.default_rng(0)
            frame = pd.DataFrame(
                {
                    "customer_id": [f"C{i:05d}" for i in range(300)],
                    "tenure_months": rng.integers(1, 72, 300),
                    "monthly_spend": rng.normal(60, 20, 300).round(2),
                    "plan": rng.choice(["basic", "plus", "pro"], 300),
                    "notes": [None] * 300,
                }
            )
            page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
                {
                    "name": "customers.csv",
                    "mimeType": "text/csv",
                    "buffer": frame.to_csv(index=False).encode(),
                }
            )
            wait_ready(page)
            page.get_by_label("Class names, separated by commas").fill("stays, churns")
            page.keyboard.press("Enter")
            page.set_viewport_size({"width": 1400, "height": 2000})
            shoot(page, "setup.png")
            page.set_viewport_size({"width": 1400, "height": 1250})

            page.goto(f"{server.url}/compare?project=tutorial&annotator=Ada")
            wait_ready(page)
            page.get_by_role("button", name="Run comparison").click()
            page.get_by_text("98% of full-pool accuracy").first.wait_for(timeout=300_000)
            shoot(page, "compare.png")

            page.goto(f"{server.url}/review?project=team&annotator=Rev")
            sample_id(page)
            shoot(page, "review.png")

            page.goto(f"{server.url}/present?project=tutorial&annotator=Ada")
            page.get_by_text("A map of the pool").wait_for()
            page.set_viewport_size({"width": 1600, "height": 1000})
            page.wait_for_timeout(1500)
            shoot(page, "present.png")
            browser.close()
    finally:
        server.stop()


if __name__ == "__main__":
    main()
