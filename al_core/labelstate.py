"""Who is labeled: one label array, the fixed test split, and what derives from them.

``labels`` is the only record of labels (``MISSING_LABEL`` where unknown); the masks
and counts are derived from it and from ``is_test``, and derived again after every
change (``_version``), so a step over a large pool pays for each mask pass once.
Treat the arrays as read-only outside the session's own methods.
"""

from __future__ import annotations

import numpy as np

from .config import DONE, LEARN, TEST
from .datasets import MISSING_LABEL


class LabelState:
    """The label bookkeeping a ``LabelingSession`` is built on.

    Parameters
    ----------
    n_samples : int
    budget : int or None
        Training labels allowed after the initial set (None: no limit).
    """

    def __init__(self, n_samples: int, budget: int | None) -> None:
        self.labels = np.full(n_samples, MISSING_LABEL, dtype=np.int64)
        self.is_test = np.zeros(n_samples, dtype=bool)
        self.skipped = np.zeros(n_samples, dtype=bool)
        self.test_order = np.zeros(0, dtype=np.int64)
        self.initial_ids = np.zeros(0, dtype=np.int64)
        self._budget = budget
        self._version = 0  # bumped on every change to labels
        self._derived_version = -1

    # ----------------------------------------------------------------- derived state
    def _derived(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
        """(train_mask, unlabeled_mask, train_ids, n_unlabeled), derived from ``labels``.

        Derived again after every change (``_version``), so a step over a large pool
        pays for the mask passes once, not once per property read.
        """
        if self._derived_version != self._version:
            known = self.labels != MISSING_LABEL
            train = known & ~self.is_test
            unlabeled = ~known & ~self.is_test
            train.flags.writeable = unlabeled.flags.writeable = False
            count = int(np.count_nonzero(unlabeled))
            train_ids = np.flatnonzero(train)
            train_ids.flags.writeable = False
            self._derived_cache = (train, unlabeled, train_ids, count)
            self._derived_version = self._version
        return self._derived_cache

    @property
    def train_mask(self) -> np.ndarray:
        """Rows whose labels train the model, shape (n_samples,); read-only."""
        return self._derived()[0]

    @property
    def unlabeled_mask(self) -> np.ndarray:
        """Rows that may still be queried for training, shape (n_samples,); read-only."""
        return self._derived()[1]

    @property
    def train_ids(self) -> np.ndarray:
        """Ids of the rows whose labels train the model, ascending; read-only."""
        return self._derived()[2]

    @property
    def n_labeled(self) -> int:
        return int(self._derived()[2].size)

    @property
    def n_unlabeled(self) -> int:
        return self._derived()[3]

    @property
    def n_queried(self) -> int:
        """Training labels given since the start (the budget counts these)."""
        return self.n_labeled - int(self.initial_ids.size)

    @property
    def test_ids_pending(self) -> np.ndarray:
        """Test rows still to label, in the order they are shown."""
        return self.test_order[self.labels[self.test_order] == MISSING_LABEL]

    @property
    def budget_left(self) -> int | None:
        if self._budget is None:
            return None
        return max(self._budget - self.n_queried, 0)

    @property
    def phase(self) -> str:
        if self.test_ids_pending.size:
            return TEST
        if self.n_unlabeled == 0 or self.budget_left == 0:
            return DONE
        return LEARN

    @property
    def skipped_ids(self) -> np.ndarray:
        return np.flatnonzero(self.skipped & (self.labels == MISSING_LABEL))
