"""Freed memory reused instead of kept per thread: glibc's allocator for a long-lived server.

glibc gives threads that allocate at the same time heaps of their own ("arenas"), up to
eight per core, and a heap keeps what was freed in it for its own thread's later use.
Streamlit runs every browser session's script in a thread of its own, so on a pool of
millions of rows each session's thread came to hold its own copies of a label's
temporaries (masks and row lists of the whole pool, 10-80 MB each at 10 million rows):
the server grew with every label until each heap had them. The engine's work on a
project is serialized by the project's lock anyway, so a small number of heaps costs no
parallelism and lets one thread reuse what another freed.

Opening a project of millions of rows also frees temporaries of tens of MB (masks,
row lists, the split's arrays) that the heap keeps for later: ``give_back_free_memory``
returns such free pages to the system once the project is open.
"""

from __future__ import annotations

import ctypes
import sys

_M_ARENA_MAX = -8  # glibc's mallopt parameter (malloc.h)

ARENAS = 2
"""At most this many heaps, whatever the number of threads."""


def share_heaps(arenas: int = ARENAS) -> bool:
    """Cap glibc's heaps at ``arenas``; False where the C library is not glibc.

    Call early in a server process. It changes where memory is reused from, never what
    any computation gives.
    """
    mallopt = getattr(_libc(), "mallopt", None)
    if mallopt is None:  # not Linux, or musl and others: nothing to tune
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(mallopt(_M_ARENA_MAX, arenas))


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
