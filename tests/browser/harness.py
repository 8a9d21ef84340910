"""Start the app on a free local port and drive it with Debian's Chromium.

Used by the browser tests and by ``docs/screenshots.py``; never downloads a browser.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``streamlit run app.py`` (or another script) on 127.0.0.1 with its own projects folder."""

    def __init__(
        self,
        projects: Path,
        port: int | None = None,
        log: Path | None = None,
        script: Path = ROOT / "app.py",
        env: dict[str, str] | None = None,
        args: list[str] | None = None,
    ):
        self.projects, self.port, self.script = Path(projects), port or free_port(), script
        self.env, self.args = env or {}, args or []
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log or self.projects / f"server-{self.port}.log"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> Server:
        env = {
            **os.environ,
            "AL_PROJECTS_DIR": str(self.projects),
            "PYTHONUNBUFFERED": "1",
            **self.env,
        }
        cmd = [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(self.script),
            "--server.port",
            str(self.port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
            "--server.fileWatcherType",
            "none",
            *self.args,
        ]
        self.projects.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            cmd,
            cwd=ROOT,
            env=env,
            stdout=open(self.log, "ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the app exited early; see {self.log}")
            with contextlib.suppress(OSError):
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        return self
            time.sleep(0.25)
        self.stop()
        raise RuntimeError(f"the app did not answer within {timeout} s; see {self.log}")

    def kill(self) -> None:
        """SIGKILL, as a crash would."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


# ---------------------------------------------------------------- page helpers
SAMPLE = re.compile(r"Sample .*?#(\d+)")
TITLE = ".al-sample-title"  # the card's title (al_ui/keys.py)


def wait_ready(page, timeout: float = 30_000, quiet_ms: int = 600) -> None:
    """Wait until Streamlit has been idle (no script running) for ``quiet_ms``.

    One idle moment is not enough: a click can start two runs in a row (a callback,
    then a page switch), and keys pressed between them can be lost.
    """
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout)
    page.wait_for_function(
        """(quiet) => {
             const busy = document.querySelector('[data-testid="stStatusWidget"]');
             const now = performance.now();
             if (busy || window.__alBusyAt === undefined) { window.__alBusyAt = now; return false; }
             return now - window.__alBusyAt >= quiet; }""",
        arg=quiet_ms,
        timeout=timeout,
        polling=100,
    )
    page.evaluate("() => { window.__alBusyAt = undefined; }")


def sample_id(page, timeout: float = 30_000) -> int:
    """The id of the sample on the card, once it is visible."""
    title = page.locator(TITLE).first
    title.wait_for(timeout=timeout)
    return int(SAMPLE.search(title.inner_text()).group(1))


def wait_for_new_sample(page, old: int, timeout: float = 30_000) -> int:
    """Wait until the card shows a sample other than ``old``; returns its id."""
    page.wait_for_function(
        """([title, old]) => {
             const h = document.querySelector(title);
             return h && Number(h.dataset.row) !== old; }""",
        arg=[TITLE, old],
        timeout=timeout,
    )
    wait_ready(page)
    return sample_id(page)


def enter_name(page, name: str) -> None:
    page.get_by_label("Your name").fill(name)
    page.get_by_role("button", name="Start labeling").click()
    sample_id(page)
    wait_ready(page)


_PROJECT_TRACE = """() => { for (const el of document.querySelectorAll('.js-plotly-plot')) {
                     for (const t of (el.data || [])) {
                       if (t.name === 'this project') return [Array.from(t.x), Array.from(t.y)];
                   } } return null; }"""


def chart_points(page, timeout: float = 30_000) -> tuple[list, list]:
    """x and y of the sidebar chart's "this project" trace, as plotted in the browser.

    Plotly's code is loaded on demand, so after a page load the chart is drawn a moment
    after the script has finished: wait for the trace rather than read an empty sidebar.
    """
    # One call that waits and reads: the chart is redrawn on every label and every
    # 5-second refresh, so a second call may find it between two drawings.
    found = page.wait_for_function(_PROJECT_TRACE, timeout=timeout)
    return found.json_value()
