"""Guessing which columns of an uploaded table hold the labels and the rows' names.

A person who uploads ``wine.csv`` expects ``target`` to be taken as the label, not as a
feature (a model trained on the answer learns nothing). The guess is only a starting
value for the form; the person can always choose another column.
"""

from __future__ import annotations

import re

import pandas as pd

LABEL_NAMES = ("label", "labels", "target", "class", "classes", "y", "species", "category")
"""Column names (any case) taken as the label column when present, in this order."""

MAX_GUESSED_CLASSES = 10
"""A column with at most this many distinct values may be guessed as the labels."""


ID_NAME = re.compile(r"(?i)(^|[ _-])(id|key|uuid|identifier|sample)$|^id([ _-]|$)")
"""Column names that say the column names the rows (``id``, ``customer_id``, ``uuid``)."""


def id_column(frame: pd.DataFrame, exclude: str | None = None) -> str | None:
    """The column that names every row (all values filled and distinct), or None.

    A column whose name says so (``id``, ``customer_id``, ``uuid``) comes first; else a
    column of short texts, distinct in every row (numbers can be distinct in every row
    too, and free-text notes are long).
    """
    candidates = []
    for column in frame.columns:
        values = frame[column]
        if column != exclude and len(values) >= 2 and values.notna().all() and values.is_unique:
            candidates.append(column)
    for column in candidates:
        if ID_NAME.search(str(column)):
            return str(column)
    for column in candidates:
        text = frame[column].astype(str)
        if pd.to_numeric(text, errors="coerce").isna().all() and text.str.len().max() <= MAX_ID:
            return str(column)
    return None


MAX_ID = 40
"""Longest value, in characters, of a text column taken as the rows' names by its values."""


def guess_label_column(frame: pd.DataFrame) -> str | None:
    """The column most likely to hold class labels, or None.

    A column named like ``label``, ``target``, ``class``, ``y``, ``species`` or
    ``category`` (any case); else the **last** column, when it has 2 to
    ``MAX_GUESSED_CLASSES`` distinct values that are not fractional numbers (labels are
    names or whole numbers, and files put them last). Only the last: a file without labels
    has categorical features (a plan, a region) that must not be taken for the answer.
    """
    by_name = {str(c).strip().lower(): c for c in frame.columns}
    for name in LABEL_NAMES:
        if name in by_name:
            return str(by_name[name])
    if frame.shape[1] < 2:
        return None
    column = frame.columns[-1]
    values = frame[column].dropna()
    if not 2 <= values.nunique() <= MAX_GUESSED_CLASSES:
        return None
    numbers = pd.to_numeric(values, errors="coerce")
    if numbers.notna().all() and not (numbers == numbers.round()).all():
        return None  # a measurement with few distinct values, not a class
    return str(column)
