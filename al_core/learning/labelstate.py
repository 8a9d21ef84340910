"""Who is labeled: one label array, the fixed test split, and what derives from them.

``labels`` is the only record of labels (``MISSING_LABEL`` where unknown); the masks
and counts are derived from it and from ``is_test``, and derived again after every
change (``_version``), so a step over a large pool pays for each mask pass once.
Treat the arrays as read-only outside the session's own methods.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from al_core.data.datasets import MISSING_LABEL, label_dtype
from al_core.errors import ConfigError
from al_core.learning.query import DONE, LEARN, TEST, Phase


class _Derived(NamedTuple):
    train_mask: np.ndarray
    unlabeled_mask: np.ndarray
    train_ids: np.ndarray
    n_unlabeled: int
    n_test_pending: int


class LabelState:
    """The label bookkeeping a ``LabelingSession`` is built on.

    Parameters
    ----------
    n_samples : int
    n_classes : int
    budget : int or None
        Training labels allowed after the initial set (None: no limit).
    """

    def __init__(self, n_samples: int, n_classes: int, budget: int | None) -> None:
        self.n_classes = n_classes
        self.labels = np.full(n_samples, MISSING_LABEL, dtype=label_dtype(n_classes))
        self.is_test = np.zeros(n_samples, dtype=bool)
        self.skipped = np.zeros(n_samples, dtype=bool)
        self.test_order = np.zeros(0, dtype=np.int64)
        self.initial_ids = np.zeros(0, dtype=np.int64)
        self._budget = budget
        self._version = 0  # bumped on every change to labels
        self._derived_version = -1
        self._test_layout: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    # ----------------------------------------------------------------- derived state
    def _derived(self) -> _Derived:
        """Masks, ids and counts derived from ``labels``.

        Derived again after every change (``_version``), so a step over a large pool
        pays for each pass over it once, not once per property read.
        """
        if self._derived_version != self._version:
            known = self.labels != MISSING_LABEL
            _, pool = self._fixed_by_test_set()
            train = known & pool
            unlabeled = np.greater(pool, known)  # in the pool and not known
            train_ids = np.flatnonzero(train)
            for arr in (train, unlabeled, train_ids):
                arr.flags.writeable = False
            # Gathered in ascending order: on a pool of millions, reading the test rows in
            # their shuffled order cost more than the rest of this (cache misses).
            pending = self.labels[self._fixed_by_test_set()[0]] == MISSING_LABEL
            self._derived_cache = _Derived(
                train_mask=train,
                unlabeled_mask=unlabeled,
                train_ids=train_ids,
                n_unlabeled=int(np.count_nonzero(unlabeled)),
                n_test_pending=int(np.count_nonzero(pending)),
            )
            self._derived_version = self._version
        return self._derived_cache

    def _fixed_by_test_set(self) -> tuple[np.ndarray, np.ndarray]:
        """The test rows ascending, and ``~is_test``: kept while the test set is the same
        (it is fixed at the start; ``test_order`` is replaced, never changed in place)."""
        if self._test_layout is None or self._test_layout[0] is not self.test_order:
            rows = np.sort(self.test_order)
            rows.flags.writeable = False
            self._test_layout = (self.test_order, rows, ~self.is_test)
        return self._test_layout[1], self._test_layout[2]

    @property
    def test_rows_sorted(self) -> np.ndarray:
        """The test rows in ascending order (``test_order`` is the order shown); read-only."""
        return self._fixed_by_test_set()[0]

    @property
    def train_mask(self) -> np.ndarray:
        """Rows whose labels train the model, shape (n_samples,); read-only."""
        return self._derived().train_mask

    @property
    def unlabeled_mask(self) -> np.ndarray:
        """Rows that may still be queried for training, shape (n_samples,); read-only."""
        return self._derived().unlabeled_mask

    @property
    def train_ids(self) -> np.ndarray:
        """Ids of the rows whose labels train the model, ascending; read-only."""
        return self._derived().train_ids

    @property
    def n_labeled(self) -> int:
        return int(self._derived().train_ids.size)

    @property
    def n_unlabeled(self) -> int:
        return self._derived().n_unlabeled

    @property
    def n_test(self) -> int:
        """Size of the held-out test set."""
        return int(self.test_order.size)

    @property
    def n_test_labeled(self) -> int:
        return self.n_test - self._derived().n_test_pending

    @property
    def n_queried(self) -> int:
        """Training labels given since the start (the budget counts these)."""
        return self.n_labeled - int(self.initial_ids.size)

    @property
    def test_ids_pending(self) -> np.ndarray:
        """Test rows still to label, in the order they are shown."""
        if self._derived().n_test_pending == 0:
            return self.test_order[:0]
        return self.test_order[self.labels[self.test_order] == MISSING_LABEL]

    def check_budget(self, budget: int) -> None:
        """Raise ``ConfigError`` unless ``budget`` could replace the current one."""
        if isinstance(budget, bool) or not isinstance(budget, int | np.integer):
            raise ConfigError(f"a budget is a whole number of labels, not {budget!r}")
        if budget < max(self.n_queried, 1):
            raise ConfigError(
                f"the budget cannot be {budget}: {self.n_queried} labels were given already, "
                f"so it must be at least {max(self.n_queried, 1)}"
            )

    @property
    def budget_left(self) -> int | None:
        if self._budget is None:
            return None
        return max(self._budget - self.n_queried, 0)

    def check_rows(self, row_ids) -> None:
        """Raise ``ConfigError`` unless every id names a row of the pool."""
        ids = np.asarray(row_ids, dtype=np.int64).ravel()
        if ids.size and (ids.min() < 0 or ids.max() >= self.labels.size):
            raise ConfigError(f"row ids must be in 0..{self.labels.size - 1}")

    def check_classes(self, labels) -> None:
        """Raise ``ConfigError`` unless every label is a class index."""
        labs = np.asarray(labels, dtype=np.int64).ravel()
        if labs.size and (labs.min() < 0 or labs.max() >= self.n_classes):
            raise ConfigError(f"labels must be class indices 0..{self.n_classes - 1}")

    @property
    def phase(self) -> Phase:
        if self._derived().n_test_pending:
            return TEST
        if self.n_unlabeled == 0 or self.budget_left == 0:
            return DONE
        return LEARN

    @property
    def skipped_ids(self) -> np.ndarray:
        return np.flatnonzero(self.skipped & (self.labels == MISSING_LABEL))
