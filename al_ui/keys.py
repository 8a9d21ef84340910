"""Which key presses which button: the rule shown on every button and in the README,
and the card title that carries the page's key handler.

The handler (``keys.js``) listens on the window for as long as the page lives, and at
each press reads the row and the keys from whatever title is on screen. So only the
first title a browser session gets carries it (``st.html`` with its script, which the
browser draws in an effect, once the handler is live); every later title is plain
markdown, drawn in the same pass as the rest of the card: a render pass sooner (an
effect's title came one pass of the whole page after the card, 15-30 ms of a key
press on a two-core machine).
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import streamlit as st


def shortcut_keys(class_names: Sequence[str]) -> list[str | None]:
    """The key of each class button, in class order.

    When every class name is a single digit (and no digit repeats), a class's key is
    its own digit, so pressing 8 on a picture of an 8 saves "8". Otherwise the keys
    go by position: 1-9, then 0 for the tenth class, and none after that.
    """
    names = [str(n).strip() for n in class_names]
    if names and all(len(n) == 1 and n.isdigit() for n in names) and len(set(names)) == len(names):
        return names
    return [str(i + 1) if i < 9 else ("0" if i == 9 else None) for i in range(len(names))]


_SCRIPT = (Path(__file__).with_name("keys.js")).read_text(encoding="utf-8")


HANDLER_SENT = "keys_handler_sent"
"""Session-state flag: this browser session's page has the key handler."""


def sample_title_html(
    title_html: str, row: int, actions: Mapping[str, str], hint: str = "", handler: bool = True
) -> str:
    """The card's title, carrying the page's key handler (``keys.js``) if ``handler``.

    With the handler it is drawn with ``st.html(..., unsafe_allow_javascript=True)``,
    which puts it on the page in an effect, like the buttons' shortcuts: when the title
    shows, keys are caught. Without, it is markdown for a page that has the handler.

    Parameters
    ----------
    title_html : str
        The title's text, already escaped HTML.
    row : int
        The row on the card; a press is pinned to it.
    actions : mapping of str to str
        Key (lower case) to the widget key of the button it presses.
    hint : str
        Plain text shown when the pointer rests on the title.
    handler : bool
        Append the handler's script.
    """
    keys = html.escape(json.dumps({k.lower(): v for k, v in actions.items()}), quote=True)
    return (
        f'<div class="al-sample-title" data-row="{int(row)}" data-keys="{keys}" '
        f'title="{html.escape(hint, quote=True)}" '
        'style="font-weight:600;white-space:nowrap;line-height:2.5rem">'
        f"{title_html}</div>" + (f"<script>{_SCRIPT}</script>" if handler else "")
    )


class CardButtons:
    """A card's buttons, each with its key, and the title that presses them by key.

    Every button drawn through ``button`` is registered with the title's key handler
    under its own shortcut, so the key shown on a button and the key that presses it
    come from one place.
    """

    def __init__(self, row: int) -> None:
        self.row = row
        self.actions: dict[str, str] = {}

    def button(self, label: str, *, key: str, shortcut: str | None, **kwargs: Any) -> None:
        """``st.button`` with a widget ``key`` and a ``shortcut`` (None: no key)."""
        if shortcut is not None:
            self.actions[shortcut.lower()] = key
        st.button(label, key=key, shortcut=shortcut, **kwargs)

    def title(self, slot: Any, title_html: str, hint: str) -> None:
        """Draw the title into ``slot`` (an ``st.empty``), after the buttons were sent:
        with the key handler the first time in this browser session, plain after."""
        if st.session_state.get(HANDLER_SENT):
            slot.markdown(
                sample_title_html(title_html, self.row, self.actions, hint, handler=False),
                unsafe_allow_html=True,
                width="content",
            )
            return
        slot.html(
            sample_title_html(title_html, self.row, self.actions, hint),
            width="content",
            unsafe_allow_javascript=True,
        )
        st.session_state[HANDLER_SENT] = True
