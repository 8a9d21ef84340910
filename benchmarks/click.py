"""Key press to next sample on screen, in headless Chromium, against a bare Streamlit page.

For each pool size a project is created (synthetic two-class data, 20 features, about
180 labels to start), the app is served on 127.0.0.1, and the time from the key press
(the browser's own keydown event) to the new sample id appearing in the page is
measured. In the same run, and alternating press by press, the same is measured on
``bare_app.py``, a page that only re-renders one line: the floor Streamlit sets; and
the same page with the process's objects frozen as the app freezes them
(``al_ui/collector.py``), the floor once Streamlit's collection after each run is cheap.
Also: the app server's resident memory with 4 browser sessions open on the largest pool.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from al_core import SessionConfig
from al_core.projects.project import Project
from al_core.projects.sources import DataSource
from tests.browser.harness import Server, launch, sample_id, wait_ready

from .timing import summarize

POOLS = {"synthetic_10k": 10_000, "synthetic_100k": 100_000, "synthetic_1m": 1_000_000}
if os.environ.get("AL_BENCH_QUICK"):
    POOLS = {"synthetic_10k": 10_000}
PRESSES, WARMUP = 30, 3

_ARM = """() => {
  window.__lat = undefined;
  const read = () => { const h = document.querySelector('.al-sample-title') || document.querySelector('h3');
                       return h && h.innerText; };
  const start = read();
  window.addEventListener('keydown', () => {
    const t0 = performance.now();
    const obs = new MutationObserver(() => {
      const now = read();
      if (now && now !== start) { obs.disconnect(); window.__lat = performance.now() - t0; }
    });
    obs.observe(document.body, {subtree: true, childList: true, characterData: true});
  }, {once: true, capture: true});
}"""


LOST: list[str] = []  # presses that never reached the page (retried, and reported)


def press_latency(page) -> float:
    """Seconds from the key press to a different 'Sample #' heading on the page."""
    for _ in range(3):
        page.bring_to_front()  # key presses reach only the page in front
        page.evaluate(_ARM)
        page.keyboard.press("1")
        try:
            page.wait_for_function("() => window.__lat !== undefined", timeout=15_000)
        except Exception:  # the press was lost (the page was busy re-rendering): again
            LOST.append(page.url)
            wait_ready(page)
            continue
        latency = page.evaluate("() => window.__lat") / 1e3
        wait_ready(page, quiet_ms=300)
        return latency
    raise RuntimeError(f"three key presses in a row did not reach {page.url}")


def rss_mb(pid: int) -> float:
    """A process's resident memory in MB (10^6 bytes, as the pools' sizes are given)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024 / 1e6  # the kernel counts KiB
    return float("nan")


def run() -> dict:
    folder = Path(tempfile.mkdtemp()) / "projects"
    pool_mb = {}
    for name, n in POOLS.items():
        config = SessionConfig(budget=None, initial_fraction=200 / (0.9 * n))
        project = Project.create(name, DataSource("builtin", name), config, folder=folder)
        pool_mb[name] = project.dataset.X.nbytes / 1e6  # float32 above 100,000 rows
        project.baseline()  # computed now, so no background work competes with the timing
        project.close()
    app = Server(folder).start()
    bare_script = Path(__file__).with_name("bare_app.py")
    bare = Server(folder.parent / "bare", script=bare_script).start()
    frozen = Server(folder.parent / "frozen", script=bare_script, env={"AL_BARE_FROZEN": "1"})
    frozen.start()
    out: dict = {"pools": {}}
    try:
        with sync_playwright() as p:
            browser = launch(p)
            bare_page = browser.new_page()
            bare_page.goto(bare.url)
            wait_ready(bare_page)
            frozen_page = browser.new_page()
            frozen_page.goto(frozen.url)
            wait_ready(frozen_page)
            for name, n in POOLS.items():
                page = browser.new_page()
                page.goto(f"{app.url}/?project={name}&annotator=bench")
                sample_id(page, timeout=120_000)
                wait_ready(page)
                for _ in range(WARMUP):
                    press_latency(page)
                    press_latency(bare_page)
                    press_latency(frozen_page)
                ours, floor, floor_frozen = [], [], []
                for _ in range(PRESSES):
                    ours.append(press_latency(page))
                    floor.append(press_latency(bare_page))
                    floor_frozen.append(press_latency(frozen_page))
                a, b, f = summarize(ours), summarize(floor), summarize(floor_frozen)
                out["pools"][name] = {
                    "rows": n,
                    "app": a,
                    "bare": b,
                    "bare_frozen": f,
                    "ratio_p50": a["p50_ms"] / b["p50_ms"],
                    "ratio_frozen_p50": a["p50_ms"] / f["p50_ms"],
                }
                if name == "synthetic_1m":
                    others = [browser.new_page() for _ in range(3)]
                    for i, other in enumerate(others):
                        other.goto(f"{app.url}/?project={name}&annotator=reader{i}")
                        sample_id(other, timeout=120_000)
                    out["memory"] = {
                        "sessions": 4,
                        "server_rss_mb": rss_mb(app.proc.pid),
                        "pool_mb": pool_mb[name],
                    }
                    for other in others:
                        other.close()
                page.close()
            browser.close()
    finally:
        app.stop()
        bare.stop()
        frozen.stop()
    out["lost_presses"] = len(LOST)
    return out


def table(r: dict) -> str:
    lines = [
        "| pool | app p50 ms | app p90 ms | bare page p50 ms | bare p90 ms | app / bare (p50) "
        "| frozen bare page p50 ms | app / frozen bare (p50) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for v in r["pools"].values():
        frozen = v.get("bare_frozen")
        lines.append(
            f"| {v['rows']:,} rows | {v['app']['p50_ms']:.0f} | {v['app']['p90_ms']:.0f} | "
            f"{v['bare']['p50_ms']:.0f} | {v['bare']['p90_ms']:.0f} | {v['ratio_p50']:.2f}x | "
            + (f"{frozen['p50_ms']:.0f} | {v['ratio_frozen_p50']:.2f}x |" if frozen else "— | — |")
        )
    lines.append(f"\nKey presses lost and retried: {r.get('lost_presses', 0)}.")
    m = r.get("memory")
    if m:
        lines.append(
            f"\nServer memory with {m['sessions']} browser sessions open on the 1,000,000-row "
            f"pool: {m['server_rss_mb']:.0f} MB resident; the pool itself is {m['pool_mb']:.0f} MB."
        )
    return "\n".join(lines)
