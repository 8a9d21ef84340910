"""The labeling session: one pool, one label array, one model, one learning curve.

``LabelingSession`` runs pool-based active learning one label (or one batch) at a time
for a person or a simulated oracle: ask ``query()``, give ``label()``, and the model is
refit, the test set evaluated and the pool rescored before the call returns.

``labels`` is the only record of who is labeled (see ``labelstate``); every mask is
derived from it and from the fixed ``is_test`` split.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Literal, NamedTuple

import numpy as np
from sklearn.base import ClassifierMixin

from al_core.data.datasets import MISSING_LABEL, Dataset
from al_core.data.splits import random_test_rows, reference_split
from al_core.errors import (
    AlreadyLabeledError,
    ConfigError,
    ModelFitError,
    NotEnoughLabelsError,
    NothingToUndoError,
    PoolExhaustedError,
)
from al_core.learning.coldstart import diverse_rows
from al_core.learning.config import SessionConfig
from al_core.learning.history import HistoryPoint
from al_core.learning.labelstate import LabelState
from al_core.learning.models import fit_model, full_proba, make_model
from al_core.learning.query import TEST, HistoryKind, Query, QueryKind
from al_core.learning.scoring import rank_pool, scores_of
from al_core.learning.stopping import LAG, agreement, stop_set_rows
from al_core.learning.strategies import select_top_k


@dataclass
class _Action:
    op: Literal["label", "skip"]
    ids: tuple[int, ...]


class _Queried(NamedTuple):
    """The rows whose labels made a history point, as ``HistoryPoint`` names them."""

    queried_ids: tuple[int, ...]
    scores: tuple[float, ...]
    labels: tuple[int, ...]
    kind: HistoryKind


class LabelingSession(LabelState):
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
        self._rank_exact = False
        self._last_fit_ms = 0.0
        self._last_query_ms = 0.0
        self._cold_scores: dict[int, float] = {}
        self._X_test: np.ndarray | None = None
        self._deferring = False
        self._stale = False
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

    @property
    def model_version(self) -> int:
        return self.n_labeled if self.model is not None else -1

    def kind_of(self, row_id: int) -> QueryKind:
        """Why a row would be shown now: test set, cold start or the strategy."""
        if self.is_test[row_id]:
            return "test"
        return "cold_start" if self.model is None else "strategy"

    @property
    def accuracy(self) -> float | None:
        """Test accuracy of the current model, or None while it cannot be measured."""
        return self.history[-1].accuracy if self.history else None

    # ------------------------------------------------------------------- operations
    def query(self, k: int | None = None, exclude=()) -> Query:
        """The next k rows to label, skipping ``exclude`` (e.g. rows leased to others).

        Raises
        ------
        PoolExhaustedError
            If fewer than k rows are left to offer.
        """
        k = self.config.batch_size if k is None else int(k)
        held = np.union1d(np.asarray(list(exclude), dtype=np.int64), np.flatnonzero(self.skipped))
        if self.phase == TEST:
            ids = self.test_ids_pending
            ids = ids[~np.isin(ids, held)][:k]
            if ids.size < k:
                raise PoolExhaustedError(f"asked for {k} test rows, {ids.size} are free")
            return Query(ids, np.full(ids.size, np.nan), "test", self.config.strategy, -1)
        held = held[self.unlabeled_mask[held]]
        free = self.n_unlabeled - held.size
        if free < k:
            skipped = int(np.count_nonzero(self.skipped & self.unlabeled_mask))
            raise PoolExhaustedError(
                f"asked for {k} rows but {free} are free to query ({skipped} are skipped)"
            )
        rng = self._step_rng()
        if self.model is None:
            candidates = np.setdiff1d(np.flatnonzero(self.unlabeled_mask), held)
            center, scale = self._standardization()
            ids, scores = diverse_rows(
                self.dataset.X, candidates, self.train_ids, k, center, scale, rng
            )
            self._cold_scores = dict(zip(ids.tolist(), scores.tolist(), strict=True))
            return Query(ids, scores, "cold_start", self.config.strategy, -1)
        rank = self._rank
        assert rank is not None  # a model exists, so the pool was scored
        saved = rank[held]
        rank[held] = -np.inf  # held rows out of this query only
        try:
            ids = select_top_k(rank, k, rng)
        finally:
            rank[held] = saved
        scores = rank[ids] if self._rank_exact else self._scores_of(ids)
        return Query(ids, scores, "strategy", self.config.strategy, self.model_version)

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
        if ids.size == 0 or ids.size != labs.size or np.unique(ids).size != ids.size:
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
        self.labels[ids] = labs
        self._version += 1
        self.skipped[ids] = False
        self._actions.append(_Action("label", tuple(ids.tolist())))
        if is_test.all():
            if was_test_phase and self.phase != TEST:
                return self._refresh(rescore, record=True)
            return None
        queried = _Queried(tuple(ids.tolist()), tuple(scores), tuple(labs.tolist()), kind)
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

    def skip(self, row_id: int) -> None:
        """Put a row on the "later" list: it is not offered again until revisited."""
        row_id = int(row_id)
        if self.labels[row_id] != MISSING_LABEL:
            raise AlreadyLabeledError(f"row {row_id} is already labeled")
        self.skipped[row_id] = True
        self._actions.append(_Action("skip", (row_id,)))

    def revisit(self, row_id: int | None = None) -> None:
        """Take one row (or, with None, every row) off the "later" list."""
        if row_id is None:
            self.skipped[:] = False
        else:
            self.skipped[int(row_id)] = False

    def undo(self) -> tuple[str, tuple[int, ...]]:
        """Take back the last label or skip; returns what was undone."""
        if not self._actions:
            raise NothingToUndoError("there is nothing to undo")
        action = self._actions.pop()
        if action.op == "skip":
            self.skipped[action.ids[0]] = False
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

    def evaluate(self) -> float:
        """Accuracy of the current model on the held-out test set.

        Raises
        ------
        NotEnoughLabelsError
            If no model could be fitted yet or the test set is not fully labeled.
        """
        if self.phase == TEST:
            raise NotEnoughLabelsError(
                f"{self.n_test - self.n_test_labeled} test rows still need a label"
            )
        if self.model is None:
            raise NotEnoughLabelsError("a model needs labels of at least two classes")
        if self._X_test is None:  # the test rows never change: one contiguous copy
            self._X_test = np.ascontiguousarray(self.dataset.X[self.test_order])
        pred = self.model.predict(self._X_test)
        return float(np.mean(pred == self._derived().test_labels))

    def predict_proba(self, row_ids) -> np.ndarray:
        """Class probabilities of rows under the current model, shape (m, n_classes).

        Rows are NaN where no model exists yet.
        """
        ids = np.asarray(row_ids, dtype=np.int64).ravel()
        if self.model is None:
            return np.full((ids.size, self.dataset.n_classes), np.nan)
        return full_proba(self.model, self.dataset.X[ids], self.dataset.n_classes)

    def rescore(self) -> None:
        """Score the pool under the current model (after labels given with rescore=False)."""
        t0 = time.perf_counter()
        if self.model is None:
            self._rank = None
        else:
            blocked = np.concatenate([self.train_ids, self.test_order])
            self._rank, self._rank_exact = rank_pool(
                self.model,
                self.dataset.X,
                self.config.strategy,
                blocked,
                self.config.chunk_rows,
                self._step_rng(),
            )
        self._last_query_ms = (time.perf_counter() - t0) * 1e3

    # ---------------------------------------------------------------------- internals
    @contextlib.contextmanager
    def deferred_fits(self) -> Iterator[None]:
        """Apply many labels with as few refits as possible (replaying a saved log).

        Inside, a label whose history point is already known (``known_point``, saved by
        whoever applied it live) appends that point instead of refitting, and an undo
        refits nothing; on leaving, the model is fitted once to the labels now given (the
        caller scores the pool). A point that is not known is computed as it was live.
        """
        self._deferring = True
        try:
            yield
        finally:
            self._deferring = False
            self.known_point = None
        if self._stale:
            self._fit_now()

    def _fit_now(self) -> None:
        """Fit the model to the labels given so far (none while the test set is open)."""
        if self.phase == TEST:
            self.model, self._rank = None, None
        else:
            self._fit()
        self._stale = False

    def _refresh(
        self, rescore: bool, record: bool, queried: _Queried | None = None
    ) -> HistoryPoint | None:
        """Refit and rescore; with ``record``, append a history point (for ``queried``)."""
        if self.phase == TEST:
            self.model, self._rank = None, None
            self._stale = False
            return None
        if self._deferring and not record:
            self._stale = True  # the model no longer matches the labels: fit on leaving
            return None
        known, self.known_point = (self.known_point if record else None), None
        if self._deferring and known is not None:
            self._stale = True
            self.history.append(known)
            self.points_made += 1
            return known
        self._fit()
        self._stale = False
        if rescore:
            self.rescore()
        if not record:
            return None
        accuracy = self.evaluate() if self.model is not None else None
        predictions = agreed = None
        if self.model is not None and self.stop_rows.size:
            predictions = self.model.predict(self.dataset.X[self.stop_rows])
            if len(self.history) >= LAG:
                earlier = self.history[-LAG].stop_predictions
                agreed = None if earlier is None else agreement(earlier, predictions)
        made = HistoryPoint(
            n_labeled=self.n_labeled,
            accuracy=accuracy,
            strategy=self.config.strategy,
            fit_ms=self._last_fit_ms,
            query_ms=self._last_query_ms if rescore else 0.0,
            note=self.fit_error or "",
            agreement=agreed,
            stop_predictions=predictions,
            **(queried._asdict() if queried else {}),
        )
        self.history.append(made)
        self.points_made += 1
        return made

    def _fit(self) -> None:
        train = self.train_ids
        y = self.labels[train]
        self.fit_error = None
        t0 = time.perf_counter()
        if np.unique(y).size < 2:
            self.model = None
        else:
            try:
                self.model = fit_model(self.estimator, self.dataset.X[train], y)
            except ModelFitError as exc:
                self.model, self.fit_error = None, str(exc)
        self._last_fit_ms = (time.perf_counter() - t0) * 1e3

    def score_of(self, row_id: int) -> float:
        """A row's score under the current model (NaN where none applies)."""
        if self.model is None:
            return self._cold_scores.get(row_id, float("nan"))
        if self._rank is None or not np.isfinite(self._rank[row_id]):
            return float("nan")
        if self._rank_exact:
            return float(self._rank[row_id])
        return float(self._scores_of([row_id])[0])

    def _scores_of(self, ids) -> np.ndarray:
        return scores_of(self.model, self.dataset.X, ids, self.config.strategy)

    def _step_rng(self) -> np.random.Generator:
        # Seeded by the state, so a replayed session breaks ties the same way.
        seed = self.config.seed if self.config.query_seed is None else self.config.query_seed
        return np.random.default_rng([seed, self.n_labeled, self.n_test_labeled])

    def _standardization(self) -> tuple[np.ndarray, np.ndarray]:
        if self._center is None or self._scale is None:
            X = self.dataset.X
            self._center = X.mean(axis=0)
            std = X.std(axis=0)
            self._scale = np.where(std > 0, std, 1.0)
        return self._center, self._scale
