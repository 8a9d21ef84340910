"""Which key presses which button, and the card title that carries the key handler."""

from __future__ import annotations

import html
import json
import re

import pytest

from al_ui.keys import KEY_HANDLER_HTML, sample_title_html, shortcut_keys


@pytest.mark.parametrize(
    ("names", "keys"),
    [
        (["0", "1"], ["0", "1"]),  # digit names: a class's key is its own digit
        (["3", "1", "8"], ["3", "1", "8"]),
        (["cat", "dog"], ["1", "2"]),
        (["1", "1x"], ["1", "2"]),  # not all single digits: by position
        ([f"c{i}" for i in range(11)], [*"1234567890", None]),  # none past the tenth
    ],
)
def test_shortcut_keys(names, keys):
    assert shortcut_keys(names) == keys


def test_the_title_names_its_row_and_the_buttons_its_keys_press():
    actions = {"1": "label_7_0", "2": "label_7_1", "S": "skip_7"}
    div = sample_title_html("Sample &lt;b&gt; · row #7", 7, actions, 'a "hint" <here>')
    assert 'data-row="7"' in div
    keys = json.loads(html.unescape(re.search(r'data-keys="([^"]*)"', div).group(1)))
    assert keys == {"1": "label_7_0", "2": "label_7_1", "s": "skip_7"}  # keys in lower case
    assert 'title="a &quot;hint&quot; &lt;here&gt;"' in div  # the hint cannot break out
    assert "<b>" not in div
    assert "<script" not in div
    assert KEY_HANDLER_HTML.count("<script>") == 1 and "window.__alKeys" in KEY_HANDLER_HTML
