"""scipy's L-BFGS-B driver loop, without its per-evaluation wrappers.

``scipy.optimize.minimize(method="L-BFGS-B", jac=True)`` calls the compiled routine
``setulb`` in a loop and evaluates the function wherever it asks. Around each evaluation
it runs three wrappers (``MemoizeJac``, ``_ScalarFunctionWrapper``, ``ScalarFunction``:
copies, comparisons, counters, a result object per iteration): about 90 us each here
(``/tmp`` timing, 2026-11-23), 40 % of a ten-class fit on 200 rows, more than half of a
two-class one, against microseconds of arithmetic in the loss itself. ``minimize_lbfgsb``
is that loop with the same calls in the same order: the same ``setulb`` on the same
arrays, the function evaluated once per new point on a copy cast to the start point's
float type (as ``ScalarFunction`` casts it, float32 for a float32 problem), its gradient
handed back as float64, and the same stopping rules. So the iterates, and the result,
are scipy's bit for bit (``tests/test_lbfgs.py`` checks the fits against
scikit-learn's). It follows scipy's private code: ``lbfgs`` uses it only under the scipy
release it was checked against.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.optimize import _lbfgsb
from scipy.optimize._lbfgsb_py import status_messages, task_messages

_MAXCOR = 10
"""scipy's default number of corrections kept (``maxcor``)."""

_MAXFUN = 15_000
"""scipy's default most function evaluations (``maxfun``)."""

# setulb's task codes (task[0]) and the reasons it is stopped with (task[1]).
_FG, _NEW_X, _CONVERGENCE, _STOP = 3, 1, 4, 5
_STOP_MAXFUN, _STOP_MAXITER = 502, 504


@dataclass(frozen=True)
class Result:
    """What ``scipy.optimize.minimize`` reports of an L-BFGS-B run, as far as used."""

    x: np.ndarray
    nit: int
    status: int
    message: str


def minimize_lbfgsb(
    fun: Callable[[np.ndarray, float], tuple[float, np.ndarray]],
    x0: np.ndarray,
    arg: float,
    *,
    maxiter: int,
    maxls: int,
    gtol: float,
    ftol: float,
) -> Result:
    """``scipy.optimize.minimize(fun, x0, args=(arg,), method="L-BFGS-B", jac=True,
    options=...)`` without bounds or callback.

    Parameters
    ----------
    fun : callable ``fun(x, arg) -> (value, gradient)``
        value a float, gradient of shape (n,).
    x0 : ndarray of shape (n,), float32 or float64
    arg : float
    maxiter, maxls : int
    gtol, ftol : float
        As scipy's options of those names.

    Returns
    -------
    Result
        ``x`` of shape (n,), float64.
    """
    n = x0.size
    m = _MAXCOR
    point = np.array(x0)  # the point last evaluated, in x0's float type
    value, grad = fun(np.copy(point), arg)
    nfev = 1
    x = np.array(x0, dtype=np.float64)
    f: float | np.ndarray = np.array(0.0)
    g = np.zeros(n)
    lower, upper = np.zeros(n), np.zeros(n)
    nbd = np.zeros(n, np.int32)
    wa = np.zeros(2 * m * n + 5 * n + 11 * m * m + 8 * m)
    iwa = np.zeros(3 * n, dtype=np.int32)
    task = np.zeros(2, dtype=np.int32)
    ln_task = np.zeros(2, dtype=np.int32)
    lsave = np.zeros(4, dtype=np.int32)
    isave = np.zeros(44, dtype=np.int32)
    dsave = np.zeros(29)
    factr = ftol / np.finfo(float).eps
    n_iterations = 0
    while True:
        g = g.astype(np.float64)
        _lbfgsb.setulb(
            m, x, lower, upper, nbd, f, g, factr, gtol, wa, iwa, task, lsave,
            isave, dsave, maxls, ln_task,
        )  # fmt: skip
        if task[0] == _FG:
            if not np.array_equal(x, point):
                point = x.astype(point.dtype)
                value, grad = fun(np.copy(point), arg)
                nfev += 1
            f, g = value, np.atleast_1d(grad)
        elif task[0] == _NEW_X:
            n_iterations += 1
            if n_iterations >= maxiter:
                task[:] = _STOP, _STOP_MAXITER
            elif nfev > _MAXFUN:
                task[:] = _STOP, _STOP_MAXFUN
        else:
            break
    if task[0] == _CONVERGENCE:
        status = 0
    elif nfev > _MAXFUN or n_iterations >= maxiter:
        status = 1
    else:
        status = 2
    message = status_messages[task[0]] + ": " + task_messages[task[1]]
    return Result(x, n_iterations, status, message)
