"""Where a sample stands against the labeled data: the numbers behind the label card.

For each feature: the sample's value and its z-score against the labeled rows of each
class, and how much those z-scores disagree (the features that tell classes apart for
this sample come first to the eye).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from al_core.data.datasets import Dataset
from al_core.data.encoding import feature_value
from al_core.data.matrix import dense_rows

MIN_ROWS = 2
"""A class needs this many labeled rows before a z-score against it means anything."""

PRIOR_ROWS = 5
"""Weight, in rows, of the spread of all labeled rows in each class's spread.

A class with three labeled rows that happen to agree has a spread near zero, and any
other value would lie "33 standard deviations" away from it. Each class's variance is
shrunk towards the variance of all labeled rows as if that had ``PRIOR_ROWS`` rows, so
z-scores stay meaningful with few labels and approach the plain ones with many.
"""


def feature_context(
    dataset: Dataset, labels: np.ndarray, train_ids: np.ndarray, row_id: int
) -> pd.DataFrame:
    """One row per feature: value, z-score per class, and their spread.

    Parameters
    ----------
    dataset : Dataset
    labels : ndarray of shape (n_samples,)
        Class indices, ``MISSING_LABEL`` where unknown.
    train_ids : ndarray of int
        Rows whose labels may be compared against (the test set is left out).
    row_id : int

    Returns
    -------
    DataFrame with columns ``feature``, ``value``, ``z: <class>`` (distance from the
    class's labeled mean in its shrunken standard deviations, see ``PRIOR_ROWS``) for
    each class with at least ``MIN_ROWS`` labeled rows, and ``spread`` (max minus min absolute z, NaN
    with fewer than two such classes). Values are the original ones where the dataset
    keeps them (``raw``), else the model's features.
    """
    names, values, columns = _display_rows(dataset, row_id)
    # Only the features shown are read, densely: a text pool has thousands of word
    # columns, which the card shows as the text itself.
    shown = np.asarray(sorted({j for j in columns if j is not None}), dtype=np.int64)
    where = {int(j): k for k, j in enumerate(shown)}
    x = dense_rows(dataset.X, np.asarray([row_id]), shown)[0]
    zs: dict[str, np.ndarray] = {}
    known = train_ids[labels[train_ids] >= 0]
    pooled_var = dense_rows(dataset.X, known, shown).var(axis=0) if known.size else 0.0
    for c, name in enumerate(dataset.class_names):
        rows = train_ids[labels[train_ids] == c]
        if rows.size < MIN_ROWS:
            continue
        block = dense_rows(dataset.X, rows, shown)
        var = (rows.size * block.var(axis=0) + PRIOR_ROWS * pooled_var) / (rows.size + PRIOR_ROWS)
        std = np.sqrt(var)
        zs[name] = (x - block.mean(axis=0)) / np.where(std > 1e-12, std, 1.0)
    frame = pd.DataFrame({"feature": names, "value": values})
    for name, z in zs.items():
        # A category is shown as its value; its one-hot columns have no z-score to show.
        frame[f"z: {name}"] = [np.nan if j is None else z[where[j]] for j in columns]
    if len(zs) >= 2:
        frame["spread"] = np.ptp(frame[[f"z: {n}" for n in zs]].to_numpy(float), axis=1)
    else:
        frame["spread"] = np.nan
    return frame


def _display_rows(dataset: Dataset, row_id: int) -> tuple[list[str], list, list[int | None]]:
    """Per shown row: its name, the value a person knows, and the model feature behind it.

    A file's columns are shown as they are in the file (a category by its value, not as
    one-hot columns); a built-in's model features one by one.
    """
    raw = dataset.raw
    if raw is None or not dataset.feature_columns:
        return (
            list(dataset.feature_names),
            _display_values(dataset, row_id),
            [*range(dataset.n_features)],
        )
    index = {name: j for j, name in enumerate(dataset.feature_names)}
    names, values, columns = [], [], []
    for column in dataset.feature_columns:
        if column in dataset.text_columns:
            continue  # shown as the text itself, above the table
        value = feature_value(dataset, row_id, column)
        names.append(column)
        values.append("—" if pd.isna(value) else value)
        columns.append(None if column in dataset.categorical_columns else index.get(column))
    return names, values, columns


def _display_values(dataset: Dataset, row_id: int) -> list:
    raw = dataset.raw
    values = []
    for j, name in enumerate(dataset.feature_names):
        if raw is not None and name in raw.columns:
            values.append(raw.iloc[row_id][name])
        else:
            values.append(float(dataset.X[row_id, j]))
    return values
