"""Loading a CSV or Parquet file into a ``Dataset``.

Raw columns go through one scikit-learn ``ColumnTransformer`` (median imputation and
scaling for numbers, most-frequent imputation and one-hot encoding for categories).
Every column the loader changes or cannot use gets a ``ColumnNote`` saying why, and a
file that cannot be used at all raises ``DatasetError`` with what to do about it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from al_core.data.columns import id_column
from al_core.data.datasets import ColumnNote, Dataset
from al_core.data.encoding import MAX_MAGNITUDE, as_categories, build_encoder, feature_names
from al_core.data.labelcolumn import check_class_count, read_labels
from al_core.data.matrix import as_pool
from al_core.data.reading import is_parquet_path, parquet_frame, read_frame
from al_core.data.text import clean_texts, looks_like_text
from al_core.data.textfile import read_source
from al_core.errors import DatasetError

MAX_CATEGORIES = 50
"""A text column with more distinct values than this is not one-hot encoded."""

NUMERIC_SHARE = 0.9
"""A column where at least this share of filled cells are numbers is read as numeric."""


def _classify_column(col: pd.Series) -> tuple[str, pd.Series | None, str]:
    """('numeric'|'category'|'unusable', cleaned series, note) for one raw column."""
    filled = col.notna()
    if not filled.any():
        return "unusable", None, "every cell is empty"
    if pd.api.types.is_bool_dtype(col):
        col = col.astype("float64")
    if pd.api.types.is_numeric_dtype(col):
        return _numeric(col.astype("float64"), [])
    as_text = col[filled].astype(str).str.strip()
    numbers = pd.to_numeric(as_text, errors="coerce")
    share = numbers.notna().mean()
    if share >= NUMERIC_SHARE:
        values = pd.to_numeric(col.astype(str).str.strip(), errors="coerce").astype("float64")
        bad = int(filled.sum() - numbers.notna().sum())
        return _numeric(values, [f"{bad} non-numeric cells treated as missing"] if bad else [])
    n_unique = as_text.nunique()
    if n_unique > MAX_CATEGORIES and looks_like_text(col):
        return (
            "unusable",
            None,
            "free text: choose it as a text column to use its words as features",
        )
    if n_unique <= 1:
        return "unusable", None, "the same value in every row carries no information"
    if n_unique == as_text.size and n_unique > 2:
        return "unusable", None, "every row has its own text value (an id?); it cannot be a feature"
    if n_unique > MAX_CATEGORIES:
        return (
            "unusable",
            None,
            (
                f"text with {n_unique} distinct values (an id or free text?) cannot be used as a "
                f"feature; at most {MAX_CATEGORIES} categories are encoded"
            ),
        )
    return "category", as_categories(col), ""


def usable_as_feature(col: pd.Series) -> bool:
    """True when the loader would use the column as numbers or categories."""
    return _classify_column(col)[0] != "unusable"


def _numeric(values: pd.Series, notes: list[str]):
    inf = np.isinf(values)
    if inf.any():
        notes.append(f"{int(inf.sum())} infinite values treated as missing")
    huge = ~inf & (values.abs() > MAX_MAGNITUDE)
    if huge.any():
        notes.append(f"{int(huge.sum())} values beyond ±{MAX_MAGNITUDE:g} treated as missing")
    values = values.mask(inf | huge)
    if values.notna().sum() == 0:
        return "unusable", None, "no usable number in any cell"
    if values.nunique() <= 1:
        return "unusable", None, "the same value in every row carries no information"
    return "numeric", values, "; ".join(notes)


def frame_to_dataset(
    frame: pd.DataFrame,
    name: str = "data",
    label_column: str | None = None,
    feature_columns: list[str] | None = None,
    class_names: list[str] | None = None,
    allow_many_classes: bool = False,
    dtype: type = np.float64,
    text_columns: list[str] | None = None,
) -> Dataset:
    """Turn a raw DataFrame into a ``Dataset`` through the preprocessing pipeline.

    Parameters
    ----------
    frame : DataFrame of shape (n_rows, n_columns)
    name : str
    label_column : str, optional
        Column holding class labels; empty cells mean "not labeled yet".
    feature_columns : list of str, optional
        Columns to use as features; default every column but the label column.
    class_names : list of str, optional
        Required when there is no label column; otherwise the label values.
    allow_many_classes : bool
        Accept a label column that looks like an id (see ``TooManyClassesError``).
    dtype : {np.float64, np.float32}
    text_columns : list of str, optional
        Columns read as free text (words as features, see ``al_core.data.text``); they are
        features whether or not ``feature_columns`` names them. The features are then a
        sparse matrix.

    Raises
    ------
    DatasetError
    """
    if frame.shape[0] == 0:
        raise DatasetError(f"{name}: the file has a header but no rows of data.")
    if label_column is not None:
        y, classes = read_labels(frame, label_column, class_names, allow_many_classes)
    else:
        classes = tuple(str(c).strip() for c in (class_names or []) if str(c).strip())
        if len(classes) < 2 or len(set(classes)) != len(classes):
            raise DatasetError("without a label column, enter at least two distinct class names")
        check_class_count(len(classes), "the class names")
        y = None
    texts = list(dict.fromkeys(text_columns or []))
    if label_column in texts:
        raise DatasetError(
            f"{name}: {label_column!r} is the label column; it cannot also be a text feature"
        )
    if feature_columns is None:
        feature_columns = [c for c in frame.columns if c != label_column]
    feature_columns = list(feature_columns) + [c for c in texts if c not in feature_columns]
    missing = [c for c in feature_columns if c not in frame.columns]
    if missing:
        raise DatasetError(f"{name}: no column named {', '.join(map(repr, missing))}")
    notes, kinds, cleaned = _clean_columns(frame, feature_columns, set(texts))
    if not cleaned:
        reasons = "; ".join(f"{n.column}: {n.problem}" for n in notes) or "no feature columns"
        raise DatasetError(
            f"{name}: no column can be used as a feature ({reasons}). A feature column needs "
            "numbers, a few repeated categories, or words (as a text column)."
        )
    encoding = frame.attrs.get("encoding")
    if kinds["text"] and encoding not in (None, "utf-8-sig"):
        notes.append(
            ColumnNote(
                ", ".join(kinds["text"]),
                f"the file is not UTF-8; it was read as {encoding}. If letters look wrong, "
                "save the file as UTF-8 and upload it again",
                used=True,
            )
        )
    transformer = build_encoder(
        kinds["numeric"], kinds["category"], kinds["text"], len(frame), dtype
    )
    try:
        X = transformer.fit_transform(pd.DataFrame(cleaned))
    except ValueError as exc:  # e.g. a text column whose words are all too short
        raise DatasetError(f"{name}: the columns could not be encoded ({exc}).") from exc
    return Dataset(
        name=name,
        X=as_pool(X, dtype, sparse=bool(kinds["text"])),
        feature_names=feature_names(transformer),
        class_names=classes,
        y=y,
        raw=frame,
        notes=tuple(notes),
        feature_columns=tuple(str(c) for c in cleaned),
        categorical_columns=tuple(str(c) for c in kinds["category"]),
        text_columns=tuple(str(c) for c in kinds["text"]),
        id_column=id_column(frame, exclude=label_column),
        label_column=label_column,
        transformer=transformer,
    )


def _clean_columns(frame: pd.DataFrame, columns: list[str], texts: set[str]):
    """Each column cleaned by its kind, with the loader's notes and the columns by kind."""
    notes: list[ColumnNote] = []
    kinds: dict[str, list[str]] = {"numeric": [], "category": [], "text": []}
    cleaned: dict[str, pd.Series] = {}
    for column in columns:
        if column in texts:
            kind, (values, note) = "text", clean_texts(frame[column])
            if values is None:
                kind = "unusable"
        else:
            kind, values, note = _classify_column(frame[column])
        if kind == "unusable":
            notes.append(ColumnNote(column, note, used=False))
            continue
        cleaned[column] = values
        kinds[kind].append(column)
        if note:
            notes.append(ColumnNote(column, note, used=True))
    return notes, kinds, cleaned


def load_table(
    source: str | Path | bytes,
    label_column: str | None = None,
    feature_columns: list[str] | None = None,
    class_names: list[str] | None = None,
    name: str | None = None,
    max_bytes: int | None = None,
    allow_many_classes: bool = False,
    dtype: type = np.float64,
    text_columns: list[str] | None = None,
    decimal_comma: bool = True,
) -> Dataset:
    """Load a CSV or Parquet file (a path or its bytes) as a ``Dataset``.

    See ``frame_to_dataset`` for the parameters; ``max_bytes`` refuses larger files;
    ``decimal_comma`` as in ``read_frame``.

    Raises
    ------
    DatasetError
        With a message that names the problem and what to do.
    """
    if not isinstance(source, bytes) and is_parquet_path(source) and max_bytes is None:
        # Read where it lies: no copy of a large file's bytes in memory first.
        name = name or Path(source).stem
        frame = parquet_frame(source, name)
    else:
        data, name = read_source(source, name, max_bytes)
        frame = read_frame(data, name, decimal_comma)
    return frame_to_dataset(
        frame,
        name,
        label_column,
        feature_columns,
        class_names,
        allow_many_classes,
        dtype,
        text_columns,
    )
