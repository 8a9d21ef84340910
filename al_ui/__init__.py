"""The Streamlit front end: pages and widgets wired to ``al_core``; no logic of its own.

Importing it readies the server process, before the engine (and with it pyarrow) loads.
"""

import os

# Arrow's own allocator (mimalloc) gives every thread that builds a table a heap of its
# own, and Streamlit builds the page's tables in a new thread at every run: a served
# 10,000,000-row project grew at every run, by about 100 MB over 12 key presses
# (benchmarks/RESULTS.md). On the C library's heap, tuned below, it held level. Arrow
# reads this once, when pyarrow is first imported; a value set by whoever starts the
# server wins.
os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")

from al_core.allocator import share_heaps  # noqa: E402
from al_core.threads import pin_threads  # noqa: E402

pin_threads(1)
share_heaps()  # one server process, a thread per browser session: see al_core.allocator
