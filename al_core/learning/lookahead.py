"""The next step computed ahead: the model and ranking each label of the shown row would give.

While a person reads a sample the server has nothing to do, and once the key is pressed
the refit and the rescoring of the pool are most of what stands between the press and
the next sample. A ``Lookahead`` is prepared from the session when a row is shown: the
training rows, their labels, the test rows and the seed of the next query's ties,
copied then. ``run`` (in a thread of the caller's choosing, without the session's lock)
refits and ranks the pool once per class the row could get, the likeliest first. When
the label arrives and nothing else changed in between, the session takes the finished
step (``LabelingSession.label_many``) instead of computing it again.

The functions and their inputs are the ones the label itself would use (``fit_labeled``
on the ascending training rows, ``rank_pool`` with the same blocked rows and seed), so
the model, the ranking and every query after it are the same bit for bit; a label that
finds no finished step for its class is computed as before.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import numpy as np
from sklearn.base import ClassifierMixin

from al_core.learning.keytop import KeyTop, KeyTopFinder
from al_core.learning.models import fit_labeled
from al_core.learning.scoring import rank_pool

LOOKAHEAD_BYTES = 64 * 2**20
"""Most bytes the rankings computed ahead may take together (float64 keys counted): one
row of 8 classes at 1,000,000 rows, or 4 rows of 2 classes; 2 classes at 4,000,000.
Above it nothing is computed ahead, so a pool of tens of millions of rows keeps its
memory."""

LOOKAHEAD_JOBS = 4
"""Rows computed ahead at once: those shown last, one per annotator's screen. Any label
makes them all stale (the steps are for the labels as they were), so more would only
cost more work."""


@dataclass(frozen=True)
class Step:
    """What one label makes: the refitted model and the pool's ranking under it."""

    version: int
    """The session's label version once that label is given (see ``LabelState``)."""
    strategy: str
    model: ClassifierMixin
    fit_ms: float
    rank: np.ndarray
    rank_cut: float
    """See ``scoring.rank_pool``."""
    query_ms: float
    top: KeyTop | None
    """The largest key of ``rank`` and its rows (see ``keytop``)."""


class Lookahead:
    """The steps each class of one row would make, computed by ``run``.

    Parameters
    ----------
    version : int
        The session's label version when prepared; a step is for ``version + 1``.
    row : int
        The row shown.
    classes : sequence of int
        Class indices in the order to compute them (the likeliest first).
    X : ndarray or sparse matrix of shape (n_samples, n_features)
    estimator : classifier
        Cloned before every fit, as the session does.
    strategy : str
    chunk_rows : int
    train_ids : ndarray of int, shape (n_labeled,)
        The training rows now, ascending.
    y_train : ndarray of int64, shape (n_labeled,)
        Their labels.
    test_rows : ndarray of int
        The test rows, ascending.
    seed : list of int
        The seed of the next query's random choices (``ModelState._step_seed``).
    screen_top : int, optional
        See ``scoring.rank_pool``.
    """

    def __init__(
        self,
        version: int,
        row: int,
        classes: list[int],
        X,
        estimator: ClassifierMixin,
        strategy: str,
        chunk_rows: int,
        train_ids: np.ndarray,
        y_train: np.ndarray,
        test_rows: np.ndarray,
        seed: list[int],
        screen_top: int | None = None,
    ) -> None:
        self.version, self.row, self.classes = version, int(row), list(classes)
        self._X, self._estimator, self._strategy = X, estimator, strategy
        self._chunk_rows, self._seed, self._screen_top = chunk_rows, seed, screen_top
        at = int(np.searchsorted(train_ids, self.row))
        self._train = np.insert(train_ids, at, self.row)
        self._y_train, self._at = y_train, at
        self._test_rows = test_rows
        self._steps: dict[int, Step] = {}
        self._lock = threading.Lock()
        self._cancelled = threading.Event()
        self.finished = threading.Event()
        """Set when ``run`` returns, all classes computed or not."""

    def run(self, delay: float = 0.0) -> None:
        """Compute the step of each class in turn, until done or cancelled.

        ``delay`` seconds are waited first (a page still being drawn is not slowed).
        A class whose fit fails is left out; its label then fails the usual way.
        """
        try:
            if delay > 0 and self._cancelled.wait(delay):
                return
            for label in self.classes:
                if self._cancelled.is_set():
                    return
                step = self._compute(label)
                if step is not None:
                    with self._lock:
                        self._steps[label] = step
        finally:
            self.finished.set()

    def _compute(self, label: int) -> Step | None:
        y = np.insert(self._y_train, self._at, label)
        t0 = time.perf_counter()
        model, _ = fit_labeled(self._estimator, self._X, self._train, y)
        if model is None:
            return None
        t1 = time.perf_counter()
        top = KeyTopFinder()
        rank, cut = rank_pool(
            model,
            self._X,
            self._strategy,
            (self._train, self._test_rows),
            self._chunk_rows,
            self._seed,
            screen=True,
            screen_top=self._screen_top,
            top=top,
        )
        t2 = time.perf_counter()
        return Step(
            self.version + 1,
            self._strategy,
            model,
            (t1 - t0) * 1e3,
            rank,
            cut,
            (t2 - t1) * 1e3,
            top.result(rank),
        )

    def take(self, version: int, row: int, label: int) -> Step | None:
        """The finished step of ``label`` on ``row``, if prepared at ``version``."""
        if version != self.version or int(row) != self.row:
            return None
        with self._lock:
            return self._steps.get(int(label))

    def cancel(self) -> None:
        """Stop after the class being computed; nothing more is computed."""
        self._cancelled.set()

    @property
    def n_ready(self) -> int:
        """Classes whose step is finished."""
        with self._lock:
            return len(self._steps)


class Lookaheads:
    """The jobs of the rows shown last, all at the session's current label version.

    Used under the session's lock (its owner's); each job's thread touches only its job.
    """

    def __init__(self) -> None:
        self._jobs: dict[int, Lookahead] = {}

    def get(self, row: int) -> Lookahead | None:
        return self._jobs.get(int(row))

    def has(self, version: int, row: int) -> bool:
        """Whether ``row`` has a job at ``version``; jobs at other versions are dropped."""
        for r, job in list(self._jobs.items()):
            if job.version != version:
                job.cancel()
                del self._jobs[r]
        return int(row) in self._jobs

    @staticmethod
    def can_hold(job_bytes: int) -> bool:
        """Whether one job's rankings fit in ``LOOKAHEAD_BYTES`` at all."""
        return job_bytes <= LOOKAHEAD_BYTES

    def add(self, job: Lookahead, job_bytes: int) -> None:
        """Keep ``job``; the oldest are cancelled while over ``LOOKAHEAD_JOBS`` jobs or
        ``LOOKAHEAD_BYTES`` of rankings (``job_bytes`` each)."""
        while self._jobs and (
            len(self._jobs) >= LOOKAHEAD_JOBS or (len(self._jobs) + 1) * job_bytes > LOOKAHEAD_BYTES
        ):
            self._jobs.pop(next(iter(self._jobs))).cancel()
        self._jobs[job.row] = job

    def take(self, version: int, row: int, label: int) -> Step | None:
        """The finished step of ``label`` on ``row``, if any; every job ends here (the
        label makes them all stale)."""
        job = self._jobs.get(int(row))
        self.cancel()
        return None if job is None else job.take(version, row, label)

    def cancel(self) -> None:
        for job in self._jobs.values():
            job.cancel()
        self._jobs.clear()
