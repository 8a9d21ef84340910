"""How sure an accuracy is: the 95 % interval of a share measured on a finite test set."""

from __future__ import annotations

import math
from functools import lru_cache

from scipy.stats import binomtest

Z95 = 1.959963984540054
"""The standard normal quantile of a two-sided 95 % interval."""


@lru_cache(maxsize=16_384)
def wilson_interval(correct: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of ``correct / n`` (scipy's ``proportion_ci``).

    Remembered per ``(correct, n, confidence)``: the learning curve's chart draws an
    interval around every point after every label, and scipy's takes about half a
    millisecond (it builds a whole binomial test), so without the memo a chart of 300
    points cost 170 ms per label; the counts repeat, as every point is measured on the
    same test set.

    Raises
    ------
    ValueError
        If ``n`` is not positive or ``correct`` is not in 0..n.
    """
    if n <= 0 or not 0 <= correct <= n:
        raise ValueError(f"need 0 <= correct <= n and n > 0, got {correct} of {n}")
    ci = binomtest(int(correct), int(n)).proportion_ci(confidence, method="wilson")
    return float(ci.low), float(ci.high)


def rows_for_half_width(accuracy: float, half_width: float = 0.05) -> int:
    """Test rows needed for a 95 % interval of about ``±half_width`` at ``accuracy``."""
    p = min(max(accuracy, 0.0), 1.0)
    return math.ceil(Z95**2 * max(p * (1 - p), 0.01) / half_width**2)


def accuracy_interval(accuracy: float, n_test: int) -> tuple[float, float]:
    """The 95 % interval of an accuracy measured on ``n_test`` rows."""
    return wilson_interval(round(accuracy * n_test), n_test)


def within_noise(before: float, after: float, n_test: int) -> bool:
    """True when the change from ``before`` to ``after`` is smaller than the noise of one
    measurement (half the width of the later accuracy's 95 % interval)."""
    low, high = accuracy_interval(after, n_test)
    return abs(after - before) <= (high - low) / 2
