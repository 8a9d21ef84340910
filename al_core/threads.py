"""Pinning BLAS and OpenMP to one thread, for small fits on a small machine.

A step fits a model on a few hundred rows and reads the pool once: extra threads cost
more in start-up and, when another process is busy (the browser, a second annotator),
OpenMP's spinning threads make a step several times slower. The limit only reaches
libraries already loaded, so the scientific stack is imported first.
"""

from __future__ import annotations


def pin_threads(n: int = 1) -> None:
    """Limit numpy's BLAS, SciPy's BLAS and scikit-learn's OpenMP to ``n`` threads."""
    import scipy.optimize  # noqa: F401  (loads SciPy's own BLAS)
    import sklearn.linear_model  # noqa: F401  (loads scikit-learn's OpenMP runtime)
    from threadpoolctl import threadpool_limits

    threadpool_limits(n)
