"""Choosing rows before any model can be fitted (fewer than two classes labeled).

k-means++ seeding (D^2 sampling) on standardized features: each pick is drawn with
probability proportional to its squared distance from the nearest row already labeled
or picked, so the first labels cover the data instead of clustering in one corner.

A sparse pool (text) is measured as it is: its encoder has scaled the numbers and
normalized the word weights already, and centering would make it dense.
"""

from __future__ import annotations

import numpy as np

from al_core.data.matrix import Matrix, is_sparse, squared_norms
from al_core.learning.strategies import RandomState, as_generator

MAX_CANDIDATES = 20_000
"""Cold start looks at a seeded sample of at most this many rows of a large pool."""


def diverse_rows(
    X: Matrix,
    candidates: np.ndarray,
    anchors: np.ndarray,
    k: int,
    center: np.ndarray | None,
    scale: np.ndarray | None,
    random_state: RandomState = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Pick k diverse candidate rows by D^2 sampling.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    candidates : ndarray of shape (n_candidates,)
        Row ids that may be picked; ``k <= n_candidates``.
    anchors : ndarray of shape (n_anchors,)
        Row ids already labeled; picks keep away from them.
    k : int
    center, scale : ndarray of shape (n_features,), or None
        Standardization applied before measuring distances (None for a sparse ``X``).
    random_state : int, Generator or None

    Returns
    -------
    ids : ndarray of shape (k,)
        Picked row ids, in the order picked.
    distances : ndarray of shape (k,)
        Each pick's standardized distance to its nearest anchor (or earlier pick) at
        the moment it was picked; NaN for a first pick with nothing to measure from.
    """
    rng = as_generator(random_state)
    if candidates.size > MAX_CANDIDATES:
        candidates = np.sort(rng.choice(candidates, MAX_CANDIDATES, replace=False))

    def standardized(rows: np.ndarray) -> Matrix:
        return X[rows] if is_sparse(X) else (X[rows] - center) / scale

    Z = standardized(candidates)
    if is_sparse(X):
        distance = _sparse_distances(Z)
    else:

        def distance(z):  # z: one row, shape (1, n_features)
            return np.sum((Z - z) ** 2, axis=1)

    nearest = np.full(candidates.size, np.inf)
    for a in anchors[-MAX_CANDIDATES:]:
        nearest = np.minimum(nearest, distance(standardized(np.asarray([a]))))
    picked: list[int] = []
    dists: list[float] = []
    for _ in range(k):
        if np.isinf(nearest).all():
            j = int(rng.integers(candidates.size))
            dists.append(np.nan)
        else:
            weights = np.where(np.isinf(nearest), 0.0, nearest)
            total = weights.sum()
            if total > 0:
                j = int(rng.choice(candidates.size, p=weights / total))
            else:  # every candidate duplicates a labeled row: any unpicked one will do
                j = int(rng.choice(np.setdiff1d(np.arange(candidates.size), picked)))
            dists.append(float(np.sqrt(nearest[j])))
        picked.append(j)
        nearest = np.minimum(nearest, distance(Z[[j]]))
        nearest[j] = 0.0
    return candidates[np.asarray(picked, dtype=np.int64)], np.asarray(dists)


def _sparse_distances(Z: Matrix):
    """Squared distances from every row of sparse ``Z`` to one sparse row, without
    densifying: |z|^2 + |a|^2 - 2 z.a (clipped at 0 against rounding)."""
    norms = squared_norms(Z)

    def distance(a: Matrix) -> np.ndarray:
        cross = np.asarray((Z @ a.T).toarray(), dtype=np.float64).ravel()
        return np.maximum(norms + squared_norms(a)[0] - 2.0 * cross, 0.0)

    return distance
