"""Bounds on the rounding of a plain logistic regression's decisions and scores.

A screen (``screening``) scores a pool cheaply and keeps a row's exact score only where
it can decide a query; it is exact only if its bounds hold for every row. They are
derived here from what is known before any row is read: the weights, the intercept and
each feature's largest magnitude over the pool, which bound every decision and the
rounding of any sum that computes it, in any order of additions.
"""

from __future__ import annotations

from functools import cache

import numpy as np
from sklearn.base import ClassifierMixin

U32 = 2.0**-24
"""float32's unit roundoff."""

U64 = 2.0**-53
"""float64's unit roundoff."""

EXP_ULPS = 12
"""Allowance for an exponential's error, in units of roundoff (checked for float32)."""


@cache
def exp32_error_ok() -> bool:
    """Whether numpy's float32 ``exp`` is within ``EXP_ULPS - 1`` units of roundoff of
    the exact value on [-87, 0] (checked against float64 on 200,001 points)."""
    x = np.linspace(-87.0, 0.0, 200_001).astype(np.float32)
    exact = np.exp(x.astype(np.float64))
    rel = np.abs(np.exp(x).astype(np.float64) - exact) / exact
    return bool(rel.max() <= (EXP_ULPS - 1) * U32)


def reach(model: ClassifierMixin, col_max: np.ndarray) -> float:
    """A bound on |decision| (the sum of its terms' magnitudes), every row and class.

    Parameters
    ----------
    model : fitted linear classifier
    col_max : ndarray of shape (n_features,)
        Each feature's largest magnitude over the pool.
    """
    coef = np.abs(model.coef_.astype(np.float64))
    return float((coef @ col_max).max() + np.abs(model.intercept_).max())


def decision_error(model: ClassifierMixin, col_max: np.ndarray, unit: float = U32) -> float:
    """A bound on |decision computed in a float type of unit roundoff ``unit`` - exact|.

    At most ``(n_features + 2) unit sum_j |x_j| |w_kj|`` in any order of additions, plus
    the intercept's rounding and the rounding of copies into that type; a quarter more
    for the bound's higher-order terms.
    """
    return 1.25 * (model.coef_.shape[1] + 4) * unit * reach(model, col_max)


def error_bound(
    model: ClassifierMixin, col_max: np.ndarray, unit: float = U32, underflow: float = 88.0
) -> float:
    """A bound on |score computed in a float type - exact score|, every row, any strategy.

    ``unit`` and ``underflow`` are the type's unit roundoff and the magnitude below
    which its exponential underflows (float32's by default; float64's are ``U64`` and
    745). The decision is off by at most ``delta`` (``decision_error``); each
    exponential ``exp(d_k - max d)`` then by a factor within ``exp(+-eta)``, with ``eta``
    adding the subtraction's rounding (``unit |d_k - max d|``, at most ``underflow``
    units) and the exponential's own (``EXP_ULPS``). Least confidence and margin move by
    at most ``2 eta`` plus the sums' rounding, entropy by ``2 eta (1 + log K)`` plus its
    own; the bound takes the larger, and a quarter more.
    """
    n_classes = model.coef_.shape[0]
    delta = decision_error(model, col_max, unit)
    eta = 2.0 * delta + (underflow + EXP_ULPS) * unit
    log_k = float(np.log(n_classes))
    return 1.25 * (2.0 * eta * (1.0 + log_k) + 4.0 * n_classes * unit * (1.0 + log_k)) + 1e-30
