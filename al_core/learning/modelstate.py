"""The model side of a labeling session: fitting, scoring, evaluating, history points.

``ModelState`` keeps the model in step with the labels of a ``LabelState``: it refits
after a change (or, inside ``deferred_fits``, once at the end), evaluates on the test
set, scores the pool for the next query, and records one ``HistoryPoint`` per retrain.
``LabelingSession`` builds on it; the attributes below are set by its constructor.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import NamedTuple

import numpy as np
from sklearn.base import ClassifierMixin

from al_core.data.datasets import MISSING_LABEL, Dataset
from al_core.data.matrix import row_block
from al_core.data.splits import stratified_sample
from al_core.errors import NotEnoughLabelsError
from al_core.learning.config import SessionConfig
from al_core.learning.history import HistoryPoint
from al_core.learning.keytop import KeyTop, KeyTopFinder
from al_core.learning.labelstate import LabelState
from al_core.learning.lookahead import Lookahead, Lookaheads, Step
from al_core.learning.models import fit_labeled, full_proba, predict_fast
from al_core.learning.query import LEARN, TEST, HistoryKind
from al_core.learning.scoring import keys_are_scores, rank_pool, scores_of
from al_core.learning.screening import screen_top
from al_core.learning.stopping import LAG, agreement

SAMPLE_TEST_ABOVE = 20_000
"""A test set larger than this is evaluated on a fixed stratified sample of it."""

TEST_SAMPLE_ROWS = 10_000
"""Rows of that sample: a 95 % interval of about +-0.01 around an accuracy near 0.5, and
less near 1; evaluating 100,000 test rows after every label would cost more than the
rest of the step on a large pool, for a figure no more useful."""


class Queried(NamedTuple):
    """The rows whose labels made a history point, as ``HistoryPoint`` names them."""

    queried_ids: tuple[int, ...]
    scores: tuple[float, ...]
    labels: tuple[int, ...]
    kind: HistoryKind


class ModelState(LabelState):
    """Model, pool scores and learning curve, kept in step with the labels."""

    dataset: Dataset
    config: SessionConfig
    estimator: ClassifierMixin
    history: list[HistoryPoint]
    model: ClassifierMixin | None
    fit_error: str | None
    stop_rows: np.ndarray
    known_point: HistoryPoint | None
    points_made: int
    _rank: np.ndarray | None
    _rank_cut: float
    _rank_top: KeyTop | None
    """The largest key of ``_rank`` and its rows, where known (see ``keytop``)."""
    _last_fit_ms: float
    _last_query_ms: float
    _cold_scores: dict[int, float]
    _shown_scores: tuple[object, str, dict[int, float]]
    """The model and strategy of the last query and the scores it gave its rows (a label
    of a row just shown needs its score again, under the same model)."""
    _X_test: np.ndarray | None
    _evaluated: np.ndarray | None
    _X_stop: np.ndarray | None
    _deferring: bool
    _stale: bool
    _lookaheads: Lookaheads
    _ahead_step: Step | None
    looked_ahead: int

    @property
    def model_version(self) -> int:
        return self.n_labeled if self.model is not None else -1

    @property
    def accuracy(self) -> float | None:
        """Test accuracy of the current model, or None while it cannot be measured."""
        return self.history[-1].accuracy if self.history else None

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
        rows = self.evaluated_rows
        if self._X_test is None:  # the test rows never change: one contiguous copy
            self._X_test = row_block(self.dataset.X, rows)
        if not rows.size:
            return float("nan")
        pred = predict_fast(self.model, self._X_test)
        # A count over the size: np.mean's bool sum gives the same quotient, with more calls.
        return np.count_nonzero(pred == self.labels[rows]) / rows.size

    @property
    def evaluated_rows(self) -> np.ndarray:
        """The test rows accuracy is measured on: all of them, or above
        ``SAMPLE_TEST_ABOVE`` a fixed sample of ``TEST_SAMPLE_ROWS`` stratified by their
        labels (drawn once, when the test set is first fully labeled, from the seed)."""
        if self.n_test <= SAMPLE_TEST_ABOVE:
            return self.test_order
        if self._evaluated is None:
            order = self.test_order
            self._evaluated = stratified_sample(
                order, self.labels[order], TEST_SAMPLE_ROWS, self.config.seed
            )
        return self._evaluated

    @property
    def n_evaluated(self) -> int:
        """How many test rows an accuracy is measured on (see ``evaluated_rows``)."""
        return TEST_SAMPLE_ROWS if self.n_test > SAMPLE_TEST_ABOVE else self.n_test

    def predict_proba(self, row_ids) -> np.ndarray:
        """Class probabilities of rows under the current model, shape (m, n_classes).

        Rows are NaN where no model exists yet.
        """
        ids = np.asarray(row_ids, dtype=np.int64).ravel()
        if self.model is None:
            return np.full((ids.size, self.dataset.n_classes), np.nan)
        return full_proba(self.model, self.dataset.X[ids], self.dataset.n_classes)

    def look_ahead(self, row_id: int) -> Lookahead | None:
        """Prepare the steps each label of ``row_id`` would make (see ``lookahead``).

        Returns the job to ``run`` (in any thread: it reads only what it copied now and
        the pool), or None when nothing is to be computed: no model yet, not learning,
        the row not free to label, one row's rankings over ``LOOKAHEAD_BYTES``, or this
        row's job at these labels already prepared (a page redrawn). The jobs of the
        rows shown last are kept too (``Lookaheads``).
        """
        row_id = int(row_id)
        if self._lookaheads.has(self._version, row_id):
            return None
        job_bytes = self.dataset.n_classes * self.labels.size * 8
        if (
            self.model is None
            or self._deferring
            or self._stale
            or self.phase != LEARN
            or self.is_test[row_id]
            or self.labels[row_id] != MISSING_LABEL
            or not self._lookaheads.can_hold(job_bytes)
        ):
            return None
        proba = self.predict_proba([row_id])[0]
        train = self.train_ids
        job = Lookahead(
            self._version,
            row_id,
            np.argsort(-proba, kind="stable").tolist(),
            self.dataset.X,
            self.estimator,
            self.config.strategy,
            self.config.chunk_rows,
            train,  # not kept: the job keeps a copy with the row inserted
            self.labels[train].astype(np.int64),
            self.test_rows_sorted,
            self._step_seed(self.n_labeled + 1),
            self._screen_top(),
        )
        self._lookaheads.add(job, job_bytes)
        return job

    def lookahead_for(self, row_id: int) -> Lookahead | None:
        """The job prepared for ``row_id``, if it is still kept."""
        return self._lookaheads.get(row_id)

    def stop_looking_ahead(self) -> None:
        """Cancel the steps being computed ahead, and drop those computed."""
        self._lookaheads.cancel()

    def _take_step(self, ids: np.ndarray, labs: np.ndarray) -> None:
        """Before a label is written: keep the step computed ahead for it, if any."""
        self._ahead_step = None
        if ids.size == 1 and not self._deferring:
            self._ahead_step = self._lookaheads.take(self._version, int(ids[0]), int(labs[0]))
        else:
            self._lookaheads.cancel()

    def rescore(self, screen: bool = True) -> None:
        """Score the pool under the current model (after labels given with rescore=False).

        ``screen=False`` scores every row exactly (see ``scoring.rank_pool``)."""
        step, self._ahead_step = self._ahead_step, None
        if (
            screen
            and step is not None
            and step.model is self.model
            and step.version == self._version
            and step.strategy == self.config.strategy
        ):
            self._rank, self._rank_cut, self._rank_top = step.rank, step.rank_cut, step.top
            self._last_query_ms = step.query_ms
            self.looked_ahead += 1
            return
        t0 = time.perf_counter()
        self._rank_top = None
        if self.model is None:
            self._rank = None
        else:
            top = KeyTopFinder()
            # Ascending test rows: writing to millions of rows in shuffled order is slow.
            # Blocked part by part, and the previous ranking overwritten: a pool-sized
            # array per label is what made a server on millions of rows grow.
            self._rank, self._rank_cut = rank_pool(
                self.model,
                self.dataset.X,
                self.config.strategy,
                (self.train_ids, self.test_rows_sorted),
                self.config.chunk_rows,
                self._step_seed(self.n_labeled),
                out=self._rank,
                screen=screen,
                screen_top=self._screen_top(),
                blocked_mask=self.blocked_mask,
                top=top,
            )
            self._rank_top = top.result(self._rank)
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
            self.model, self._rank, self._rank_top = None, None, None
        else:
            self._fit()
        self._stale = False

    def _refresh(
        self, rescore: bool, record: bool, queried: Queried | None = None
    ) -> HistoryPoint | None:
        """Refit and rescore; with ``record``, append a history point (for ``queried``)."""
        if self.phase == TEST:
            self._fit_now()  # no model while the test set is open
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
        self._fit_now()
        if rescore:
            self.rescore()
        if not record:
            return None
        accuracy = self.evaluate() if self.model is not None else None
        predictions = agreed = None
        if self.model is not None and self.stop_rows.size:
            if self._X_stop is None:  # fixed rows: one contiguous copy
                self._X_stop = row_block(self.dataset.X, self.stop_rows)
            predictions = predict_fast(self.model, self._X_stop)
            if len(self.history) >= LAG:
                earlier = self.history[-LAG].stop_predictions
                agreed = (
                    None if earlier is None else agreement(earlier, predictions, self.n_classes)
                )
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
        step = self._ahead_step
        if step is not None and step.version == self._version:
            self.model, self.fit_error, self._last_fit_ms = step.model, None, step.fit_ms
            return
        train = self.train_ids
        y = self.labels[train].astype(np.int64)  # the model's classes_ stay int64
        t0 = time.perf_counter()
        self.model, self.fit_error = fit_labeled(self.estimator, self.dataset.X, train, y)
        self._last_fit_ms = (time.perf_counter() - t0) * 1e3

    def score_of(self, row_id: int) -> float:
        """A row's score under the current model (NaN where none applies)."""
        if self.model is None:
            return self._cold_scores.get(row_id, float("nan"))
        if self._rank is None or not np.isfinite(self._rank[row_id]):
            return float("nan")
        model, strategy, shown = self._shown_scores
        if model is self.model and strategy == self.config.strategy and row_id in shown:
            return shown[row_id]
        if self._rank[row_id] >= self._rank_cut and keys_are_scores(self.model):
            return float(self._rank[row_id])
        return float(self._scores_of([row_id])[0])

    def _scores_of(self, ids) -> np.ndarray:
        return scores_of(self.model, self.dataset.X, ids, self.config.strategy)

    def _screen_top(self) -> int:
        # The skipped rows are held out of every query, so the screen keys more rows.
        return screen_top(self.config.batch_size, len(self.skipped))

    def _step_seed(self, n_labeled: int) -> list[int]:
        # Seeded by the state, so a replayed session breaks ties the same way.
        seed = self.config.seed if self.config.query_seed is None else self.config.query_seed
        return [seed, n_labeled, self.n_test_labeled]
