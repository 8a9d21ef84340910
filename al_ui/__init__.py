"""The Streamlit front end: pages and widgets wired to ``al_core``; no logic of its own."""

from al_core.allocator import share_heaps
from al_core.threads import pin_threads

pin_threads(1)
share_heaps()  # one server process, a thread per browser session: see al_core.allocator
