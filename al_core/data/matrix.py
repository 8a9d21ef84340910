"""Feature matrices of either kind: dense NumPy arrays, or sparse CSR for text.

A pool with text columns has tens of thousands of word features, nearly all zero in any
row; densifying it would take gigabytes. The engine keeps such a pool as a SciPy CSR
matrix and reaches it only through these helpers (and the operations both kinds share:
row indexing, ``X @ w``), so that no code path turns the whole pool dense.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
import scipy.sparse as sp

Matrix = Any
"""A 2-D feature matrix: ``np.ndarray`` or ``scipy.sparse.csr_matrix``."""


def is_sparse(X: Matrix) -> bool:
    """True for a SciPy sparse matrix or array."""
    return sp.issparse(X)


def as_pool(X: Matrix, dtype: type, sparse: bool = False) -> Matrix:
    """The form the engine stores: C-contiguous ``dtype``, or CSR with sorted indices
    (whenever ``X`` is sparse, or ``sparse`` asks for it)."""
    if sparse or sp.issparse(X):
        out = sp.csr_matrix(X, dtype=dtype)
        out.sort_indices()
        return out
    return np.ascontiguousarray(X, dtype=dtype)


def row_slice(X: Matrix, start: int, stop: int) -> Matrix:
    """Rows ``start:stop`` without copying them (a view, for dense and CSR alike).

    SciPy copies a CSR row slice; scoring a pool chunk by chunk would copy the whole pool
    on every label. The view shares the pool's arrays; nothing may write to it.
    """
    if not sp.issparse(X):
        return X[start:stop]
    stop = min(stop, X.shape[0])
    begin, end = X.indptr[start], X.indptr[stop]
    return sp.csr_matrix(
        (X.data[begin:end], X.indices[begin:end], X.indptr[start : stop + 1] - begin),
        shape=(stop - start, X.shape[1]),
        copy=False,
    )


def row_block(X: Matrix, ids: np.ndarray) -> Matrix:
    """A standalone copy of some rows, laid out for fast repeated products."""
    block = X[np.asarray(ids, dtype=np.int64)]
    return block if sp.issparse(block) else np.ascontiguousarray(block)


def dense_rows(X: Matrix, ids: np.ndarray, columns: np.ndarray | None = None) -> np.ndarray:
    """Some rows (and optionally some columns) as a dense float64 array.

    Only for small selections: the rows of a card, or the labeled rows' few numeric
    columns.
    """
    block = X[np.asarray(ids, dtype=np.int64)]
    if columns is not None:
        block = block[:, np.asarray(columns, dtype=np.int64)]
    if sp.issparse(block):
        block = block.toarray()
    return np.asarray(block, dtype=np.float64)


def fingerprint(h: hashlib._Hash, X: Matrix) -> None:
    """Feed ``X``'s values (and, if sparse, its structure) into hash ``h``.

    A dense matrix hashes exactly as before sparse pools existed, so projects made then
    still open.
    """
    if not sp.issparse(X):
        h.update(np.ascontiguousarray(X).tobytes())
        return
    X = sp.csr_matrix(X)
    h.update(f"csr{X.shape[0]}x{X.shape[1]}".encode())
    for part in (X.indptr, X.indices):
        h.update(np.ascontiguousarray(part, dtype=np.int64).tobytes())
    h.update(np.ascontiguousarray(X.data).tobytes())


def squared_norms(X: Matrix) -> np.ndarray:
    """Each row's squared Euclidean norm, shape (n_rows,), float64."""
    if sp.issparse(X):
        return np.asarray(X.multiply(X).sum(axis=1), dtype=np.float64).ravel()
    X = np.asarray(X, dtype=np.float64)
    return np.einsum("ij,ij->i", X, X)
