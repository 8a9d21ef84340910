"""The floor Streamlit itself sets: a page that re-renders one line on a key press."""

import streamlit as st

if "n" not in st.session_state:
    st.session_state.n = 0


def _next() -> None:
    st.session_state.n += 1


st.button("Next", key="next", shortcut="1", on_click=_next)
st.markdown(f"### Sample #{st.session_state.n}")
