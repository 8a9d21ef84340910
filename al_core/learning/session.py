"""The labeling session: one pool, one label array, one model, one learning curve.

``LabelingSession`` runs pool-based active learning one label (or one batch) at a time
for a person or a simulated oracle: ask ``query()``, give ``label()``, and the model is
refit, the test set evaluated and the pool rescored before the call returns.

``labels`` is the only record of who is labeled (see ``labelstate``); every mask is
derived from it and from the fixed ``is_test`` split.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
from sklearn.base import ClassifierMixin

from al_core.data.datasets import MISSING_LABEL, Dataset
from al_core.data.matrix import is_sparse
from al_core.data.splits import random_test_rows, reference_split
from al_core.errors import (
    AlreadyLabeledError,
    ConfigError,
    NothingToUndoError,
    PoolExhaustedError,
)
from al_core.learning.coldstart import diverse_rows
from al_core.learning.config import SessionConfig
from al_core.learning.history import HistoryPoint
from al_core.learning.keytop import pick_top
from al_core.learning.lookahead import Lookaheads
from al_core.learning.models import check_model_for, make_model
from al_core.learning.modelstate import ModelState, Queried
from al_core.learning.query import TEST, HistoryKind, Query, QueryKind
from al_core.learning.scoring import keys_are_scores
from al_core.learning.stopping import stop_set_rows
from al_core.learning.strategies import as_generator, select_top_k


@dataclass
class _Action:
    op: Literal["label", "skip"]
    ids: tuple[int, ...]


class LabelingSession(ModelState):
    """Pool-based active learning over one dataset.

    Parameters
    ----------
    dataset : Dataset
    config : SessionConfig
    estimator : classifier with predict_proba, optional
        Overrides ``config.model``; it is cloned before every fit, never mutated.

    Notes
    -----
    A fully labeled dataset gets the tutorial's split (stratified test set, stratified
    initial labeled set, both labeled from ground truth). Otherwise ``n_test_to_label``
    uniformly random rows form a test set that a person labels first (phase ``"test"``),
    and rows with a known label start the training set.
    """

    def __init__(
        self,
        dataset: Dataset,
        config: SessionConfig | None = None,
        estimator: ClassifierMixin | None = None,
    ) -> None:
        self.dataset = dataset
        self.config = config or SessionConfig()
        if estimator is None:
            check_model_for(self.config.model, is_sparse(dataset.X))
        self.estimator = (
            estimator if estimator is not None else make_model(self.config.model, self.config.seed)
        )
        n = dataset.n_samples
        super().__init__(n, dataset.n_classes, self.config.budget)
        self.history: list[HistoryPoint] = []
        self.model: ClassifierMixin | None = None
        self.fit_error: str | None = None
        self._actions: list[_Action] = []
        self._rank: np.ndarray | None = None  # see scoring.rank_pool
        self._rank_cut = np.inf  # see scoring.rank_pool
        self._rank_top = None  # see keytop
        self._last_fit_ms = 0.0
        self._last_query_ms = 0.0
        self._cold_scores: dict[int, float] = {}
        self._shown_scores: tuple[object, str, dict[int, float]] = (None, "", {})
        self._X_test: np.ndarray | None = None
        self._evaluated: np.ndarray | None = None
        self._X_stop: np.ndarray | None = None
        self._deferring = False
        self._stale = False
        self._lookaheads = Lookaheads()
        self._ahead_step = None
        self.looked_ahead = 0
        """Labels whose refit and ranking were taken from a step computed ahead."""
        self.points_made = 0
        """History points made so far (a point is new when this count moves)."""
        self.known_point: HistoryPoint | None = None
        """The point the next label makes, when a saved log knows it (see deferred_fits)."""

        if dataset.fully_labeled and dataset.y is not None:
            split = reference_split(
                dataset.y, self.config.test_size, self.config.initial_fraction, self.config.seed
            )
            self.test_order = split.test_ids
            self.initial_ids = np.sort(split.initial_ids)
            self.labels[split.test_ids] = dataset.y[split.test_ids]
            self.labels[split.initial_ids] = dataset.y[split.initial_ids]
        else:
            n_test = min(self.config.n_test_to_label, n - 1)
            self.test_order = random_test_rows(n, n_test, self.config.seed)
            known = np.zeros(n, dtype=bool)
            if dataset.y is not None:
                known = dataset.y != MISSING_LABEL
                self.labels[known] = dataset.y[known]
            test_mask = np.zeros(n, dtype=bool)
            test_mask[self.test_order] = True
            self.initial_ids = np.flatnonzero(known & ~test_mask)
        self.is_test[self.test_order] = True
        self.stop_rows = stop_set_rows(np.flatnonzero(~self.is_test), self.config.seed)
        self._center: np.ndarray | None = None
        self._scale: np.ndarray | None = None
        self._refresh(rescore=True, record=True)

    def kind_of(self, row_id: int) -> QueryKind:
        """Why a row would be shown now: test set, cold start or the strategy."""
        if self.is_test[row_id]:
            return "test"
        return "cold_start" if self.model is None else "strategy"

    # ------------------------------------------------------------------- operations
    def query(self, k: int | None = None, exclude=()) -> Query:
        """The next k rows to label, skipping ``exclude`` (e.g. rows leased to others).

        Raises
        ------
        PoolExhaustedError
            If fewer than k rows are left to offer.
        """
        k = self.config.batch_size if k is None else int(k)
        held = np.asarray(list(exclude), dtype=np.int64)
        if held.size or self.skipped:
            held = np.union1d(held, self.skipped_ids)
        if self.phase == TEST:
            ids = self.test_ids_pending
            ids = ids[~np.isin(ids, held)][:k]
            if ids.size < k:
                raise PoolExhaustedError(f"asked for {k} test rows, {ids.size} are free")
            return Query(ids, np.full(ids.size, np.nan), "test", self.config.strategy, -1)
        if held.size:
            held = held[~self.blocked_mask[held]]
        free = self.n_unlabeled - held.size
        if free < k:
            skipped = int(np.count_nonzero(~self.blocked_mask[self.skipped_ids]))
            raise PoolExhaustedError(
                f"asked for {k} rows but {free} are free to query ({skipped} are skipped)"
            )
        seed = self._step_seed(self.n_labeled)  # a generator is made only where drawn from
        if self.model is None:
            candidates = np.setdiff1d(np.flatnonzero(self.unlabeled_mask), held)
            center, scale = self._standardization()
            ids, scores = diverse_rows(
                self.dataset.X, candidates, self.train_ids, k, center, scale, as_generator(seed)
            )
            self._cold_scores = dict(zip(ids.tolist(), scores.tolist(), strict=True))
            return Query(ids, scores, "cold_start", self.config.strategy, -1)
        ids = self._select(k, held, seed)
        assert self._rank is not None  # a model exists, so the pool was scored
        if self._rank[ids[-1]] < self._rank_cut < np.inf:
            # The choice reached below the screen's cut: score exactly and choose again,
            # with the same seed as if the pool had been scored so from the start.
            self.rescore(screen=False)
            ids = self._select(k, held, seed)
        rank = self._rank
        exact = rank[ids[-1]] >= self._rank_cut and keys_are_scores(self.model)
        scores = rank[ids] if exact else self._scores_of(ids)
        shown = dict(zip(ids.tolist(), scores.tolist(), strict=True))
        self._shown_scores = (self.model, self.config.strategy, shown)
        return Query(ids, scores, "strategy", self.config.strategy, self.model_version)

    def _select(self, k: int, held: np.ndarray, seed: list[int]) -> np.ndarray:
        """The k best-ranked rows, ``held`` rows left out."""
        rank = self._rank
        assert rank is not None  # a model exists, so the pool was scored
        if k == 1 and self._rank_top is not None:
            # The rows holding the largest key are known from scoring: the same row
            # as select_top_k's passes over the whole ranking would give.
            picked = pick_top(self._rank_top, held, seed)
            if picked is not None:
                return picked
        saved = rank[held]
        rank[held] = -np.inf  # held rows out of this query only
        try:
            return select_top_k(rank, k, seed)
        finally:
            rank[held] = saved

    def label(
        self, row_id: int, label: int, rescore: bool = True, score: float | None = None
    ) -> HistoryPoint | None:
        """Record one label, then refit, evaluate and rescore.

        Returns the new history point, or None for a test-set label that did not
        complete the test set.
        """
        return self.label_many(
            [row_id], [label], rescore=rescore, scores=None if score is None else [score]
        )

    def label_many(self, row_ids, labels, rescore: bool = True, scores=None) -> HistoryPoint | None:
        """Record several labels at once with a single refit (batch mode).

        Parameters
        ----------
        row_ids : sequence of int, length m
        labels : sequence of int, length m
            Class indices into ``dataset.class_names``.
        rescore : bool
            False defers scoring the pool (used while replaying a saved project).
        scores : sequence of float, optional
            The rows' scores when they were shown (a saved project knows them);
            default: their scores under the current model.

        Raises
        ------
        ConfigError
            For an unknown row id or class index, or mismatched lengths.
        AlreadyLabeledError
            If a row already has a label (use ``unlabel`` first to change it).
        """
        ids = np.asarray(row_ids, dtype=np.int64).ravel()
        labs = np.asarray(labels, dtype=np.int64).ravel()
        if (
            ids.size == 0
            or ids.size != labs.size
            or (ids.size > 1 and np.unique(ids).size != ids.size)
        ):
            raise ConfigError("give one label per row, for distinct rows")
        self.check_rows(ids)
        self.check_classes(labs)
        done = ids[self.labels[ids] != MISSING_LABEL]
        if done.size:
            raise AlreadyLabeledError(f"row {int(done[0])} is already labeled")
        is_test = self.is_test[ids]
        if is_test.any() and not is_test.all():
            raise ConfigError("a batch must not mix test-set rows and training rows")
        was_test_phase = self.phase == TEST
        if scores is None:
            scores = [self.score_of(i) for i in ids.tolist()]
        scores = [float(x) for x in scores]
        if self._stale and self.known_point is None:  # the model this label was given under
            self._fit_now()
        kind: HistoryKind = "cold_start" if self.model is None else "strategy"
        self._take_step(ids, labs)
        self._give_labels(ids, labs)
        self.skipped.difference_update(ids.tolist())
        self._actions.append(_Action("label", tuple(ids.tolist())))
        if is_test.all():
            if was_test_phase and self.phase != TEST:
                return self._refresh(rescore, record=True)
            return None
        queried = Queried(tuple(ids.tolist()), tuple(scores), tuple(labs.tolist()), kind)
        return self._refresh(rescore, record=True, queried=queried)

    def unlabel(self, row_id: int, rescore: bool = True) -> None:
        """Remove a row's label (the inverse of ``label``), refitting the model."""
        row_id = int(row_id)
        if self.labels[row_id] == MISSING_LABEL:
            raise NothingToUndoError(f"row {row_id} has no label")
        test_was_complete = self.phase != TEST
        self.labels[row_id] = MISSING_LABEL
        self._version += 1
        if self.is_test[row_id]:
            if test_was_complete:
                self.history.clear()
                self.model = None
            return
        self.history = [p for p in self.history if row_id not in p.queried_ids]
        self._refresh(rescore, record=False)

    def relabel(
        self, row_id: int, label: int, rescore: bool = True, take_back: bool = False
    ) -> HistoryPoint | None:
        """Change the label of a labeled row (a reviewer's decision), then refit.

        The count of labels does not move, so the budget is untouched. The change makes a
        learning-curve point of kind ``adjudicate`` at the same count (a corrected test
        label moves the accuracy itself); ``take_back=True`` (undoing a decision) drops
        the latest such point of the row instead, as undoing a label drops its point.
        Returns the point made, if any.

        Raises
        ------
        ConfigError
            For an unknown row or class.
        NothingToUndoError
            If the row has no label to change.
        """
        row_id, label = int(row_id), int(label)
        self.check_rows(row_id)
        self.check_classes(label)
        old = int(self.labels[row_id])
        if old == MISSING_LABEL:
            raise NothingToUndoError(f"row {row_id} has no label to change")
        if old == label:
            return None
        self.labels[row_id] = label
        self._version += 1
        if take_back:
            for i in range(len(self.history) - 1, -1, -1):
                point = self.history[i]
                if point.kind == "adjudicate" and row_id in point.queried_ids:
                    del self.history[i]
                    break
            self._refresh(rescore, record=False)
            return None
        queried = Queried((row_id,), (float("nan"),), (label,), "adjudicate")
        return self._refresh(rescore, record=True, queried=queried)

    def skip(self, row_id: int) -> None:
        """Put a row on the "later" list: it is not offered again until revisited."""
        row_id = int(row_id)
        if self.labels[row_id] != MISSING_LABEL:
            raise AlreadyLabeledError(f"row {row_id} is already labeled")
        self.skipped.add(row_id)
        self._actions.append(_Action("skip", (row_id,)))

    def revisit(self, row_id: int | None = None) -> None:
        """Take one row (or, with None, every row) off the "later" list."""
        if row_id is None:
            self.skipped.clear()
        else:
            self.skipped.discard(int(row_id))

    def undo(self) -> tuple[str, tuple[int, ...]]:
        """Take back the last label or skip; returns what was undone."""
        if not self._actions:
            raise NothingToUndoError("there is nothing to undo")
        action = self._actions.pop()
        if action.op == "skip":
            self.skipped.discard(action.ids[0])
        else:
            for i, row in enumerate(action.ids):
                self.unlabel(row, rescore=i == len(action.ids) - 1)
        return action.op, action.ids

    def set_budget(self, budget: int) -> None:
        """Change the label budget (counted like ``config.budget``) without starting over.

        Raises
        ------
        ConfigError
            If ``budget`` is not a whole number, or is below the labels given already.
        """
        self.check_budget(budget)
        self._budget = int(budget)
        self.config = replace(self.config, budget=int(budget))

    def _standardization(self) -> tuple[np.ndarray | None, np.ndarray | None]:
        if is_sparse(self.dataset.X):
            return None, None  # measured as encoded (see ``coldstart``)
        if self._center is None or self._scale is None:
            X = self.dataset.X
            self._center = X.mean(axis=0)
            std = X.std(axis=0)
            self._scale = np.where(std > 0, std, 1.0)
        return self._center, self._scale
