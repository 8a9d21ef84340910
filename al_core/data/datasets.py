"""Datasets: the feature matrix, names, optional ground truth, and the built-ins.

A row's id is its position in ``X``; ids never change once a dataset is built. Ground
truth ``y`` is used by the simulated oracle, the built-in test set and demo baselines
only, never shown to an annotator as a hint.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn import datasets as skdatasets
from sklearn.preprocessing import StandardScaler

from al_core.data.matrix import Matrix
from al_core.errors import DatasetError

MISSING_LABEL: int = -1
"""Marks a row whose label is not known, in every label array of the engine."""


def label_dtype(n_classes: int) -> np.dtype:
    """The narrowest signed integer type that holds every class index and ``MISSING_LABEL``.

    Label arrays run the length of the pool (the ground truth, the session's labels):
    at 10 million rows an int64 array is 80 MB, an int8 one 10 MB.
    """
    for kind in (np.int8, np.int16, np.int32):
        if n_classes - 1 <= np.iinfo(kind).max:
            return np.dtype(kind)
    return np.dtype(np.int64)


@dataclass(frozen=True, eq=False)
class ColumnNote:
    """Something the loader did with, or could not do with, one input column."""

    column: str
    problem: str
    used: bool


@dataclass(frozen=True, eq=False)
class Dataset:
    """A pool of rows to label.

    Parameters
    ----------
    name : str
        Short name (built-in name or file stem).
    X : ndarray or scipy.sparse.csr_matrix of shape (n_samples, n_features)
        Model-ready features, float64 or float32: C-contiguous, or sparse CSR when the
        pool has text columns (see ``al_core.data.matrix``).
    feature_names : tuple of str, length n_features
    class_names : tuple of str, length n_classes
    y : ndarray of shape (n_samples,) or None
        Ground-truth class indices, ``MISSING_LABEL`` where unknown; stored in
        ``label_dtype(n_classes)``.
    images : ndarray of shape (n_samples, h, w) or None
        Display payload (``digits``); never used for training.
    raw : DataFrame or None
        The original columns of a file, for display and export.
    notes : tuple of ColumnNote
        What the loader reported about each column it changed or could not use.
    feature_columns : tuple of str
        The columns of ``raw`` the features were made from (empty for built-ins).
    categorical_columns : tuple of str
        Those of them encoded as categories (one feature per value).
    text_columns : tuple of str
        Those of them read as free text (one feature per word; ``X`` is then sparse).
    id_column : str or None
        A column of ``raw`` that names each row (every value distinct), shown as the
        sample's name; None if the file has none.
    label_column : str or None
        The column of ``raw`` the labels came from.
    """

    name: str
    X: Matrix
    feature_names: tuple[str, ...]
    class_names: tuple[str, ...]
    y: np.ndarray | None = None
    images: np.ndarray | None = None
    raw: pd.DataFrame | None = None
    notes: tuple[ColumnNote, ...] = field(default_factory=tuple)
    feature_columns: tuple[str, ...] = ()
    categorical_columns: tuple[str, ...] = ()
    text_columns: tuple[str, ...] = ()
    id_column: str | None = None
    label_column: str | None = None
    transformer: Any = field(default=None, compare=False, repr=False)
    """The fitted ``ColumnTransformer`` that made ``X`` from a file's columns (None for
    the built-ins, whose columns are the features)."""

    @property
    def context_columns(self) -> tuple[str, ...]:
        """Columns of ``raw`` that are neither features nor the row's name (nor labels):
        notes, dates and the like, shown beside the features as context."""
        if self.raw is None or not self.feature_columns:
            return ()
        skip = set(self.feature_columns) | {self.id_column, self.label_column}
        return tuple(str(c) for c in self.raw.columns if c not in skip)

    def row_name(self, row_id: int) -> str | None:
        """The row's value in ``id_column`` (as text), or None."""
        if self.raw is None or self.id_column is None:
            return None
        return str(self.raw.iloc[row_id][self.id_column])

    def __post_init__(self) -> None:
        if self.X.ndim != 2:
            raise DatasetError(f"features must be a 2-D array, got {self.X.ndim}-D")
        if self.X.shape[0] == 0:
            raise DatasetError("the dataset has no rows")
        if len(self.feature_names) != self.X.shape[1]:
            raise DatasetError("feature_names must have one name per column of X")
        if self.y is not None:
            if self.y.shape != (self.X.shape[0],):
                raise DatasetError("y must have one entry per row of X")
            known = self.y[self.y != MISSING_LABEL]
            if known.size and (known.min() < 0 or known.max() >= len(self.class_names)):
                raise DatasetError("y holds a class index outside class_names")
            # Integer and bool labels are whole already: no pool-sized rounded copy.
            if self.y.dtype.kind not in "biu" and not np.array_equal(known, np.round(known)):
                raise DatasetError("y must hold whole class indices")
            # Kept narrow: every value is now known to fit.
            narrow = self.y.astype(label_dtype(len(self.class_names)), copy=False)
            object.__setattr__(self, "y", narrow)

    @property
    def n_samples(self) -> int:
        return int(self.X.shape[0])

    @property
    def n_features(self) -> int:
        return int(self.X.shape[1])

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    @property
    def fully_labeled(self) -> bool:
        """True when every row has a ground-truth label (an oracle exists)."""
        return self.y is not None and bool(np.all(self.y != MISSING_LABEL))


def _from_bunch(name: str, bunch, dtype, images=None) -> Dataset:
    names = tuple(str(f) for f in bunch.feature_names)
    # Standardized like every file the loader reads (unscaled features make the default
    # solver slow to converge); the original values stay in ``raw`` for display.
    return Dataset(
        name=name,
        X=np.ascontiguousarray(StandardScaler().fit_transform(bunch.data), dtype=dtype),
        raw=pd.DataFrame(bunch.data, columns=list(names)),
        feature_names=names,
        class_names=tuple(str(c) for c in bunch.target_names),
        y=np.asarray(bunch.target, dtype=np.int64),
        images=images,
    )


def _tutorial(seed: int, dtype) -> Dataset:
    # The reference's exact call; only random_state follows the seed.
    X, y = skdatasets.make_classification(
        n_samples=1000,
        n_features=10,
        n_informative=5,
        n_redundant=0,
        n_classes=2,
        n_clusters_per_class=1,
        flip_y=0.1,
        random_state=seed,
    )
    return Dataset(
        name="tutorial",
        X=np.ascontiguousarray(X, dtype=dtype),
        feature_names=tuple(f"x{i}" for i in range(X.shape[1])),
        class_names=("class 0", "class 1"),
        y=y.astype(np.int64),
    )


def _synthetic(n_samples: int):
    """A large two-class pool (20 features) for trying the app and the engine at scale."""

    def load(seed: int, dtype) -> Dataset:
        X, y = skdatasets.make_classification(
            n_samples=n_samples,
            n_features=20,
            n_informative=10,
            n_classes=2,
            n_clusters_per_class=1,
            flip_y=0.05,
            random_state=seed,
        )
        return Dataset(
            name=f"synthetic_{n_samples}",
            X=np.ascontiguousarray(X, dtype=dtype),
            feature_names=tuple(f"x{i}" for i in range(X.shape[1])),
            class_names=("class 0", "class 1"),
            y=y.astype(np.int64),
        )

    return load


def _digits(seed: int, dtype) -> Dataset:
    bunch = skdatasets.load_digits()
    return _from_bunch("digits", bunch, dtype, images=np.asarray(bunch.images))


def _tickets(seed: int, dtype) -> Dataset:
    """Support tickets of a made-up shop: text, channel, tenure; four topics (ours, CC0)."""
    from al_core.data.builtin.make_tickets import PATH
    from al_core.data.tabular import load_table  # the file loader builds on this module

    return load_table(
        PATH, label_column="topic", text_columns=["text"], name="tickets", dtype=dtype
    )


BUILTINS: dict[str, Callable[[int, type], Dataset]] = {
    "tutorial": _tutorial,
    "iris": lambda seed, dtype: _from_bunch("iris", skdatasets.load_iris(), dtype),
    "wine": lambda seed, dtype: _from_bunch("wine", skdatasets.load_wine(), dtype),
    "breast_cancer": lambda seed, dtype: _from_bunch(
        "breast_cancer", skdatasets.load_breast_cancer(), dtype
    ),
    "digits": _digits,
    "tickets": _tickets,
    "synthetic_10k": _synthetic(10_000),
    "synthetic_100k": _synthetic(100_000),
    "synthetic_1m": _synthetic(1_000_000),
}
"""Name-to-loader registry of the bundled datasets (none downloads anything)."""


def load_builtin(name: str, seed: int = 42, dtype: type = np.float64) -> Dataset:
    """Load a bundled dataset by name.

    Parameters
    ----------
    name : str
        One of ``BUILTINS``.
    seed : int
        ``random_state`` of generated data (``tutorial``); ignored otherwise.
    dtype : {np.float64, np.float32}
        Storage type of ``X``; float32 halves the memory of large pools.

    Raises
    ------
    DatasetError
        If ``name`` is not a built-in.
    """
    if name not in BUILTINS:
        known = ", ".join(sorted(BUILTINS))
        raise DatasetError(
            f"unknown dataset {name!r}; choose one of: {known}, or a CSV/Parquet path"
        )
    if np.dtype(dtype) not in (np.dtype(np.float64), np.dtype(np.float32)):
        raise DatasetError("dtype must be float64 or float32")
    return BUILTINS[name](seed, dtype)
