"""Who is at the keyboard: the name saved with every label and every review decision."""

from __future__ import annotations

import streamlit as st

from al_ui.state import set_annotator


def ask_name(question: str = "Who is labeling?", start: str = "Start labeling") -> None:
    """A form for the person's name (kept in the tab and the URL, see ``state``)."""
    st.subheader(question)
    st.write("Your name is saved with every label you give, so a team can see who labeled what.")
    with st.form("annotator_form", border=False):
        name = st.text_input("Your name", key="annotator_input", max_chars=80)
        if st.form_submit_button(start, type="primary", key="annotator_start"):
            if name.strip():
                set_annotator(name.strip())
                st.rerun()
            st.warning("Enter a name first.")
