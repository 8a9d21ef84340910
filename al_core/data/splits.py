"""How rows are divided into a held-out test set, an initial labeled set and the pool.

``reference_split`` is exactly the tutorial's pair of stratified ``train_test_split``
calls, done on row ids so that ids stay positions in the dataset.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.model_selection import train_test_split

from al_core.errors import ConfigError, DatasetError


@dataclass(frozen=True, eq=False)
class Split:
    """Row ids of the test set and of the initially labeled set.

    Attributes
    ----------
    test_ids : ndarray of shape (n_test,)
    initial_ids : ndarray of shape (n_initial,)
        Empty when labels come from a person (no initial set is known).
    """

    test_ids: np.ndarray
    initial_ids: np.ndarray


def check_fraction(name: str, value: float) -> float:
    """Return ``value`` if ``0 < value < 1``, else raise ``ConfigError``."""
    if not 0.0 < float(value) < 1.0:
        raise ConfigError(f"{name} must be between 0 and 1 (exclusive), got {value}")
    return float(value)


def reference_split(y: np.ndarray, test_size: float, initial_fraction: float, seed: int) -> Split:
    """The tutorial's split: stratified test set, then a stratified initial set of the rest.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        Ground truth for every row.
    test_size, initial_fraction : float in (0, 1)
    seed : int

    Raises
    ------
    DatasetError
        If a class is too small to stratify, or a part would be empty.
    """
    check_fraction("test_size", test_size)
    check_fraction("initial_fraction", initial_fraction)
    ids = np.arange(y.shape[0])
    try:
        pool_ids, test_ids = train_test_split(
            ids, test_size=test_size, random_state=seed, stratify=y
        )
        initial_ids, _ = train_test_split(
            pool_ids, test_size=1.0 - initial_fraction, random_state=seed, stratify=y[pool_ids]
        )
    except ValueError as exc:
        counts = np.bincount(y)
        raise DatasetError(
            f"cannot split {y.shape[0]} rows into test/initial/pool sets stratified by class "
            f"(smallest class has {counts[counts > 0].min()} rows): {exc}. "
            "Use larger fractions, or a dataset with more rows per class."
        ) from exc
    return Split(test_ids=np.asarray(test_ids), initial_ids=np.asarray(initial_ids))


def random_test_rows(n_samples: int, n_test: int, seed: int) -> np.ndarray:
    """Uniformly random row ids for a test set that a person labels.

    Parameters
    ----------
    n_samples : int
    n_test : int
        At least 1 and less than ``n_samples`` (rows must be left to learn from).
    seed : int

    Returns
    -------
    ids : ndarray of shape (n_test,)
        In the order they are to be shown.
    """
    if not 1 <= n_test < n_samples:
        raise ConfigError(
            f"the test set must have between 1 and {n_samples - 1} rows, got {n_test}"
        )
    return np.random.default_rng(seed).choice(n_samples, size=n_test, replace=False)


def stratified_sample(ids: np.ndarray, labels: np.ndarray, n: int, seed: int) -> np.ndarray:
    """``n`` of ``ids``, drawn with each class's share kept (plain random where a class
    is too small to stratify), sorted.

    Parameters
    ----------
    ids : ndarray of shape (m,), m > n
    labels : ndarray of shape (m,)
        The class of each id.
    n : int
    seed : int
    """
    try:
        picked, _ = train_test_split(ids, train_size=n, random_state=seed, stratify=labels)
    except ValueError:  # a class with a single row cannot be split
        picked = np.random.default_rng(seed).choice(ids, size=n, replace=False)
    return np.sort(np.asarray(picked, dtype=np.int64))
