"""Freed memory reused instead of kept per thread: glibc's allocator for a long-lived server.

glibc gives threads that allocate at the same time heaps of their own ("arenas"), up to
eight per core, and a heap keeps what was freed in it for its own thread's later use.
Streamlit runs every browser session's script in a thread of its own, so on a pool of
millions of rows each session's thread came to hold its own copies of a label's
temporaries (masks and row lists of the whole pool, 10-80 MB each at 10 million rows):
the server grew with every label until each heap had them. The engine's work on a
project is serialized by the project's lock anyway, so a small number of heaps costs no
parallelism and lets one thread reuse what another freed.
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
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):  # musl and others: nothing to tune
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(mallopt(_M_ARENA_MAX, arenas))
