"""Who is labeled: one label array, the fixed test split, and what derives from them.

``labels`` is the only record of labels (``MISSING_LABEL`` where unknown); the masks
and counts are derived from it and from ``is_test``: patched in place when rows get
their first labels (the step's change), derived again after any other change
(``_version``), so a step over a large pool pays for each mask pass once at most.
Treat the arrays as read-only outside the session's own methods.
"""

from __future__ import annotations

import threading
from typing import NamedTuple

import numpy as np

from al_core.data.datasets import MISSING_LABEL, label_dtype
from al_core.errors import ConfigError
from al_core.learning.blocks import flatnonzero_by_block
from al_core.learning.query import DONE, LEARN, TEST, Phase


class _Derived(NamedTuple):
    blocked_mask: np.ndarray
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
        # The "later" list: a few rows at most, so a set of ids rather than a mask a byte
        # a row (and a pass over the pool at every query).
        self.skipped: set[int] = set()
        self.test_order = np.zeros(0, dtype=np.int64)
        self.initial_ids = np.zeros(0, dtype=np.int64)
        self._budget = budget
        self._version = 0  # bumped on every change to labels
        self._derived_version = -1
        self._derived_cache: _Derived | None = None
        self._derive_lock = threading.Lock()
        self._sorted_test: tuple[np.ndarray, np.ndarray] | None = None

    # ----------------------------------------------------------------- derived state
    def _derived(self) -> _Derived:
        """The one pool-sized mask, ids and counts derived from ``labels``.

        Derived again after a change that ``_give_labels`` did not patch (``_version``),
        so a step over a large pool pays for each pass over it once at most, not once per
        property read. Only the rows that may not be queried are kept as a mask: on a
        pool of millions every other mask is a byte a row held for the server's life
        (``unlabeled_mask`` and ``train_mask`` are made when asked for).
        """
        if self._derived_version != self._version:
            # One thread at a time: the mask is written over in place, and a page that
            # redraws (no project lock) may ask while a label is being applied.
            with self._derive_lock:
                version = self._version
                if self._derived_version != version:
                    self._derived_cache = self._derive()
                    self._derived_version = version
        assert self._derived_cache is not None
        return self._derived_cache

    def _derive(self) -> _Derived:
        blocked = self._blocked_buffer()
        np.not_equal(self.labels, MISSING_LABEL, out=blocked)  # known, for now
        n_known = int(np.count_nonzero(blocked))
        train_ids = flatnonzero_by_block(  # known, not test
            blocked.size, lambda rows: np.greater(blocked[rows], self.is_test[rows])
        )
        np.logical_or(blocked, self.is_test, out=blocked)
        for arr in (blocked, train_ids):
            arr.flags.writeable = False
        return _Derived(
            blocked_mask=blocked,
            train_ids=train_ids,
            n_unlabeled=blocked.size - int(np.count_nonzero(blocked)),
            n_test_pending=self.n_test - (n_known - train_ids.size),
        )

    def _give_labels(self, ids: np.ndarray, labs: np.ndarray) -> None:
        """Record labels of rows that had none, and bring the derived state along.

        A label is the step's common change, and on a pool of millions deriving it all
        again is five passes (a millisecond a million rows): where the derived state is
        current it is patched instead, as ``_derive`` would make it.

        Parameters
        ----------
        ids : ndarray of int64, shape (m,)
            Distinct rows without a label.
        labs : ndarray of int64, shape (m,)
        """
        with self._derive_lock:
            current = self._derived_version == self._version
            self.labels[ids] = labs
            self._version += 1
            cache = self._derived_cache
            if not current or cache is None:
                return
            test = self.is_test[ids]
            train = np.sort(ids[~test])
            blocked = cache.blocked_mask
            blocked.flags.writeable = True
            blocked[train] = True  # test rows were blocked already
            blocked.flags.writeable = False
            at = np.searchsorted(cache.train_ids, train)
            if train.size == 1:  # the step's case: np.insert's checks cost more than its copy
                i = int(at[0])
                train_ids = np.concatenate((cache.train_ids[:i], train, cache.train_ids[i:]))
            else:
                train_ids = np.insert(cache.train_ids, at, train)
            train_ids.flags.writeable = False
            self._derived_cache = _Derived(
                blocked_mask=blocked,
                train_ids=train_ids,
                n_unlabeled=cache.n_unlabeled - int(train.size),
                n_test_pending=cache.n_test_pending - int(np.count_nonzero(test)),
            )
            self._derived_version = self._version

    def _blocked_buffer(self) -> np.ndarray:
        """The previous version's mask to write over (it is stale once labels change)."""
        cache = self._derived_cache
        if cache is not None and cache.blocked_mask.shape == self.labels.shape:
            buffer = cache.blocked_mask
            buffer.flags.writeable = True
            return buffer
        return np.empty(self.labels.shape, dtype=bool)

    @property
    def test_rows_sorted(self) -> np.ndarray:
        """The test rows in ascending order (``test_order`` is the order shown); read-only.

        Kept while the test set is the same (it is fixed at the start; ``test_order`` is
        replaced, never changed in place): writing to millions of rows in shuffled order
        is slow, and no mask of them is as quick to write through.
        """
        if self._sorted_test is None or self._sorted_test[0] is not self.test_order:
            rows = np.sort(self.test_order)
            rows.flags.writeable = False
            self._sorted_test = (self.test_order, rows)
        return self._sorted_test[1]

    @property
    def blocked_mask(self) -> np.ndarray:
        """Rows that may not be queried for training (labeled or in the test set), shape
        (n_samples,); read-only, and written over at the next change of labels."""
        return self._derived().blocked_mask

    @property
    def train_mask(self) -> np.ndarray:
        """Rows whose labels train the model, shape (n_samples,); a new array."""
        mask = np.zeros(self.labels.size, dtype=bool)
        mask[self.train_ids] = True
        return mask

    @property
    def unlabeled_mask(self) -> np.ndarray:
        """Rows that may still be queried for training, shape (n_samples,); a new array."""
        return ~self._derived().blocked_mask

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
        if not _all_in_range(ids, self.labels.size):
            raise ConfigError(f"row ids must be in 0..{self.labels.size - 1}")

    def check_classes(self, labels) -> None:
        """Raise ``ConfigError`` unless every label is a class index."""
        labs = np.asarray(labels, dtype=np.int64).ravel()
        if not _all_in_range(labs, self.n_classes):
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
        """The rows on the "later" list that are still unlabeled, ascending."""
        ids = np.fromiter(sorted(self.skipped), dtype=np.int64, count=len(self.skipped))
        return ids[self.labels[ids] == MISSING_LABEL]


def _all_in_range(values: np.ndarray, stop: int) -> bool:
    """Whether every value lies in ``[0, stop)``."""
    if values.size == 1:  # a step's one label: two reductions cost more than the check
        return 0 <= int(values[0]) < stop
    return values.size == 0 or bool(values.min() >= 0 and values.max() < stop)
