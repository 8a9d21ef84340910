"""Loading a CSV or Parquet file into a ``Dataset``.

Raw columns go through one scikit-learn ``ColumnTransformer`` (median imputation and
scaling for numbers, most-frequent imputation and one-hot encoding for categories).
Every column the loader changes or cannot use gets a ``ColumnNote`` saying why, and a
file that cannot be used at all raises ``DatasetError`` with what to do about it.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from al_core.data.columns import id_column
from al_core.data.datasets import MISSING_LABEL, ColumnNote, Dataset
from al_core.data.textfile import decode_text, read_source, sniff_delimiter
from al_core.errors import DatasetError, TooManyClassesError

MAX_CATEGORIES = 50
"""A text column with more distinct values than this is not one-hot encoded."""

MAX_MAGNITUDE = 1e100
"""Larger numbers overflow when squared for scaling; they are treated as missing."""

MAX_CLASSES = 200
"""The most classes a project may have. Every label refits the model while others wait
to save theirs; with 10,000 classes one refit took a minute. Even with
``allow_many_classes`` more are refused, with a message."""

NUMERIC_SHARE = 0.9
"""A column where at least this share of filled cells are numbers is read as numeric."""


def read_frame(data: bytes, name: str = "file") -> pd.DataFrame:
    """Parse CSV (delimiter and encoding detected) or Parquet bytes into a DataFrame.

    Raises
    ------
    DatasetError
        Empty, binary, unparsable or ragged files; duplicate or missing column names.
    """
    if data[:4] == b"PAR1":
        _check_parquet_size(data, name)
        try:
            frame = pd.read_parquet(io.BytesIO(data))
        except Exception as exc:  # pyarrow raises many types for a damaged file
            raise DatasetError(f"{name}: the Parquet file could not be read ({exc}).") from exc
        frame.columns = [str(c) for c in frame.columns]
        _decode_binary_columns(frame, name)
        _check_columns(list(frame.columns), name)
        if frame.empty:
            raise DatasetError(f"{name}: the file has column names but no rows of data.")
        return frame
    text = decode_text(data, name)
    delimiter = sniff_delimiter(text)
    try:
        header = next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), [])
    except csv.Error as exc:
        raise DatasetError(f"{name}: the header row cannot be read as CSV ({exc}).") from exc
    _check_columns([h.strip() for h in header], name)
    try:
        frame = pd.read_csv(io.StringIO(text, newline=""), sep=delimiter, skipinitialspace=True)
    except pd.errors.ParserError as exc:
        raise DatasetError(
            f"{name}: some rows have more cells than the header ({exc}). "
            "Check for stray delimiters or unquoted text containing them."
        ) from exc
    except pd.errors.EmptyDataError as exc:
        raise DatasetError(
            f"{name}: the file is empty. Upload a file with a header row and data."
        ) from exc
    frame.columns = [str(c).strip() for c in frame.columns]
    if frame.empty:
        raise DatasetError(
            f"{name}: the file has a header but no rows of data. Add rows and try again."
        )
    return frame


def max_table_bytes() -> int:
    """The most memory a table may take once read: ``$AL_MAX_TABLE_MB`` (default 2000)."""
    try:
        return int(float(os.environ.get("AL_MAX_TABLE_MB", "2000")) * 1_000_000)
    except ValueError:
        return 2_000_000_000


def _check_parquet_size(data: bytes, name: str) -> None:
    """Refuse, from its metadata alone, a Parquet file that would not fit once read.

    Parquet compresses well: a file of under a megabyte can hold gigabytes of zeros (a
    decompression bomb). Nothing is decompressed before this check.
    """
    try:
        meta = pq.ParquetFile(io.BytesIO(data)).metadata
    except Exception as exc:  # pyarrow raises many types for a damaged footer
        raise DatasetError(f"{name}: the Parquet file could not be read ({exc}).") from exc
    uncompressed = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    cells = meta.num_rows * meta.num_columns * 8  # at least 8 bytes a cell once in memory
    need, limit = max(uncompressed, cells), max_table_bytes()
    if need > limit:
        raise DatasetError(
            f"{name}: the Parquet file holds {meta.num_rows:,} rows x {meta.num_columns} "
            f"columns, about {need / 1e6:,.0f} MB once read, over the limit of "
            f"{limit / 1e6:,.0f} MB (AL_MAX_TABLE_MB). Use a smaller file or raise the limit."
        )


def _decode_binary_columns(frame: pd.DataFrame, name: str) -> None:
    """Columns of raw bytes become text; bytes that are not UTF-8 text are refused."""
    for column in frame.columns:
        values = frame[column]
        first = values.first_valid_index()
        # A Parquet column has one type: its first value says whether it holds bytes.
        if values.dtype != object or first is None or not isinstance(values[first], bytes):
            continue
        try:
            frame[column] = values.map(lambda v: v.decode("utf-8") if isinstance(v, bytes) else v)
        except UnicodeDecodeError:
            raise DatasetError(
                f"{name}: column {column!r} holds binary data, not text. Remove it from the "
                "file, or store it as text (UTF-8), and upload again."
            ) from None


def _check_columns(columns: list[str], name: str) -> None:
    if not columns or all(not c for c in columns):
        raise DatasetError(f"{name}: the file is empty. Upload a file with a header row and data.")
    seen, dupes = set(), []
    for c in columns:
        if c in seen and c not in dupes:
            dupes.append(c)
        seen.add(c)
    if dupes:
        raise DatasetError(
            f"{name}: column names appear more than once: {', '.join(map(repr, dupes))}. "
            "Rename them so that every column has its own name."
        )


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
    return "category", _as_categories(col), ""


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


def _labels(frame: pd.DataFrame, column: str, class_names, allow_many: bool):
    if column not in frame.columns:
        raise DatasetError(
            f"there is no column {column!r}; the columns are: {', '.join(map(str, frame.columns))}"
        )
    raw = frame[column]
    known = raw.notna() & (raw.astype(str).str.strip() != "")
    text = raw[known].astype(str).str.strip()
    found = sorted(text.unique(), key=_natural_key)
    if class_names:
        names = [str(c) for c in class_names]
        unknown = sorted(set(found) - set(names))
        if unknown:
            raise DatasetError(
                f"label column {column!r} holds values that are not among the classes "
                f"{names}: {unknown[:5]}. Add them to the class names or fix the file."
            )
    else:
        names = found
        if len(names) < 2 and known.all():
            raise DatasetError(
                f"label column {column!r} has only one class ({names[0] if names else 'none'}); "
                "a classifier needs at least two. Choose another label column, or load the "
                "file without one and enter the class names."
            )
        if len(names) < 2:
            raise DatasetError(
                f"label column {column!r} has labels of fewer than two classes; enter the "
                "class names by hand."
            )
        many = len(names) > max(20, 0.5 * known.sum())
        if many and not allow_many:
            raise TooManyClassesError(column, len(names), int(known.sum()))
    _check_class_count(len(names), column)
    index = {n: i for i, n in enumerate(names)}
    y = np.full(len(frame), MISSING_LABEL, dtype=np.int64)
    y[known.to_numpy()] = text.map(index).to_numpy()
    return y, tuple(names)


def _check_class_count(n_classes: int, where: str) -> None:
    if n_classes > MAX_CLASSES:
        raise DatasetError(
            f"{where!r} has {n_classes} classes; a project takes at most {MAX_CLASSES} (each "
            "label refits the model while the others wait). Group rare classes together, "
            "or choose another label column."
        )


def _natural_key(value: str):
    try:
        return (0, float(value), value)
    except ValueError:
        return (1, 0.0, value)


def frame_to_dataset(
    frame: pd.DataFrame,
    name: str = "data",
    label_column: str | None = None,
    feature_columns: list[str] | None = None,
    class_names: list[str] | None = None,
    allow_many_classes: bool = False,
    dtype: type = np.float64,
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

    Raises
    ------
    DatasetError
    """
    if frame.shape[0] == 0:
        raise DatasetError(f"{name}: the file has a header but no rows of data.")
    if label_column is not None:
        y, classes = _labels(frame, label_column, class_names, allow_many_classes)
    else:
        classes = tuple(str(c).strip() for c in (class_names or []) if str(c).strip())
        if len(classes) < 2 or len(set(classes)) != len(classes):
            raise DatasetError("without a label column, enter at least two distinct class names")
        _check_class_count(len(classes), "the class names")
        y = None
    if feature_columns is None:
        feature_columns = [c for c in frame.columns if c != label_column]
    missing = [c for c in feature_columns if c not in frame.columns]
    if missing:
        raise DatasetError(f"{name}: no column named {', '.join(map(repr, missing))}")
    notes: list[ColumnNote] = []
    numeric: list[str] = []
    categorical: list[str] = []
    cleaned: dict[str, pd.Series] = {}
    for column in feature_columns:
        kind, values, note = _classify_column(frame[column])
        if kind == "unusable":
            notes.append(ColumnNote(column, note, used=False))
            continue
        cleaned[column] = values
        (numeric if kind == "numeric" else categorical).append(column)
        if note:
            notes.append(ColumnNote(column, note, used=True))
    if not cleaned:
        reasons = "; ".join(f"{n.column}: {n.problem}" for n in notes) or "no feature columns"
        raise DatasetError(
            f"{name}: no column can be used as a feature ({reasons}). A feature column needs "
            "numbers or a few repeated categories."
        )
    transformer = ColumnTransformer(
        [
            ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric),
            (
                "cat",
                make_pipeline(
                    SimpleImputer(strategy="most_frequent"),
                    OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                ),
                categorical,
            ),
        ],
        verbose_feature_names_out=False,
    )
    X = transformer.fit_transform(pd.DataFrame(cleaned))
    return Dataset(
        name=name,
        X=np.ascontiguousarray(X, dtype=dtype),
        feature_names=tuple(str(f) for f in transformer.get_feature_names_out()),
        class_names=classes,
        y=y,
        raw=frame,
        notes=tuple(notes),
        feature_columns=tuple(str(c) for c in cleaned),
        categorical_columns=tuple(str(c) for c in categorical),
        id_column=id_column(frame, exclude=label_column),
        label_column=label_column,
        transformer=transformer,
    )


def features_of_new_rows(dataset: Dataset, frame: pd.DataFrame, name: str = "file") -> np.ndarray:
    """The features of new rows, encoded exactly as ``dataset``'s were (for predictions).

    Raises
    ------
    DatasetError
        If a feature column is missing, or a column is one the original file did not have.
    """
    if dataset.transformer is None:
        raise DatasetError(
            f"new rows can be predicted for a project made from a CSV or Parquet file; "
            f"{dataset.name!r} is a built-in dataset, whose features have no file columns"
        )
    features = list(dataset.feature_columns)
    known = set(features) | set(dataset.raw.columns if dataset.raw is not None else [])
    missing = [c for c in features if c not in frame.columns]
    if missing:
        raise DatasetError(
            f"{name} lacks the feature column(s) {', '.join(map(repr, missing))} that the "
            "model was trained on; give it the same columns as the project's file"
        )
    extra = [str(c) for c in frame.columns if c not in known]
    if extra:
        raise DatasetError(
            f"{name} has column(s) the project's file did not have: "
            f"{', '.join(map(repr, extra))}; remove them or check that this is the right file"
        )
    cleaned = {
        c: _as_categories(frame[c]) if c in dataset.categorical_columns else _as_numbers(frame[c])
        for c in features
    }
    X = dataset.transformer.transform(pd.DataFrame(cleaned))
    return np.ascontiguousarray(X, dtype=dataset.X.dtype)


def _as_numbers(col: pd.Series) -> pd.Series:
    """A column as numbers, as the loader cleans a numeric feature (bad cells: missing)."""
    if pd.api.types.is_bool_dtype(col) or pd.api.types.is_numeric_dtype(col):
        values = col.astype("float64")
    else:
        values = pd.to_numeric(col.astype(str).str.strip(), errors="coerce").astype("float64")
    return values.mask(np.isinf(values) | (values.abs() > MAX_MAGNITUDE))


def _as_categories(col: pd.Series) -> pd.Series:
    """A column as category strings, as the loader cleans a categorical feature."""
    filled = col.notna()
    return (
        col.where(filled, None)
        .astype("object")
        .map(lambda v: None if v is None else str(v).strip())
    )


def load_table(
    source: str | Path | bytes,
    label_column: str | None = None,
    feature_columns: list[str] | None = None,
    class_names: list[str] | None = None,
    name: str | None = None,
    max_bytes: int | None = None,
    allow_many_classes: bool = False,
    dtype: type = np.float64,
) -> Dataset:
    """Load a CSV or Parquet file (a path or its bytes) as a ``Dataset``.

    See ``frame_to_dataset`` for the parameters; ``max_bytes`` refuses larger files.

    Raises
    ------
    DatasetError
        With a message that names the problem and what to do.
    """
    data, name = read_source(source, name, max_bytes)
    frame = read_frame(data, name)
    return frame_to_dataset(
        frame, name, label_column, feature_columns, class_names, allow_many_classes, dtype
    )
