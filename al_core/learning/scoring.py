"""Scoring a pool for the next query: one ranking key per row, chunk by chunk.

The pool is read once per retrain, in chunks of ``chunk_rows`` so that temporaries
stay small whatever its size. For a two-class plain logistic regression the key is
``-|decision|``: least confidence, margin and entropy are all decreasing functions of
``|decision|`` there, so it ranks rows exactly as they do, at the cost of one
matrix-vector product; the strategy's own score is then computed for the few rows
shown. A plain logistic regression of more classes is scored class by class
(``classmajor``), bit for bit as from its probabilities, and a large float64 pool of
them may be screened (``screening``) so that only rows that can be queried get their
exact scores; every other model goes through ``predict_proba`` and the strategy's
scorer.

What the keys are is told by a cut: rows keyed at or above it hold their exact scores,
and every row whose score reaches it is keyed so (``-inf``: every key is the score;
``inf``: no key is, but the keys rank every row exactly as the scores do).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.base import ClassifierMixin

from al_core.data.matrix import row_slice
from al_core.learning.binaryscreen import screened_binary_rank
from al_core.learning.classmajor import can_score, score_block
from al_core.learning.keytop import KeyTopFinder
from al_core.learning.models import is_plain_logistic, predict_proba_fast
from al_core.learning.screening import screened_rank
from al_core.learning.screenpool import screen_pool
from al_core.learning.strategies import SCORERS, RandomState, as_generator


def _binary_linear(model: ClassifierMixin) -> bool:
    return is_plain_logistic(model) and model.coef_.shape[0] == 1


def keys_are_scores(model: ClassifierMixin | None) -> bool:
    """Whether ``rank_pool``'s keys at or above its cut are the strategy's scores (not
    so for a two-class plain logistic regression, keyed ``-|decision|``)."""
    return model is not None and not _binary_linear(model)


def rank_pool(
    model: ClassifierMixin,
    X: np.ndarray,
    strategy: str,
    blocked: Sequence[np.ndarray],
    chunk_rows: int,
    random_state: RandomState,
    out: np.ndarray | None = None,
    screen: bool = False,
    screen_top: int | None = None,
    blocked_mask: np.ndarray | None = None,
    top: KeyTopFinder | None = None,
) -> tuple[np.ndarray, float]:
    """A ranking key for every row: higher means ask sooner.

    Parameters
    ----------
    model : fitted classifier
    X : ndarray of shape (n_samples, n_features)
    strategy : str
        A registered strategy name.
    blocked : sequence of ndarray of int
        Rows that may never be queried (labeled, test set), part by part; their key is
        ``-inf``.
    chunk_rows : int
    random_state : int, sequence of int or Generator
        Draws the keys of the ``random`` strategy (a generator is made only for it).
    out : ndarray of shape (n_samples,), optional
        The previous ranking, written over and returned when its shape and dtype fit
        (on a pool of millions a fresh array each label costs a page fault per 4 KB,
        and the allocator's heap grows with the freed ones); otherwise a new array.
    screen : bool
        Allow the screen of ``screening`` or ``binaryscreen`` where it applies (a query
        that reaches below its cut must then score the pool again without it).
    screen_top : int, optional
        Rows not blocked that the screen keys with their exact scores (``screen_top``
        of ``screening``: a query's rows and those it holds out, and some room);
        default ``screening.SCREEN_TOP``.
    blocked_mask : ndarray of shape (n_samples,), bool, optional
        The rows of ``blocked`` as a mask, where the caller keeps one: a screen reads
        it instead of making one (a scatter of the test rows, a third of the pool).
    top : KeyTopFinder, optional
        Takes in the keys part by part as they are written (``top.result(rank)`` is
        then the ranking's largest key and its rows; None where not every part was
        taken in, as for the ``random`` strategy).

    Returns
    -------
    rank : ndarray of shape (n_samples,)
        float32 for a two-class plain logistic regression on a float32 pool, whose
        keys are computed in float32 (so they are stored exactly, in half the memory);
        float64 otherwise.
    cut : float
        Keys at or above it are the strategy's scores themselves, and every row whose
        score is at or above it is keyed so; below it, keys are float32 scores of the
        screen. ``-inf`` when every key is the score; ``inf`` when none is but the keys
        rank every row exactly (use ``scores_of`` for the rows shown). For a two-class
        plain logistic regression the same holds of its keys ``-|decision|`` rather
        than of the scores (``keys_are_scores``), ``inf`` when it is not screened.
    """
    n = X.shape[0]
    scorer = SCORERS[strategy]
    binary_linear = scorer is not None and _binary_linear(model)
    dtype = np.dtype(np.float32 if binary_linear and X.dtype == np.float32 else np.float64)
    rank: np.ndarray
    if out is not None and out.shape == (n,) and out.dtype == dtype:
        rank = out
    else:
        rank = np.empty(n, dtype=dtype)
    if scorer is None:
        as_generator(random_state).random(out=rank)
        cut = np.inf
    elif binary_linear:
        if screen:
            screened = screened_binary_rank(
                model, X, chunk_rows, rank, blocked, screen_top, blocked_mask, top
            )
            if screened is not None:
                return rank, screened  # blocked rows keyed -inf already
        w = model.coef_[0].astype(X.dtype, copy=False)
        b = X.dtype.type(model.intercept_[0])
        for start in range(0, n, chunk_rows):
            d = row_slice(X, start, start + chunk_rows) @ w
            d += b
            np.abs(d, out=d)
            np.negative(d, out=rank[start : start + chunk_rows], casting="unsafe")
            if top is not None:
                top.add_block(rank[start : start + chunk_rows], start)
        cut = np.inf
    elif is_plain_logistic(model) and can_score(model, X.dtype, strategy):
        pool = screen_pool(X) if screen else None
        if pool is not None:
            screened = screened_rank(
                model, X, pool, strategy, chunk_rows, rank, blocked, screen_top, blocked_mask, top
            )
            if screened is not None:
                return rank, screened  # blocked rows keyed -inf already
        for start in range(0, n, chunk_rows):
            score_block(
                model,
                row_slice(X, start, start + chunk_rows),
                strategy,
                rank[start : start + chunk_rows],
            )
            if top is not None:
                top.add_block(rank[start : start + chunk_rows], start)
        cut = -np.inf
    else:
        for start in range(0, n, chunk_rows):
            rank[start : start + chunk_rows] = scorer(
                predict_proba_fast(model, row_slice(X, start, start + chunk_rows))
            )
            if top is not None:
                top.add_block(rank[start : start + chunk_rows], start)
        cut = -np.inf
    for rows in blocked:
        rank[rows] = -np.inf
    return rank, cut


def scores_of(model: ClassifierMixin, X: np.ndarray, ids: np.ndarray, strategy: str) -> np.ndarray:
    """The strategy's uncertainty scores of some rows, shape (len(ids),); NaN for random."""
    scorer = SCORERS[strategy]
    ids = np.asarray(ids, dtype=np.int64)
    if scorer is None:
        return np.full(ids.size, np.nan)
    return scorer(predict_proba_fast(model, X[ids]))
