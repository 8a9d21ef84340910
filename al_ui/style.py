"""The few style rules the pages need, as one constant (never built from user text)."""

from __future__ import annotations

import streamlit as st

CARD_KEY = "card"
"""Key of the labeling card's container (Streamlit gives it the class ``st-key-card``)."""

_CSS = f"""
<style>
/* A freshly loaded page draws the sample before Streamlit has loaded the button code;
   a key pressed then would be lost. The card stays hidden until its buttons exist, so
   whatever sample a person can see, its keys already work. */
.st-key-{CARD_KEY}:not(:has([data-has-shortcut="true"])) {{ visibility: hidden; }}
</style>
"""


def apply_style() -> None:
    """Add the app's style rules to the page (drawn nowhere).

    Through Markdown, whose code is part of the page from the start: ``st.html`` is
    loaded on demand, like the buttons, and so would arrive too late to hide anything.
    The string is this module's constant; no user text ever passes here.
    """
    st.markdown(_CSS, unsafe_allow_html=True)
