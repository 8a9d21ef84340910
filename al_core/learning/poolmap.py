"""A map of the pool: a 2-D projection to show where the model asks, fixed per project.

PCA (scikit-learn) is fitted once on an even sample of the pool, so the picture does not
move while labels come in; only the colours (the model's predictions) and the marks (what
was labeled and asked) change.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.decomposition import PCA, TruncatedSVD

from al_core.data.matrix import Matrix, is_sparse

MAX_POINTS = 20_000
"""Points drawn at most; a larger pool is sampled evenly (every k-th row)."""


@dataclass(frozen=True)
class PoolMap:
    """Where the drawn rows lie on the map.

    Attributes
    ----------
    rows : ndarray of shape (m,)
        Row ids drawn, ascending (every row of a small pool).
    xy : ndarray of shape (m, 2)
        Their coordinates on the first two principal components.
    pca : PCA or TruncatedSVD
        The fitted projection, to place any other row (``place``); a sparse pool (text)
        is projected by truncated SVD, which needs no centering and so stays sparse.
    """

    rows: np.ndarray
    xy: np.ndarray
    pca: PCA | TruncatedSVD

    def place(self, X: Matrix) -> np.ndarray:
        """Coordinates of rows ``X`` of shape (k, n_features) on the map, shape (k, 2)."""
        xy = self.pca.transform(X if is_sparse(X) else np.asarray(X, dtype=np.float64))
        return xy if xy.shape[1] == 2 else np.column_stack([xy, np.zeros(len(xy))])


def pool_map(X: Matrix, seed: int, max_points: int = MAX_POINTS) -> PoolMap:
    """Fit the projection on an even sample of ``X`` (n_samples, n_features).

    Deterministic: the same rows and coordinates for the same data and seed.
    """
    n = X.shape[0]
    rows = np.unique(np.linspace(0, n - 1, min(n, max_points)).round().astype(np.int64))
    sample: Matrix = X[rows] if is_sparse(X) else np.asarray(X[rows], dtype=np.float64)
    components = min(2, sample.shape[1], sample.shape[0])
    pca: PCA | TruncatedSVD
    if is_sparse(X) and sample.shape[1] > components:
        pca = TruncatedSVD(n_components=components, random_state=seed).fit(sample)
    else:
        sample = sample.toarray() if is_sparse(sample) else sample
        pca = PCA(n_components=components, random_state=seed).fit(sample)
    xy = pca.transform(sample)
    if xy.shape[1] < 2:  # one feature: draw it on a line
        xy = np.column_stack([xy, np.zeros(len(xy))])
    return PoolMap(rows, xy, pca)
