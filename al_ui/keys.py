"""Which key labels which class: the rule shown on every button and in the README."""

from __future__ import annotations

from collections.abc import Sequence


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
