"""Exact scores of rows gathered from a pool, bit for bit those of the pool's own chunks.

The exact path (``classmajor.score_block``) takes each chunk's decision from the chunk's
product ``X @ coef.T``. A screen (``screening``) needs the same values for a few rows
scattered over the pool, from a product of those rows gathered. BLAS computes each row
of a product by the same sums wherever it sits, save where its kernels take a product's
end apart: OpenBLAS's float32 kernels round the last 4 rows of a product otherwise (on
an AVX2 machine, 20 features and 10 classes), and products of a handful of rows go to
another kernel altogether. So:

- rows are gathered into products of ``gather_rows`` rows whose last ``TAIL`` rows are
  padding, so that no gathered row sits at a product's end;
- rows among a chunk's last ``TAIL`` are taken from the product of the chunk's last
  rows, as many as make the same remainder (``end_rows``), where they sit at the end
  as they do in the chunk's product.

How many rows a gathered product needs depends on the BLAS: OpenBLAS's AVX2 kernels
round 1,024 rows as any chunk, its AVX-512 ones (SkylakeX) send float64 products of
fewer than about a million multiply-adds (4,096 rows of 20 features and 10 classes) to
a small-matrix kernel that rounds otherwise. ``gather_rows`` finds the fewest rows,
among ``GATHER_SIZES``, whose products round as the chunks' do, checked on random
values of the very shapes, float type and layout, once per process: where none does,
the pool is not screened.

Where the chunks' products are chains of fused multiply-adds, as OpenBLAS's
matrix-matrix kernels sum them on the AVX-512 machine, the rows' own chains
(``nativechains``) give the same values without padding: ``fma_chains_match`` checks
that on random values in the same way, every row of a chunk of each length included.
"""

from __future__ import annotations

from functools import cache
from typing import Literal

import numpy as np
from sklearn.base import ClassifierMixin

from al_core.learning import nativechains
from al_core.learning.classmajor import finish_block

GATHER_SIZES = (1_024, 2_048, 4_096, 8_192, 16_384)
"""Rows a product of gathered rows may have, padding included, fewest first."""

VECTOR_GATHER_SIZES = (256, *GATHER_SIZES)
"""The same for a matrix-vector product (a two-class model's keys), which OpenBLAS
computes row by row with one kernel whatever the rows: a screen's 70 or so candidates
took 0.1 ms in products of 1,024 rows, about half that in products of 256 (``/tmp``
timing, stop 37)."""

TAIL = 64
"""Rows at a product's end that are never gathered into one, and that are taken from
the product of their chunk's end instead."""

END_PERIOD = 3 * 1_024
"""BLAS splits a product's last rows by its length's remainder: OpenBLAS's float32
kernels on an AVX2 machine round the last 4 of 34,464 rows as the last 4 of 1,056 or
4,128 rows and otherwise than those of 2,080 (it packs rows 24 at a time). A multiple
of 3 and of powers of two up to 1,024 makes the same remainders."""


@cache
def gather_rows(
    chunk_lengths: tuple[int, ...],
    n_features: int,
    n_classes: int,
    dtype: str,
    coef_order: Literal["C", "F", "vector"],
) -> int | None:
    """The fewest rows of ``GATHER_SIZES`` whose gathered products round as the product
    ``X @ coef.T`` of a chunk of each of ``chunk_lengths`` rows (``X @ w`` for a
    ``"vector"`` of weights, a two-class model's); None if none does."""
    for rows in VECTOR_GATHER_SIZES if coef_order == "vector" else GATHER_SIZES:
        if all(
            gathered_product_matches(length, n_features, n_classes, dtype, coef_order, rows)
            for length in chunk_lengths
        ):
            return rows
    return None


@cache
def gathered_product_matches(
    chunk_rows: int,
    n_features: int,
    n_classes: int,
    dtype: str,
    coef_order: Literal["C", "F", "vector"],
    gather_rows: int = GATHER_SIZES[0],
) -> bool:
    """Whether ``exact_scores``'s products of ``gather_rows`` rows round as the chunk's
    product ``X @ coef.T``.

    Compared on random values of these shapes, float type and ``coef``'s layout, every
    row of the chunk in a shuffled order: BLAS picks its kernels, and so its order of
    additions, from shapes, layouts and a row's place in the product, not from values;
    a different order shows on a good share of random values.
    """
    rng = np.random.default_rng(chunk_rows + 7 * n_features)
    X = rng.standard_normal((chunk_rows, n_features)).astype(dtype)
    if coef_order == "vector":  # a matrix-vector product, as a two-class model's keys
        coef = rng.standard_normal(n_features).astype(dtype)
    else:
        coef = np.asarray(
            rng.standard_normal((n_classes, n_features)), dtype=dtype, order=coef_order
        ).T
    whole = X @ coef
    gathered = np.zeros((gather_rows, n_features), dtype=dtype)
    body = rng.permutation(max(chunk_rows - TAIL, 0))
    for start in range(0, body.size, gather_rows - TAIL):
        part = body[start : start + gather_rows - TAIL]
        gathered[: part.size] = X[part]
        if not np.array_equal((gathered @ coef)[: part.size], whole[part]):
            return False
    end = end_rows(chunk_rows, gather_rows)
    return bool(np.array_equal(X[-end:] @ coef, whole[-end:]))


def fma_chains_match(
    chunk_lengths: tuple[int, ...],
    n_features: int,
    n_classes: int,
    dtype: str,
    coef_order: Literal["C", "F"],
) -> bool:
    """Whether the compiled chains of ``nativechains`` give every row of the product
    ``X @ coef.T`` of a chunk of each of ``chunk_lengths`` rows as that product rounds
    it (compared on random values of these shapes, float type and layout, as
    ``gathered_product_matches`` compares); False where the kernel is not built or is
    turned off."""
    chains = nativechains.kernel()
    return chains is not None and _chains_match(
        chains, chunk_lengths, n_features, n_classes, dtype, coef_order
    )


@cache
def _chains_match(chains, chunk_lengths, n_features, n_classes, dtype, coef_order) -> bool:
    for length in chunk_lengths:
        rng = np.random.default_rng(length + 11 * n_features)
        X = rng.standard_normal((length, n_features)).astype(dtype)
        coef = np.asarray(
            rng.standard_normal((n_classes, n_features)), dtype=dtype, order=coef_order
        )
        ids = rng.permutation(length)
        if not np.array_equal(chains(X, ids, np.ascontiguousarray(coef.T)), (X @ coef.T)[ids]):
            return False
    return True


def chunk_lengths(n: int, chunk_rows: int) -> tuple[int, ...]:
    """The lengths of the chunks a pool of ``n`` rows is scored in, each once, ascending
    (what ``gather_rows`` checks the gathered products against)."""
    return tuple(sorted({min(chunk_rows, n), n % chunk_rows or min(chunk_rows, n)}))


def end_rows(chunk_rows: int, gather_rows: int) -> int:
    """Rows of the product that a chunk's last rows are taken from: the same remainder
    modulo ``END_PERIOD`` as the chunk, plus as many ``END_PERIOD`` as make at least
    ``gather_rows`` (a product of fewer rows may go to another kernel)."""
    periods = -(-gather_rows // END_PERIOD)
    return min(chunk_rows, chunk_rows % END_PERIOD + periods * END_PERIOD)


def exact_scores(
    model: ClassifierMixin,
    X: np.ndarray,
    ids: np.ndarray,
    strategy: str,
    chunk_rows: int,
    out: np.ndarray,
    gather_rows: int | None,
) -> None:
    """Write the exact scores of the rows ``ids`` into ``out[ids]``, as the exact path
    scores the pool in chunks of ``chunk_rows``: in products of ``gather_rows`` rows (for
    shapes and a number of rows ``gather_rows`` vouches for), or with ``gather_rows``
    None as chains of fused multiply-adds (which ``fma_chains_match`` vouches for, X
    C-contiguous).

    Parameters
    ----------
    model : fitted plain LogisticRegression with more than two classes
    X : ndarray of shape (n_samples, n_features)
    ids : ndarray of int, shape (n_ids,)
    strategy : {"least_confidence", "margin", "entropy"}
    chunk_rows : int
    out : ndarray of shape (n_samples,)
    gather_rows : int or None
        Rows of each product of gathered rows, padding included; None for chains.
    """
    if gather_rows is None:
        chains = nativechains.kernel()
        assert chains is not None  # fma_chains_match vouched for it
        ids = np.asarray(ids, dtype=np.int64)
        product = chains(X, ids, np.ascontiguousarray(model.coef_.T))
        _score_rows(model, product, ids.size, strategy, out, ids)
        return
    for product, part in _products(X, ids, model.coef_.T, chunk_rows, gather_rows):
        _score_rows(model, product, part.size, strategy, out, part)


def exact_keys(
    X: np.ndarray,
    ids: np.ndarray,
    w: np.ndarray,
    b: float,
    chunk_rows: int,
    out: np.ndarray,
    gather_rows: int,
) -> None:
    """Write a two-class model's exact keys ``-|X @ w + b|`` of the rows ``ids`` into
    ``out[ids]``, as ``scoring.rank_pool`` keys the pool in chunks of ``chunk_rows``, in
    products of ``gather_rows`` rows (which ``gather_rows`` vouches for, layout
    ``"vector"``).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    ids : ndarray of int, shape (n_ids,)
    w : ndarray of shape (n_features,)
    b : float
        The intercept, of X's float type.
    chunk_rows : int
    out : ndarray of shape (n_samples,)
    gather_rows : int
    """
    for product, part in _products(X, ids, w, chunk_rows, gather_rows):
        d = product[: part.size] + b
        np.abs(d, out=d)
        out[part] = np.negative(d)


def _products(X, ids, coef, chunk_rows, gather_rows):
    """``(product, part)``: the first ``part.size`` rows of ``product`` are the products
    ``X[part] @ coef`` as the chunks' own products round them, part by part."""
    n = X.shape[0]
    chunk_start = ids - ids % chunk_rows
    chunk_end = np.minimum(chunk_start + chunk_rows, n)
    at_end = ids >= chunk_end - TAIL
    gathered = np.zeros((gather_rows, X.shape[1]), dtype=X.dtype)
    body = ids[~at_end]
    for start in range(0, body.size, gather_rows - TAIL):
        part = body[start : start + gather_rows - TAIL]
        np.take(X, part, axis=0, out=gathered[: part.size])
        yield gathered @ coef, part
    for end in np.unique(chunk_end[at_end]) if at_end.any() else ():
        mine = at_end & (chunk_end == end)
        part = ids[mine]
        first = int(end) - end_rows(int(end - chunk_start[mine][0]), gather_rows)
        yield (X[first:end] @ coef)[part - first], part


def _score_rows(
    model: ClassifierMixin,
    product: np.ndarray,
    m: int,
    strategy: str,
    out: np.ndarray,
    ids: np.ndarray,
) -> None:
    # The transposed sum: the very additions of ``X @ coef.T + intercept``.
    e = np.add(product[:m].T, model.intercept_.reshape(-1, 1))
    scores = np.empty(m, dtype=e.dtype)
    finish_block(e, strategy, scores)
    out[ids] = scores
