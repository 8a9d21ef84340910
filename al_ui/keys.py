"""Which key presses which button: the rule shown on every button and in the README,
the card title that names them, and the page's key handler that presses them.

The handler (``keys.js``) listens on the window for as long as the page lives, and at
each press reads the row and the keys from the title on screen; a title stays hidden
until the handler is live. A title is plain HTML (``st.html`` without script, sanitized
and drawn in the same render pass as its card), and the handler an element of its own
beside the buttons. (A title that carried the handler was drawn by the browser in an
effect, a pass of the whole page later: 15-30 ms of a key press on a two-core machine.)
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


KEY_HANDLER_HTML = f"<script>{_SCRIPT}</script>"
"""The page's key handler, drawn with ``st.html(..., unsafe_allow_javascript=True)``."""


def sample_title_html(title_html: str, row: int, actions: Mapping[str, str], hint: str = "") -> str:
    """The card's title: the row it shows and which button each key presses, for the
    page's key handler (``keys.js``) to read at each press.

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
    """
    keys = html.escape(json.dumps({k.lower(): v for k, v in actions.items()}), quote=True)
    return (
        f'<div class="al-sample-title" data-row="{int(row)}" data-keys="{keys}" '
        f'title="{html.escape(hint, quote=True)}" '
        # Hidden until the key handler is live (it sets --al-keys-live): a press made
        # as soon as a title shows is caught.
        'style="font-weight:600;white-space:nowrap;line-height:2.5rem;'
        'visibility:var(--al-keys-live, hidden)">'
        f"{title_html}</div>"
    )


class CardButtons:
    """A card's buttons, each with its key, and the title that presses them by key.

    Every button given to ``button`` is registered with the title's key handler under
    its own shortcut, so the key shown on a button and the key that presses it come
    from one place; ``draw`` then sends the title first and the buttons right after.
    The title goes first so that it replaces the previous card's title in place (never
    a moment without one, when a press would have no sample to go to), and reaches the
    browser in the first batch of a run; a press made before its buttons arrive waits
    for them (``keys.js``).
    """

    def __init__(self, row: int) -> None:
        self.row = row
        self.actions: dict[str, str] = {}
        self._buttons: list[tuple[str, str, str | None, dict[str, Any]]] = []

    def button(self, label: str, *, key: str, shortcut: str | None, **kwargs: Any) -> None:
        """An ``st.button`` with a widget ``key`` and a ``shortcut`` (None: no key),
        drawn by ``draw``."""
        if shortcut is not None:
            self.actions[shortcut.lower()] = key
        self._buttons.append((label, key, shortcut, kwargs))

    def draw(self, title_html: str, hint: str) -> None:
        """The title, the buttons and the key handler, in one row."""
        with st.container(horizontal=True, gap="small", vertical_alignment="center"):
            # Without script, st.html is sanitized and drawn in the render pass itself.
            st.html(sample_title_html(title_html, self.row, self.actions, hint), width="content")
            for label, key, shortcut, kwargs in self._buttons:
                st.button(label, key=key, shortcut=shortcut, **kwargs)
            # The same element at every run: the browser runs it once (and the script
            # installs itself once per page), yet a page that missed a run still gets it.
            st.html(KEY_HANDLER_HTML, width="content", unsafe_allow_javascript=True)
