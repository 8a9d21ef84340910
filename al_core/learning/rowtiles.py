"""A float64 pool as 16-bit integers in tiles of 16 rows, for the two-class pass.

The two-class kernel (``nativekeys``) reads every row of the pool at each label, and at
100,000 rows of 20 features that read is most of its time: 0.40-0.44 ms from float32
tiles out of the cache, 0.33 from 16-bit ones (``/tmp`` timing, stop 39). So each
feature ``j`` is kept as ``x = offset_j + scale_j q + r`` with ``q`` an int16 in
``[-QMAX, QMAX]`` and ``|r| <= error_j`` (about ``scale_j / 2``: a 65,534th of the
feature's range), a quarter of the pool's bytes. A decision ``b + w . x`` is then
``c + sum_j (w_j scale_j) q_j + sum_j w_j r_j`` with ``c = b + w . offset``: the kernel
sums the products in float32 (every ``q`` is exact there) and adds ``c`` in float64,
and ``decision_error`` bounds its distance to the exact decision, the quantization's
part (``sum_j |w_j| error_j``) included. That bound is at most about ten times a float32
copy's (both scale with the features' ranges), which leaves a few dozen more rows near
the top for BLAS's exact keys, and smaller where a feature lies far from zero (a year, a
price), whose offset costs float32's rounding in a float32 copy and float64's here.

A tile ``g`` holds rows ``16 g .. 16 g + 15``, feature by feature (``q[g, j, r]``): the
pass reads the tiles one after another, one stream, which the hardware's prefetcher
follows where a transposed copy's one stream per feature is not (stop 38).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from al_core.learning.roundoff import U32, U64

TILE_ROWS = 16
"""Rows of a tile: each feature's 16 int16 values are half a cache line."""

QMAX = 32_767
"""Largest magnitude of a quantized value (int16's, kept symmetric)."""

_BLOCK_ROWS = 16_384  # rows quantized at once: the block's temporaries stay in cache


@dataclass(frozen=True, eq=False)
class RowTiles:
    """A pool of shape (n_samples, n_features) quantized and tiled (``tile_rows``)."""

    q: np.ndarray
    """shape (ceil(n_samples / TILE_ROWS), n_features, TILE_ROWS), int16, C-contiguous:
    ``q[g, j, r]`` quantizes row ``TILE_ROWS g + r``'s feature ``j``; zeros past the
    last row."""
    offset: np.ndarray
    """shape (n_features,), float64."""
    scale: np.ndarray
    """shape (n_features,), float64, positive."""
    error: np.ndarray
    """shape (n_features,), float64: ``|x - (offset + scale q)| <= error`` for every row,
    in exact arithmetic on the stored values."""
    span: np.ndarray
    """shape (n_features,), float64: ``|scale q| <= span`` for every row (0 for a
    constant feature)."""

    @property
    def n_features(self) -> int:
        return self.q.shape[1]

    def weights(self, coef: np.ndarray, intercept: float) -> tuple[np.ndarray, float]:
        """The kernel's weights for ``intercept + coef . x``: ``coef_j scale_j`` (shape
        (n_features,), float32) and ``intercept + coef . offset`` (float64, added to
        each float32 sum in float64, so that features far from zero lose nothing to
        float32 there)."""
        return (coef * self.scale).astype(np.float32), intercept + float(coef @ self.offset)

    def decision_error(self, coef: np.ndarray, intercept: float) -> float:
        """A bound on |the kernel's decision from ``weights(coef, intercept)`` - the
        exact ``intercept + coef . x``|, every row, any order of additions.

        The parts: the quantization's ``sum_j |coef_j| error_j``; the float64 products
        and sums of the intercept's part, at most ``(n + 3) U64`` of ``|intercept| +
        sum_j |coef_j offset_j|``; each weight's rounding to float32 (at most ``2 U32``
        of it) and the float32 sum of ``n`` products, at most ``(n + 1) U32`` of their
        magnitudes (``sum_j |coef_j| span_j``), fused multiply-adds included, and its
        rounding as it is added in float64. A quarter more for the higher-order terms,
        and an absolute term for weights and products that underflow float32 (half its
        least subnormal each, a weight's times ``QMAX``). Infinite where the float32 sum
        may overflow.
        """
        n = self.n_features
        a = np.abs(coef)
        terms = float(a @ self.span)
        c = abs(intercept) + float(a @ np.abs(self.offset))
        if not terms < 2.0**120 or not np.isfinite(c):  # float32's largest: about 2 ** 128
            return np.inf
        quantized = float(a @ self.error)
        rounding = (n + 3) * U64 * (c + terms) + (n + 3) * U32 * terms
        underflow = (n + 2) * (QMAX + 2) * 2.0**-149
        return quantized * (1.0 + 4 * U64) + 1.25 * rounding + underflow


def tile_rows(X: np.ndarray) -> RowTiles:
    """``X`` (shape (n, n_features), finite) quantized to int16 and tiled.

    Each feature's offset is the middle of its range and its scale a 65,534th of the
    range, so ``q`` spans ``[-QMAX, QMAX]``; a constant feature has scale 1 and ``q =
    0``. ``error`` and ``span`` are measured on the rows, with an allowance for the
    measuring arithmetic's own rounding.
    """
    n, k = X.shape
    if n:
        low, high = X.min(axis=0).astype(np.float64), X.max(axis=0).astype(np.float64)
    else:
        low = high = np.zeros(k)
    offset = low / 2 + high / 2  # halves first: no overflow near float64's largest
    spread = high / 2 - low / 2
    scale = np.where(spread > 0, spread / QMAX, 1.0)
    q = np.zeros((-(-n // TILE_ROWS), k, TILE_ROWS), dtype=np.int16)
    worst, span = np.zeros(k), np.zeros(k)
    for start in range(0, n, _BLOCK_ROWS):
        block = X[start : start + _BLOCK_ROWS].astype(np.float64, copy=False)
        values = np.clip(np.rint((block - offset) / scale), -QMAX, QMAX)
        parts = scale * values
        np.maximum(worst, np.abs(block - (offset + parts)).max(axis=0), out=worst)
        np.maximum(span, np.abs(parts).max(axis=0), out=span)
        _place(q, start, values.astype(np.int16))
    # What was measured was rounded: the residual by three roundings of magnitudes at
    # most |offset| + span + |x| each, the span by one.
    slack = 4 * U64 * (np.abs(offset) + span + np.maximum(np.abs(low), np.abs(high)))
    return RowTiles(q, offset, scale, worst * (1.0 + 4 * U64) + slack, span * (1.0 + 2 * U64))


def tile(values: np.ndarray) -> np.ndarray:
    """Integer rows (shape (n, n_features), each within ``[-QMAX, QMAX]``) as int16
    tiles, shape (ceil(n / TILE_ROWS), n_features, TILE_ROWS), zeros past the last row."""
    n, k = values.shape
    q = np.zeros((-(-n // TILE_ROWS), k, TILE_ROWS), dtype=np.int16)
    _place(q, 0, values.astype(np.int16))
    return q


def _place(q: np.ndarray, start: int, rows: np.ndarray) -> None:
    """Write ``rows`` (int16, shape (m, n_features)) into tiles ``q`` from row ``start``,
    a multiple of ``TILE_ROWS``."""
    m, k = rows.shape
    whole, g = m // TILE_ROWS, start // TILE_ROWS
    q[g : g + whole] = rows[: whole * TILE_ROWS].reshape(whole, TILE_ROWS, k).transpose(0, 2, 1)
    if whole * TILE_ROWS < m:
        q[g + whole, :, : m - whole * TILE_ROWS] = rows[whole * TILE_ROWS :].T
