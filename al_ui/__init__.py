"""The Streamlit front end: pages and widgets wired to ``al_core``; no logic of its own."""

from threadpoolctl import threadpool_limits

# Small fits on 2 cores: one BLAS thread per fit beats several fighting over the cores.
threadpool_limits(1)
