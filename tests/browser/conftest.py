"""Fixtures for the browser tests: a fresh app server per test, Chromium, failure screenshots."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from .harness import CHROMIUM, ROOT, Server, launch

ARTIFACTS = ROOT / "test-artifacts"


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture(scope="session")
def playwright_session():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing; `make test` installs it with apt-get")
        pytest.skip(f"{CHROMIUM} is missing: sudo apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch(p)
        yield browser
        browser.close()


@pytest.fixture
def server(tmp_path):
    srv = Server(tmp_path / "projects").start()
    yield srv
    srv.stop()


@pytest.fixture
def new_page(playwright_session, request):
    """A factory of pages in fresh browser contexts; screenshots them all on failure."""
    contexts = []

    def make(url: str):
        context = playwright_session.new_context(viewport={"width": 1400, "height": 1000})
        context.set_default_timeout(30_000)
        contexts.append(context)
        page = context.new_page()
        page.goto(url)
        return page

    yield make
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)[-150:]
        for i, context in enumerate(contexts):
            for j, page in enumerate(context.pages):
                try:
                    page.screenshot(path=str(ARTIFACTS / f"{stem}-{i}{j}.png"), full_page=True)
                except Exception as exc:  # the page may be gone with the server
                    print(f"no screenshot of page {i}{j}: {exc}")
    for context in contexts:
        context.close()
