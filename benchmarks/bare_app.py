"""The floor Streamlit itself sets: a page that re-renders one line on a key press.

With ``AL_BARE_FROZEN=1`` the page freezes the process's objects after its first run,
as the app does (``al_ui/collector.py``): the floor once Streamlit's collection after
each run no longer walks the modules' objects.
"""

import os

import streamlit as st

if "n" not in st.session_state:
    st.session_state.n = 0


def _next() -> None:
    st.session_state.n += 1


st.button("Next", key="next", shortcut="1", on_click=_next)
st.markdown(f"### Sample #{st.session_state.n}")

if os.environ.get("AL_BARE_FROZEN"):
    from al_ui.collector import freeze_modules

    freeze_modules()
