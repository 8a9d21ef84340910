"""Screening a large two-class pool: BLAS's exact keys only where they can decide.

A two-class plain logistic regression keys each row ``-|decision|`` (``scoring``), from
OpenBLAS's matrix-vector product over the pool's chunks: on 100,000 rows of 20 float64
features that product reads the pool at about half the speed of a sum (0.6-0.8 ms
after a fit against 0.4), which kept the step at 1.6x-1.85x its floor (stops 33-36).
The compiled pass of ``nativekeys`` keys the pool from its rows quantized to int16 in
tiles of 16 (``screenpool.row_tiles``: a quarter of the bytes) instead, but its float32
keys are not BLAS's float64 ones, and a query must be the exact one, ties and all.

The kernel's decision is within ``RowTiles.decision_error`` of the exact one (the
quantization included) and BLAS's within ``decision_error(model, col_max, U64)``
(``roundoff``), so a kernel's key is within ``E``, their sum, of BLAS's. With ``T`` the
``top``-th largest of the kernel's keys of rows that may be queried, every row whose
exact key reaches ``T - E`` has a kernel key of at least ``T - 2E``: those rows (the
candidates: the kernel gathers every row within ``3E`` of ``T``, a few more than ``top``
unless rows tie) get their exact keys, from BLAS's product of the rows gathered, which
``gathered.gather_rows`` vouches rounds as each chunk's own product. Every other row
keeps its kernel key, below ``T - 3E``. So ``T - E`` is a clean cut, as a multiclass
screen's (``screening``): every row whose exact key reaches it holds that key, every
other key lies below it, and at least ``top`` rows are above it.

Pools below ``screenpool.SCREEN_MIN_ROWS`` rows, float32 ones (BLAS's float32 product
reads them at a sum's speed already), sparse ones, and machines without a C compiler
are keyed exactly throughout.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.base import ClassifierMixin

from al_core.learning import nativekeys
from al_core.learning.gathered import chunk_lengths, exact_keys, gather_rows
from al_core.learning.keytop import KeyTopFinder
from al_core.learning.roundoff import U64, decision_error
from al_core.learning.screening import SCREEN_TOP
from al_core.learning.screenpool import blocked_rows_mask, pool_col_max, row_tiles


def screened_binary_rank(
    model: ClassifierMixin,
    X: np.ndarray,
    chunk_rows: int,
    out: np.ndarray,
    blocked: Sequence[np.ndarray] = (),
    top: int | None = None,
    blocked_mask: np.ndarray | None = None,
    top_keys: KeyTopFinder | None = None,
) -> float | None:
    """Key every row of a two-class pool into ``out`` by the screen; return the cut.

    Parameters
    ----------
    model : fitted plain LogisticRegression of two classes
    X : ndarray of shape (n_samples, n_features), float64, or another matrix (a sparse
        one), which is not screened
    chunk_rows : int
        The chunks the exact path keys the pool in (their products are the reference).
    out : ndarray of shape (n_samples,), float64
    blocked : sequence of ndarray of int
        Rows that may never be queried: keyed ``-inf`` and left out of the cut.
    top : int, optional
        Rows not blocked that are sure to hold their exact keys; default
        ``screening.SCREEN_TOP``.
    blocked_mask : ndarray of shape (n_samples,), bool, optional
        The rows of ``blocked`` as a mask, where the caller keeps one.
    top_keys : KeyTopFinder, optional
        Takes in the exact keys of the candidates (every other key lies below them).

    Returns
    -------
    cut : float or None
        Keys at or above it are the exact keys of exactly the rows whose exact key is
        at or above it; keys below it are the kernel's float32 ones. None when the screen does not
        apply (``out`` is then to be written whole): key the pool exactly.
    """
    n = X.shape[0]
    if not (
        isinstance(X, np.ndarray)  # not a sparse pool (a text's words)
        and X.dtype == np.float64
        and model.coef_[0].flags.c_contiguous  # as the gathered products are checked
        and out.dtype == np.float64
        and out.shape == (n,)
    ):
        return None
    row_keys = nativekeys.kernel()
    tiles = row_tiles(X) if row_keys is not None else None
    if row_keys is None or tiles is None:
        return None
    col_max = pool_col_max(X)
    assert col_max is not None  # row_tiles is None without it
    gather = gather_rows(chunk_lengths(n, chunk_rows), X.shape[1], 1, "float64", "vector")
    if gather is None:
        return None
    coef, intercept = model.coef_[0], float(model.intercept_[0])
    # The kernel's key is within tiles.decision_error of the exact decision, BLAS's
    # within decision_error(U64).
    error = tiles.decision_error(coef, intercept) + decision_error(model, col_max, U64)
    if not np.isfinite(error):
        return None
    top = SCREEN_TOP if top is None else top
    taken = blocked_rows_mask(n, blocked, blocked_mask)
    w, c = tiles.weights(coef, intercept)
    found = row_keys(tiles.q, w, c, taken, out, top, 3.0 * error)
    if found is None:
        return None  # thousands of rows tie at the top: key them exactly
    rows, keys = found
    if rows.size < top or np.isnan(keys).any():
        return None  # fewer rows free than ``top``, or a key that orders nothing
    best = float(np.partition(keys, rows.size - top)[rows.size - top])
    candidates = rows[keys >= best - 3.0 * error]
    b = X.dtype.type(model.intercept_[0])  # as the exact path adds it
    exact_keys(X, candidates, coef, b, chunk_rows, out, gather)
    if top_keys is not None:
        top_keys.add_rows(out[candidates], candidates)
    return best - error
