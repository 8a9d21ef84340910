"""Bounds on least-confidence and margin scores from exponentials read off float bits.

A float32 whose bits are the integer ``127 * 2**23 + 2**23 * w`` (w >= -126) is
``2**floor(w) * (1 + frac(w))``, within a factor ``RHO`` (1.0615) above ``2**w``
(Schraudolph's exponential). So the exponentials of a softmax, scaled by
``2**23 / ln 2`` into the weights, cost an addition, a clamp and a cast to int32 per
value instead of an ``np.exp`` (which numpy without AVX-512 computes value by value:
2-3 ns each, two thirds of a float32 pass over 100,000 rows of 10 classes). The factor
is far too coarse for a score, and fine for a screen: it bounds every row's exact score
between two values, and only rows whose upper bound reaches the pool's few hundred best
lower bounds need their exact scores (about 900 of 100,000 rows at 10 classes).

What the bounds cover, for a row's sum ``S = sum_k exp(z_k - max z)`` (least confidence
is ``1 - 1/S``; margin ``1 - (1 - e2) / S`` with ``e2`` the second largest term):

- the float32 decision's error, ``delta`` (``roundoff.decision_error``, from the
  features' largest magnitudes and the weights), which moves ``S`` by ``exp(+-2 delta)``;
- the bits' error: two float32 roundings at the decision's magnitude and the cast's
  truncation, ``eta`` units of ``2**-23`` in the exponent, a factor ``2**(+-eta)``;
- the interpolation's factor within [1, ``RHO``], and the float32 sum's rounding;
- values below float32's normal range (their terms are at most ``2**-125``);
- the exact path's own rounding, ``exact_error`` (added to both bounds).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from al_core.learning.classmajor import second_largest
from al_core.learning.roundoff import U32

BIT_STRATEGIES = ("least_confidence", "margin")
"""Strategies bounded here (entropy's bound from these factors is too loose to screen)."""

RHO = 1.0614756909
"""``max (1 + f) / 2**f`` over [0, 1) (at f = 1/ln 2 - 1), rounded up."""

SCALE = 2.0**23 / np.log(2.0)
"""Decisions times this are exponents in units of float32's last mantissa bit."""

BIAS = np.float32(127 * 2**23)
"""The bits of 1.0 as an int32 (exact in float32)."""

_MAX_RATIO = 1.25
"""Above this ratio of a sum's upper to lower bound the screen would spare too few rows."""

_SLACK = 1e-12
"""Relative allowance for the float64 arithmetic of the bounds themselves, and the
scale's own rounding (both below 1e-15)."""


@dataclass(frozen=True)
class BitBounds:
    """The factors bounding a row's exact ``S`` and ``e2`` from their bit estimates:
    ``S`` lies in ``[S_bits / upper_sum, S_bits / lower_sum]``, ``e2`` in
    ``[e2_bits / upper_term, e2_bits / lower_term]``, and the exact score within
    ``exact_error`` of the value those give."""

    upper_sum: float
    lower_sum: float
    upper_term: float
    lower_term: float
    exact_error: float


def bit_bounds(delta: float, reach: float, n_classes: int, exact_error: float) -> BitBounds | None:
    """The factors for decisions within ``delta`` of exact and at most ``reach`` in
    magnitude; None where they are too loose to screen by (or the decision's scaled
    magnitude leaves float32's exact integers far behind).

    Parameters
    ----------
    delta : float
        Bound on |float32 decision - exact decision|, every row and class.
    reach : float
        Bound on |decision|, every row and class.
    n_classes : int
    exact_error : float
        Bound on |computed exact score - score of the exact decisions|.
    """
    if not (np.isfinite(delta) and np.isfinite(reach) and reach * SCALE < 2.0**60):
        return None
    # |bits value| <= BIAS + 2 |scaled decision|; each rounding at most half its ulp.
    magnitude = float(BIAS) + 2.5 * SCALE * reach
    ulp = 2.0 ** (np.floor(np.log2(magnitude)) - 23)
    # Two roundings, the cast's truncation (under a unit), and SCALE's own rounding
    # times the exponent (at most 2 reach / ln 2 units of 2**-52).
    eta = (ulp + 1.0) * 2.0**-23 + 2.0 * reach / np.log(2.0) * 2.0**-52
    term_up = RHO * 2.0**eta * np.exp(2.0 * delta) * (1 + _SLACK)
    term_low = 2.0**-eta * np.exp(-2.0 * delta) * (1 - _SLACK)
    sum_rounding = n_classes * U32 * 1.01
    upper_sum, lower_sum = term_up * (1 + sum_rounding), term_low * (1 - sum_rounding)
    if not upper_sum / lower_sum <= _MAX_RATIO:
        return None
    # Terms below float32's normal range are off by up to 2**-125 each; the largest term
    # is about 1 and every bound has _SLACK of room, far more than n_classes * 2**-125.
    return BitBounds(
        float(upper_sum), float(lower_sum), float(term_up), float(term_low), exact_error + _SLACK
    )


def bit_scores_block(
    d: np.ndarray,
    strategy: str,
    work: tuple[np.ndarray, np.ndarray],
    bounds: BitBounds,
    hi: np.ndarray,
    best: Largest,
    lo: np.ndarray | None = None,
    skip: np.ndarray | None = None,
) -> None:
    """Write upper bounds on the exact scores of a block of rows into ``hi`` (and lower
    bounds into ``lo``, if given); add the block's lower bounds to ``best``. Rows
    ``skip`` are bounded by ``-inf`` (``hi`` too).

    Parameters
    ----------
    d : ndarray of shape (n_classes, m), float32
        ``SCALE`` times the rows' decisions, class-major; overwritten.
    strategy : {"least_confidence", "margin"}
    work : (ndarray of shape (n_classes, m), int32; ndarray of shape (m,), float32 of
        zeros)
    bounds : BitBounds
    hi : ndarray of shape (m,), float64
    best : Largest
        The largest lower bounds so far; only those that reach its ``floor`` are
        partitioned (a partition of every block's bounds was a fifth of the screen).
    lo : ndarray of shape (m,), float64, optional
    skip : ndarray of shape (m,), bool, optional
        Rows that may not be queried (labeled, test set).
    """
    sums, second = bit_sums_block(d, work, with_second=strategy == "margin")
    bounds_from_sums(sums, second, strategy, bounds, hi, best, lo, skip)


def bit_sums_block(
    d: np.ndarray, work: tuple[np.ndarray, np.ndarray], with_second: bool
) -> tuple[np.ndarray, np.ndarray | None]:
    """Each row's sum of bit terms ``S`` and, if asked, its second largest term, shapes
    (m,), float32, from ``d`` (shape (n_classes, m), float32, ``SCALE`` times the
    decisions; overwritten). ``nativebits`` computes the same in one compiled pass."""
    bits, zeros = work
    top = d.max(axis=0)
    np.subtract(BIAS, top, out=top)
    d += top  # BIAS + scaled (z_k - max z), the largest about BIAS itself
    # Below 2**-127 a term is zero, not a wrapped integer (a row of zeros: numpy's
    # maximum with a scalar takes no SIMD path, a third of the speed).
    np.maximum(d, zeros, out=d)
    np.copyto(bits, d, casting="unsafe")  # truncation: the floor of a non-negative value
    terms = bits.view(np.float32)
    return terms.sum(axis=0), second_largest(terms) if with_second else None


def bounds_from_sums(
    sums: np.ndarray,
    second: np.ndarray | None,
    strategy: str,
    bounds: BitBounds,
    hi: np.ndarray,
    best: Largest,
    lo: np.ndarray | None = None,
    skip: np.ndarray | None = None,
    hi_written: bool = False,
) -> None:
    """``bit_scores_block`` from the rows' sums of bit terms and (margin) second largest
    terms, shapes (m,), float32; ``sums`` may be overwritten. ``hi_written``: least
    confidence's ``hi`` is written and ``sums`` zeroed where ``skip`` already (by
    ``nativebits``, with ``least_confidence_upper``'s terms)."""
    if strategy == "least_confidence":
        if not hi_written:
            if skip is not None:
                # A sum of 0: bounds of -inf (np.copyto with where= took twice as long).
                np.putmask(sums, skip, 0.0)
            # 1 - 1/S is increasing in S: the largest lower bounds are those of the
            # largest S. In float64 (the sums are float32, and a bare float would round
            # in float32).
            neg_lower, c_hi = least_confidence_upper(bounds)
            with np.errstate(divide="ignore"):
                np.divide(neg_lower, sums, out=hi, dtype=np.float64)
            hi += c_hi
        if lo is not None:
            with np.errstate(divide="ignore"):
                np.divide(-bounds.upper_sum, sums, out=lo, dtype=np.float64)
            lo += 1.0 - bounds.exact_error
        room = 1.0 - bounds.exact_error - best.floor
        if not room > 0:
            return  # every lower bound is below 1 - exact_error, so below the floor
        if np.isfinite(room):
            # A lower bound reaches the floor only where S >= upper_sum / room; the
            # threshold is taken a little lower so that no rounding drops such an S.
            sums = sums[sums >= bounds.upper_sum / room * (1.0 - 2.0**-20)]
        with np.errstate(divide="ignore"):
            upper = bounds.upper_sum / largest_of_many(sums, best.k).astype(np.float64)
        best.add(1.0 - bounds.exact_error - upper)
        return
    assert second is not None
    inverse = np.divide(1.0, sums, dtype=np.float64)
    second = second.astype(np.float64)
    # lo = 1 - (1 - e2_low) / S_low, hi = 1 - (1 - e2_high) / S_high
    e2 = np.divide(second, bounds.upper_term)
    np.subtract(1.0, e2, out=e2)
    lo = np.multiply(e2, inverse, out=lo)
    lo *= -bounds.upper_sum
    lo += 1.0 - bounds.exact_error
    np.divide(second, bounds.lower_term, out=e2)
    np.minimum(e2, 1.0, out=e2)
    np.subtract(1.0, e2, out=e2)
    np.multiply(e2, inverse, out=hi)
    hi *= -bounds.lower_sum
    hi += 1.0 + bounds.exact_error
    if skip is not None:
        np.putmask(hi, skip, -np.inf)
        lo = np.where(skip, -np.inf, lo)  # not in place: ``lo`` may be the caller's
    best.add(lo)


def least_confidence_upper(bounds: BitBounds) -> tuple[float, float]:
    """``(neg_lower, c_hi)``: a row's upper bound on least confidence is
    ``neg_lower / S + c_hi`` from its sum of bit terms ``S`` (float64 arithmetic)."""
    return -bounds.lower_sum, 1.0 + bounds.exact_error


def largest(values: np.ndarray, k: int) -> np.ndarray:
    """The ``k`` largest of ``values`` (all of them when there are no more)."""
    if values.size <= k:
        return values
    return np.partition(values, values.size - k)[values.size - k :]


def largest_of_many(values: np.ndarray, k: int) -> np.ndarray:
    """``largest(values, k)`` for ``values`` without NaN, quicker where there are many:
    the first block of a screen has no floor yet, and a partition of its 16,384 sums
    took half its bounds' time. The ``k``-th largest of a strided sample is at most the
    ``k``-th largest of all, so the values at or above it hold the ``k`` largest."""
    if values.size <= 16 * k:
        return largest(values, k)
    sample = values[:: values.size // (4 * k)]
    return largest(values[values >= largest(sample, k).min()], k)


class Largest:
    """The ``k`` largest values added so far, block by block.

    ``floor`` is the least of them once there are ``k`` (``-inf`` before): a value
    below it can no longer be among them, so a block need partition only those that
    reach it.
    """

    def __init__(self, k: int) -> None:
        self.k = int(k)
        self.values = np.empty(0)

    @property
    def floor(self) -> float:
        return float(self.values.min()) if self.values.size >= self.k else -np.inf

    def add(self, values: np.ndarray) -> None:
        """Take ``values`` (float64) into account."""
        floor = self.floor
        if floor > -np.inf:
            values = values[values >= floor]
        self.values = largest(np.concatenate([self.values, largest(values, self.k)]), self.k)
