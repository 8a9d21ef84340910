"""Capping glibc's heaps keeps a server from holding each thread's freed temporaries."""

from __future__ import annotations

import functools
import subprocess
import sys
from pathlib import Path

import pytest

from al_core.allocator import share_heaps

ROOT = Path(__file__).resolve().parents[1]

# Run as ``python -c PRELUDE+PART MODE``: with MODE "shared" the allocator is tuned first.
# A 20 MB block is freed before the measure, after which glibc by default serves blocks
# below 20 MB from its heaps instead of mapping them; PART prints how much more the
# process holds at its end (or gave back), in MB.
PRELUDE = """
import sys, threading, numpy as np
if sys.argv[1] == "shared":
    from al_core.allocator import share_heaps
    assert share_heaps()
def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS"):
            return int(line.split()[1]) / 1024
block = np.ones(2_500_000); del block
before = rss()
"""

# Eight threads (as eight browser sessions' scripts) each write and free 20 MB blocks.
THREADS = """
barrier = threading.Barrier(8)
def work():
    barrier.wait()
    for _ in range(3):
        block = np.ones(2_500_000); del block
threads = [threading.Thread(target=work) for _ in range(8)]
for t in threads: t.start()
for t in threads: t.join()
print(rss() - before)
"""

# Thirty 4 MB blocks, each with a small block after it that stays, then freed.
LARGE_BLOCKS = """
large, small = [], []
for _ in range(30):
    large.append(np.ones(500_000))
    small.append(np.ones(1_000))
del large
print(rss() - before)
"""


def _probe_mb(part: str, mode: str) -> float:
    out = subprocess.run(
        [sys.executable, "-c", PRELUDE + part, mode],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return float(out.stdout)


@functools.cache
def _tunable() -> bool:
    """Whether this C library can be tuned, asked in a process of its own: tuning this
    one would change how every later test's memory is allocated."""
    code = "from al_core.allocator import share_heaps; print(share_heaps())"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return out.stdout.strip() == "True"


def test_shared_heaps_keep_less_of_what_threads_freed():
    if not _tunable():
        pytest.skip("not glibc: nothing to tune")
    default, shared = _probe_mb(THREADS, "default"), _probe_mb(THREADS, "shared")
    # By default each thread's heap keeps its 20 MB; tuned, two heaps share what they
    # keep, and blocks this large are not kept at all.
    assert default > 100 and shared < 0.75 * default


def test_large_blocks_go_back_to_the_system_when_freed():
    if not _tunable():
        pytest.skip("not glibc: nothing to tune")

    # By default the heap keeps the 120 MB (a live block above each freed one); with the
    # fixed bar each 4 MB block was a mapping of its own, unmapped when freed.
    assert _probe_mb(LARGE_BLOCKS, "default") > 80
    assert _probe_mb(LARGE_BLOCKS, "shared") < 10


def test_it_says_false_where_it_cannot_tune(monkeypatch):
    monkeypatch.setattr(sys, "platform", "darwin")
    assert share_heaps() is False


# Heap blocks of 96 KB freed except every tenth, so no heap can shrink from its top;
# prints the MB given back by give_back_free_memory.
SCATTERED = """
from al_core.allocator import give_back_free_memory
blocks = [np.ones(12_000) for _ in range(4_000)]  # 384 MB in all
kept = blocks[::10]
del blocks
before = rss()
assert give_back_free_memory()
print(before - rss())
"""


def test_free_heap_pages_are_given_back_after_a_burst_of_temporaries():
    if not _tunable():
        pytest.skip("not glibc: nothing to give back")
    # 90 % of 384 MB was freed in the middle of the heap; most of it goes back.
    assert _probe_mb(SCATTERED, "default") > 200


def test_giving_back_says_false_where_it_cannot(monkeypatch):
    from al_core.allocator import give_back_free_memory

    monkeypatch.setattr(sys, "platform", "darwin")
    assert give_back_free_memory() is False


def _arrow_backend(env: dict[str, str]) -> str:
    # As the server starts: Streamlit first, then the UI package, then whatever builds tables.
    code = "import streamlit, al_ui, pyarrow; print(pyarrow.default_memory_pool().backend_name)"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True, env=env
    )
    return out.stdout.strip()


def test_the_server_builds_arrow_tables_on_the_c_librarys_heap():
    import os

    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    assert _arrow_backend(env) == "system"
    # Whoever starts the server may choose otherwise.
    assert _arrow_backend({**env, "ARROW_DEFAULT_MEMORY_POOL": "jemalloc"}) == "jemalloc"
