"""A text cell as the card shows it: large, scrolling, with the swaying words marked.

``highlighted_html`` is a pure function (tests call it without Streamlit). Every piece
of the user's text goes through ``html.escape``: a cell holding ``<script>`` or Markdown
shows those characters, never runs or renders them.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from al_core.learning.words import Highlight

FAINTEST = 0.15
"""Words pushing less than this share of the strongest push in the text are not marked
(with few labels every word has some weight; marking all of them says nothing)."""

SHOWN_CHARS = 20_000
"""Characters of one cell drawn on the card; the rest is named, not drawn."""

BOX_STYLE = (
    "font-size: 1.2rem; line-height: 1.6; white-space: pre-wrap; overflow-wrap: anywhere; "
    "max-height: 22rem; overflow-y: auto; padding: 0.75rem 1rem; border-radius: 0.5rem; "
    "background: rgba(128, 128, 128, 0.06); border: 1px solid rgba(128, 128, 128, 0.25)"
)


def _rgba(hex_color: str, alpha: float) -> str:
    r, g, b = (int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r}, {g}, {b}, {alpha:.2f})"


def highlighted_html(
    text: str,
    highlights: Sequence[Highlight],
    class_names: Sequence[str],
    palette: Sequence[str],
    shown_chars: int = SHOWN_CHARS,
) -> str:
    """The text as escaped HTML, each highlighted word in its class's colour.

    The shade grows with the word's push, relative to the strongest in this text
    (faint ones, under ``FAINTEST`` of it, are left unmarked); a tooltip names the class. Text past ``shown_chars`` is replaced by a line saying how
    much was left out.
    """
    shown = text[:shown_chars]
    strongest = max((h.weight for h in highlights), default=0.0)
    parts: list[str] = []
    at = 0
    for h in highlights:
        if h.end > len(shown) or h.start < at or h.weight < FAINTEST * strongest:
            continue
        parts.append(html.escape(shown[at : h.start]))
        color = palette[h.klass % len(palette)]
        alpha = 0.15 + 0.55 * (h.weight / strongest if strongest > 0 else 0.0)
        name = html.escape(class_names[h.klass], quote=True)
        parts.append(
            f'<mark title="towards {name}" style="background: {_rgba(color, alpha)}; '
            f'color: inherit; border-radius: 0.2rem; padding: 0 0.1rem">'
            f"{html.escape(shown[h.start : h.end])}</mark>"
        )
        at = h.end
    parts.append(html.escape(shown[at:]))
    if len(text) > shown_chars:
        parts.append(
            f'\n<em style="opacity: 0.7">… {len(text) - shown_chars:,} more characters not '
            "shown here (the file keeps the whole text).</em>"
        )
    return f'<div class="al-text" style="{BOX_STYLE}">{"".join(parts)}</div>'


def legend_html(class_names: Sequence[str], present: set[int], palette: Sequence[str]) -> str:
    """Colour chips for the classes that have highlighted words in the text."""
    chips = [
        f'<span style="background: {_rgba(palette[c % len(palette)], 0.55)}; '
        f'border-radius: 0.2rem; padding: 0 0.35rem; margin-right: 0.5rem">'
        f"{html.escape(class_names[c])}</span>"
        for c in sorted(present)
    ]
    return f'<div style="font-size: 0.85rem">{"".join(chips)}</div>'
