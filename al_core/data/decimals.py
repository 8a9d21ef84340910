"""Numbers written with a decimal comma, as spreadsheets in many locales save CSV.

Such a file separates its cells with semicolons (or tabs) and writes ``1,5`` or
``1.234,5`` (a point between thousands); read as text, every such column would be
refused as a feature ("every row has its own text value"). Only files whose delimiter
is not a comma are read so: in a comma-separated file a quoted ``"1,500"`` may as well
mean fifteen hundred.
"""

from __future__ import annotations

import re

import pandas as pd

_DECIMAL_COMMA = re.compile(r"[+-]?(?:\d{1,3}(?:\.\d{3})+|\d+)(?:,\d+)?")
"""A number with an optional decimal comma and optional points between thousands."""

SHARE = 0.9
"""A column is read as decimal-comma numbers when at least this share of its filled
cells are such numbers (the rest then read as missing, as for any numeric column)."""


def decimal_comma_numbers(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its decimal-comma text columns as float64 (cells that are not
    such numbers kept as they are, for the loader to count as missing).

    A column is converted only when some cell has a comma and at least ``SHARE`` of
    its filled cells match ``1,5`` / ``-1.234,56`` / ``12``: a column of plain words or
    of numbers pandas already read is left alone.
    """
    out = frame
    for name in frame.columns:
        col = frame[name]
        if pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
            continue
        text = col[col.notna()].astype(str).str.strip()
        if text.empty or not text.str.contains(",", regex=False).any():
            continue
        matches = text.str.fullmatch(_DECIMAL_COMMA)
        if matches.mean() < SHARE:
            continue
        numbers = pd.to_numeric(
            text[matches].str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
        )
        if out is frame:
            out = frame.copy()
        converted = col.astype(object)
        converted[numbers.index] = numbers.astype("float64")
        out[name] = converted if not matches.all() else converted.astype("float64")
    return out
