"""Query strategies, in three layers (as in modAL's ``uncertainty.py``).

1. Scores from class probabilities: ``least_confidence_scores(proba)`` and friends,
   higher meaning more uncertain.
2. A selection helper, ``select_top_k``: the k highest scores, ties broken by a
   seeded generator, found with ``argpartition`` (no full sort of the pool).
3. Strategies as plain functions ``strategy(proba, k, random_state) -> (idx, scores)``
   and a name-to-function registry, ``STRATEGIES``, for the UI and the CLI.

The session scores a large pool chunk by chunk with the layer-1 scorer of the chosen
strategy (``SCORERS``) and then calls ``select_top_k`` once, which selects exactly the
rows the strategy function would select on the full probability matrix.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from al_core.errors import ConfigError, PoolExhaustedError
from al_core.learning.blocks import flatnonzero_by_block

RandomState = int | Sequence[int] | np.random.Generator | None


def as_generator(random_state: RandomState) -> np.random.Generator:
    """A ``numpy.random.Generator`` from a seed (an int or a sequence of them), a
    generator, or None (fresh entropy)."""
    if isinstance(random_state, np.random.Generator):
        return random_state
    return np.random.default_rng(random_state)


def least_confidence_scores(proba: np.ndarray) -> np.ndarray:
    """``1 - max_c p(c|x)``: the reference's uncertainty.

    Parameters
    ----------
    proba : ndarray of shape (n_samples, n_classes)

    Returns
    -------
    scores : ndarray of shape (n_samples,)
    """
    return 1.0 - np.max(proba, axis=1)


def margin_scores(proba: np.ndarray) -> np.ndarray:
    """``1 - (p_first - p_second)``: small gap between the two likeliest classes.

    Parameters
    ----------
    proba : ndarray of shape (n_samples, n_classes)

    Returns
    -------
    scores : ndarray of shape (n_samples,)
    """
    if proba.shape[1] < 2:
        return np.zeros(proba.shape[0])
    top2 = -np.partition(-proba, 1, axis=1)[:, :2]
    return 1.0 - (top2[:, 0] - top2[:, 1])


def entropy_scores(proba: np.ndarray) -> np.ndarray:
    """Shannon entropy ``-sum_c p log p`` (natural log; 0 log 0 taken as 0).

    Parameters
    ----------
    proba : ndarray of shape (n_samples, n_classes)

    Returns
    -------
    scores : ndarray of shape (n_samples,)
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        plogp = np.where(proba > 0, proba * np.log(proba), 0.0)
    return -plogp.sum(axis=1)


def select_top_k(scores: np.ndarray, k: int = 1, random_state: RandomState = None) -> np.ndarray:
    """Positions of the k highest scores, best first; ties broken at random.

    Parameters
    ----------
    scores : ndarray of shape (n_candidates,)
        NaN counts as the lowest score.
    k : int
        How many to select, ``1 <= k <= n_candidates``.
    random_state : int, Generator or None
        Breaks ties among equal scores reproducibly.

    Returns
    -------
    idx : ndarray of shape (k,), int
        Unique positions into ``scores``.

    Raises
    ------
    PoolExhaustedError
        If ``k`` exceeds the number of candidates.
    ConfigError
        If ``k < 1``.
    """
    scores = np.asarray(scores)
    if scores.dtype not in (np.float32, np.float64):
        scores = scores.astype(np.float64)  # float32 is kept: no copy of a large ranking
    n = scores.shape[0]
    if k < 1:
        raise ConfigError(f"k must be at least 1, got {k}")
    if k > n:
        raise PoolExhaustedError(f"asked for {k} rows but only {n} are left to query")
    if k == 1 and not np.isnan(top := scores.max()):
        # The common case, in two passes instead of a partition of the whole pool.
        return pick_tie(
            flatnonzero_by_block(scores.size, lambda rows: scores[rows] == top), random_state
        )
    rng = as_generator(random_state)
    if np.isnan(scores).any():
        scores = np.where(np.isnan(scores), -np.inf, scores)
    if k == n:
        chosen = np.arange(n)
    else:
        part = np.argpartition(scores, n - k)[n - k :]
        threshold = scores[part].min()
        # In position order: argpartition's order depends on the scores below the
        # threshold too, and the choice must not (a screened ranking differs there).
        above = np.sort(part[scores[part] > threshold])
        ties = np.flatnonzero(scores == threshold)
        need = k - above.size
        if ties.size > need:
            ties = rng.choice(ties, size=need, replace=False)
        chosen = np.concatenate([above, ties])
    # Best first; equal scores in a random (seeded) order.
    order = np.lexsort((rng.random(chosen.size), -scores[chosen]))
    return chosen[order]


def pick_tie(ties: np.ndarray, random_state: RandomState = None) -> np.ndarray:
    """One of the ascending positions ``ties`` (all holding the largest score), drawn as
    ``select_top_k`` draws it, shape (1,)."""
    if ties.size == 1:
        return ties  # no generator made: seeding one costs more than the passes
    return ties[[int(as_generator(random_state).integers(ties.size))]]


def _uncertainty(scorer: Callable[[np.ndarray], np.ndarray]):
    def strategy(
        proba: np.ndarray, k: int = 1, random_state: RandomState = None
    ) -> tuple[np.ndarray, np.ndarray]:
        scores = scorer(np.asarray(proba))
        idx = select_top_k(scores, k, random_state)
        return idx, scores[idx]

    strategy.__doc__ = f"""Select the k rows with the highest ``{scorer.__name__}``.

    Parameters
    ----------
    proba : ndarray of shape (n_candidates, n_classes)
    k : int
    random_state : int, Generator or None

    Returns
    -------
    idx : ndarray of shape (k,)
        Positions into ``proba``, most uncertain first.
    scores : ndarray of shape (k,)
    """
    return strategy


least_confidence = _uncertainty(least_confidence_scores)
margin = _uncertainty(margin_scores)
entropy = _uncertainty(entropy_scores)


def random(
    proba: np.ndarray, k: int = 1, random_state: RandomState = None
) -> tuple[np.ndarray, np.ndarray]:
    """Select k rows uniformly at random (the baseline every strategy must beat).

    Parameters
    ----------
    proba : ndarray of shape (n_candidates, ...)
        Only its length is used.
    k : int
    random_state : int, Generator or None

    Returns
    -------
    idx : ndarray of shape (k,)
    scores : ndarray of shape (k,)
        NaN: random sampling has no uncertainty score.
    """
    n = len(proba)
    idx = select_top_k(as_generator(random_state).random(n), k, random_state)
    return idx, np.full(k, np.nan)


STRATEGIES: dict[str, Callable[..., tuple[np.ndarray, np.ndarray]]] = {
    "least_confidence": least_confidence,
    "margin": margin,
    "entropy": entropy,
    "random": random,
}
"""Name-to-function registry of query strategies."""

SCORERS: dict[str, Callable[[np.ndarray], np.ndarray] | None] = {
    "least_confidence": least_confidence_scores,
    "margin": margin_scores,
    "entropy": entropy_scores,
    "random": None,
}
"""The layer-1 scorer behind each registered strategy (None: no model needed)."""


def check_strategy(name: str) -> str:
    """Return ``name`` if it is registered, else raise ``ConfigError`` listing the choices."""
    if name not in STRATEGIES:
        raise ConfigError(f"unknown strategy {name!r}; choose one of: {', '.join(STRATEGIES)}")
    return name
