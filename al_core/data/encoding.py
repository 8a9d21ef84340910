"""The encoding of a file's columns into model features, and its use on new rows.

One scikit-learn ``ColumnTransformer``: median imputation and scaling for numbers,
most-frequent imputation and one-hot encoding for categories, a text vectorizer (see
``al_core.data.text``) per text column. With a text column the output is a sparse CSR
matrix; without, dense as before. The same fitted transformer encodes a new file for
predictions, and sits in front of the classifier in the exported model.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from al_core.data.datasets import Dataset
from al_core.data.matrix import Matrix, as_pool
from al_core.data.text import MAX_TEXT_CHARS, encoder_words, text_encoder
from al_core.errors import DatasetError

MAX_MAGNITUDE = 1e100
"""Larger numbers overflow when squared for scaling; they are treated as missing."""

TEXT_PREFIX = "text:"
"""Name of a text column's step in the transformer (``text:<column>``)."""


def build_encoder(
    numeric: list[str], categorical: list[str], text: list[str], n_rows: int, dtype: type
) -> ColumnTransformer:
    """An unfitted transformer for these columns of a pool of ``n_rows`` rows."""
    steps: list[tuple] = [
        ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric),
        (
            "cat",
            make_pipeline(
                SimpleImputer(strategy="most_frequent"),
                OneHotEncoder(handle_unknown="ignore", sparse_output=bool(text)),
            ),
            categorical,
        ),
    ]
    # A column name, not a list: the vectorizer takes one column of strings.
    steps += [(TEXT_PREFIX + c, text_encoder(n_rows, dtype), c) for c in text]
    return ColumnTransformer(
        steps, sparse_threshold=1.0 if text else 0.0, verbose_feature_names_out=False
    )


def feature_names(transformer: ColumnTransformer) -> tuple[str, ...]:
    """One name per output column; a text column's words as ``<column>: <word>``."""
    names: list[str] = []
    for step, _, columns in transformer.transformers_:
        if step == "remainder" or (not isinstance(columns, str) and not len(columns)):
            continue
        fitted = transformer.named_transformers_[step]
        if step.startswith(TEXT_PREFIX):
            names += [f"{columns}: {w}" for w in encoder_words(fitted)]
        else:
            names += [str(f) for f in fitted.get_feature_names_out()]
    return tuple(names)


def text_block(transformer: ColumnTransformer, column: str) -> tuple[object, int]:
    """A text column's fitted vectorizer and the first output column of its words."""
    step = TEXT_PREFIX + column
    return transformer.named_transformers_[step], int(transformer.output_indices_[step].start)


def features_of_new_rows(dataset: Dataset, frame: pd.DataFrame, name: str = "file") -> Matrix:
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
    cleaned = {c: _cleaner(dataset, c)(frame[c]) for c in features}
    X = dataset.transformer.transform(pd.DataFrame(cleaned))
    return as_pool(X, dataset.X.dtype, sparse=bool(dataset.text_columns))


def _cleaner(dataset: Dataset, column: str):
    if column in dataset.text_columns:
        return as_texts
    if column in dataset.categorical_columns:
        return as_categories
    return as_numbers


def as_numbers(col: pd.Series) -> pd.Series:
    """A column as numbers, as the loader cleans a numeric feature (bad cells: missing)."""
    if pd.api.types.is_bool_dtype(col) or pd.api.types.is_numeric_dtype(col):
        values = col.astype("float64")
    else:
        values = pd.to_numeric(col.astype(str).str.strip(), errors="coerce").astype("float64")
    return values.mask(np.isinf(values) | (values.abs() > MAX_MAGNITUDE))


def as_categories(col: pd.Series) -> pd.Series:
    """A column as category strings, as the loader cleans a categorical feature."""
    filled = col.notna()
    return (
        col.where(filled, None)
        .astype("object")
        .map(lambda v: None if v is None else str(v).strip())
    )


def as_texts(col: pd.Series) -> pd.Series:
    """A column as the text vectorizer reads it (missing: empty; cut to the model's length)."""
    return col.where(col.notna(), "").astype(str).str.slice(0, MAX_TEXT_CHARS)


def without_numeric_features(dataset: Dataset) -> pd.DataFrame | None:
    """``dataset.raw`` without its numeric feature columns and label column.

    Those are in ``X`` and ``y`` already; on a pool of millions of rows keeping them twice
    would double its memory. ``feature_value`` reads a numeric value back from ``X``.
    """
    if dataset.raw is None or dataset.transformer is None:
        return dataset.raw
    numeric = set(_numeric_columns(dataset.transformer))
    keep = [c for c in dataset.raw.columns if c not in numeric and c != dataset.label_column]
    return dataset.raw[keep]


def _numeric_columns(transformer: ColumnTransformer) -> list[str]:
    for step, _, columns in transformer.transformers_:
        if step == "num":
            return list(columns)
    return []


def feature_value(dataset: Dataset, row_id: int, column: str):
    """A feature column's value in a row: from the file's table where it is kept, else
    read back from the features (the scaling undone; a missing cell shows as the value
    it was imputed with)."""
    raw = dataset.raw
    if raw is not None and column in raw.columns:
        return raw.iloc[row_id][column]
    numeric = _numeric_columns(dataset.transformer)
    scaler = dataset.transformer.named_transformers_["num"][-1]
    k = numeric.index(column)
    j = int(dataset.transformer.output_indices_["num"].start) + k
    x = dataset.X[row_id, j]
    return float(x) * float(scaler.scale_[k]) + float(scaler.mean_[k])
