"""Freed memory reused or returned instead of kept per thread: glibc's allocator for a
long-lived server.

glibc gives threads that allocate at the same time heaps of their own ("arenas"), up to
eight per core, and a heap keeps what was freed in it for its own thread's later use.
Streamlit runs every browser session's script in a thread of its own, so on a pool of
millions of rows each session's thread came to hold its own copies of a label's
temporaries (masks and row lists of the whole pool, 10-80 MB each at 10 million rows):
the server grew with every label until each heap had them. The engine's work on a
project is serialized by the project's lock anyway, so a small number of heaps costs no
parallelism and lets one thread reuse what another freed.

Blocks of a megabyte or more are mapped on their own and unmapped when freed. glibc
does so by default only until the first such block is freed, then raises the bar to
the freed block's size (up to 32 MB), and later blocks below it come from the heaps,
which keep them once freed wherever a live object lies above them. Opening a pool of
millions of rows frees hundreds of such blocks, and Streamlit redraws the page in a new
thread at every run: a served 10,000,000-row project held about 100 MB of them
(``benchmarks/RESULTS.md``). The engine makes no block that large per label, so the
fixed bar costs no page faults where it matters.

Opening a project of millions of rows also frees smaller temporaries (row lists, the
split's arrays) that the heap keeps for later: ``give_back_free_memory`` returns such
free pages to the system once the project is open.
"""

from __future__ import annotations

import ctypes
import sys

_M_ARENA_MAX = -8  # glibc's mallopt parameters (malloc.h)
_M_MMAP_THRESHOLD = -3

ARENAS = 2
"""At most this many heaps, whatever the number of threads."""

MAP_FROM = 1 << 20
"""Blocks of at least this many bytes are mapped on their own, and returned when freed."""


def share_heaps(arenas: int = ARENAS, map_from: int = MAP_FROM) -> bool:
    """Cap glibc's heaps at ``arenas`` and map blocks of ``map_from`` bytes or more on
    their own; False where the C library is not glibc.

    Call early in a server process. It changes where memory comes from and goes back to,
    never what any computation gives.
    """
    mallopt = getattr(_libc(), "mallopt", None)
    if mallopt is None:  # not Linux, or musl and others: nothing to tune
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    capped = mallopt(_M_ARENA_MAX, arenas)
    mapped = mallopt(_M_MMAP_THRESHOLD, map_from)
    return bool(capped and mapped)


def _libc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL("libc.so.6")
    except OSError:
        return None


def give_back_free_memory() -> bool:
    """Return the heaps' free pages to the system (glibc's ``malloc_trim``).

    Call after a one-off burst of temporaries, such as opening a large project; not after
    every label, whose temporaries the next label would fault in again. False where the
    C library is not glibc or nothing was returned.
    """
    libc = _libc()
    trim = getattr(libc, "malloc_trim", None)
    if trim is None:
        return False
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return bool(trim(0))
