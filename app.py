"""Streamlit entry point: a thin router over the pages in ``al_ui/pages``.

Run with ``streamlit run app.py`` (or ``make run``).
"""

import streamlit as st

import al_ui  # noqa: F401  (pins BLAS threads once per process)
from al_ui.auth import account_panel, gate
from al_ui.collector import freeze_modules

st.set_page_config(page_title="Active labeling", page_icon=":material/label:", layout="wide")

pages = [
    st.Page("al_ui/pages/label.py", title="Label", icon=":material/label:", default=True),
    st.Page("al_ui/pages/setup.py", title="Setup", icon=":material/tune:"),
    st.Page("al_ui/pages/data.py", title="Data", icon=":material/table:"),
    st.Page("al_ui/pages/review.py", title="Review", icon=":material/gavel:"),
    st.Page("al_ui/pages/present.py", title="Present", icon=":material/co_present:"),
    st.Page("al_ui/pages/compare.py", title="Compare", icon=":material/monitoring:"),
]
if not gate():  # sign-in on and nobody signed in (or [auth] half-configured)
    st.stop()
account_panel()
try:
    st.navigation(pages).run()
except Exception as exc:  # the last net: a message, never a traceback (reruns pass through)
    from al_ui.messages import show_error

    show_error(exc)
# After the page: its modules are loaded now, and Streamlit's collection after each run
# (fragment reruns included) then walks only what runs made (al_ui/collector.py).
freeze_modules()
