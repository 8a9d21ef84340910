"""The quick lbfgs fit gives scikit-learn's models bit for bit, and only where it can."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression

from al_core.learning import lbfgs
from al_core.learning.lbfgs import can_fit_logistic, fit_logistic
from al_core.learning.models import fit_model, make_model


def _problem(seed: int, sparse: bool = False):
    rng = np.random.default_rng(seed)
    n, d, k = int(rng.integers(3, 250)), int(rng.integers(1, 25)), int(rng.integers(2, 7))
    dtype = np.float32 if seed % 3 == 0 else np.float64
    X = (rng.normal(size=(n, d)) * rng.choice([0.01, 1.0, 300.0])).astype(dtype)
    if sparse:  # a text pool's kind of matrix: mostly zeros, CSR
        X[rng.random(X.shape) < 0.8] = 0
        X = (sp.csr_matrix if seed % 2 else sp.csr_array)(X)
    y = rng.integers(0, k, n) * int(rng.choice([1, 5]))
    y[:2] = [0, 5]  # at least two classes
    params = {
        "max_iter": int(rng.choice([1, 3, 100, 2000])),
        "C": float(rng.choice([0.01, 1.0, 50.0])),
        "fit_intercept": bool(seed % 4),
        "tol": float(rng.choice([1e-4, 1e-8])),
    }
    return X, y, LogisticRegression(**params)


def _both_fits(estimator, X, y):
    """Our fit and scikit-learn's of the same problem (convergence warnings aside)."""
    assert can_fit_logistic(estimator, X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        theirs = LogisticRegression(**estimator.get_params()).fit(X, y)
        ours = fit_logistic(estimator, X, y)
    return ours, theirs


def _assert_same_fit(ours, theirs):
    assert type(ours) is type(theirs)
    assert vars(ours).keys() == vars(theirs).keys()
    for name, expected in vars(theirs).items():
        got = vars(ours)[name]
        if isinstance(expected, np.ndarray):
            assert got.dtype == expected.dtype, name
            assert got.shape == expected.shape, name
            # Bit for bit: the same floats, not merely close ones.
            assert got.tobytes() == expected.tobytes(), name
        else:
            assert got == expected, name


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
@pytest.mark.parametrize("seed", range(40))
def test_fit_is_scikit_learns_bit_for_bit(seed, sparse):
    X, y, estimator = _problem(seed, sparse)
    ours, theirs = _both_fits(estimator, X, y)
    _assert_same_fit(ours, theirs)
    np.testing.assert_array_equal(ours.predict_proba(X), theirs.predict_proba(X))


def test_fit_leaves_the_estimator_unfitted_and_warns_like_scikit_learn():
    X, y, _ = _problem(1)
    estimator = LogisticRegression(max_iter=1)
    with pytest.warns(ConvergenceWarning, match="failed to converge after 1 iteration"):
        model = fit_logistic(estimator, X, y)
    assert model is not estimator
    assert not hasattr(estimator, "coef_")
    assert model.get_params() == estimator.get_params()


def test_the_engine_fits_through_it_and_gets_the_same_model():
    X, y, _ = _problem(5)
    estimator = make_model("logistic_regression", seed=3)
    assert can_fit_logistic(estimator, X, y)
    _assert_same_fit(
        fit_model(estimator, X, y), LogisticRegression(**estimator.get_params()).fit(X, y)
    )


class _Subclass(LogisticRegression):
    pass


X_OK = np.arange(12, dtype=np.float64).reshape(6, 2)
Y_OK = np.array([0, 1, 0, 1, 2, 2])


@pytest.mark.parametrize(
    ("estimator", "X", "y"),
    [
        (_Subclass(), X_OK, Y_OK),
        (LogisticRegression(class_weight="balanced"), X_OK, Y_OK),
        (LogisticRegression(solver="newton-cg"), X_OK, Y_OK),
        (LogisticRegression(l1_ratio=0.5, solver="saga"), X_OK, Y_OK),
        (LogisticRegression(warm_start=True), X_OK, Y_OK),
        (LogisticRegression(C=np.inf), X_OK, Y_OK),
        (LogisticRegression(random_state=np.random.RandomState(0)), X_OK, Y_OK),
        (LogisticRegression(), sp.csc_matrix(X_OK), Y_OK),
        (LogisticRegression(), sp.csr_matrix(np.where(X_OK == 3, np.inf, X_OK)), Y_OK),
        (LogisticRegression(), np.asfortranarray(X_OK), Y_OK),
        (LogisticRegression(), X_OK.astype(np.int64), Y_OK),
        (LogisticRegression(), np.where(X_OK == 3, np.nan, X_OK), Y_OK),
        (LogisticRegression(), X_OK, np.zeros(6, dtype=int)),
        (LogisticRegression(), X_OK, Y_OK.astype(str)),
        (LogisticRegression(), X_OK, Y_OK[:5]),
    ],
    ids=[
        "subclass",
        "class_weight",
        "other_solver",
        "elastic_net",
        "warm_start",
        "no_penalty",
        "random_state_object",
        "csc",
        "inf_in_csr",
        "fortran_order",
        "integer_X",
        "nan_in_X",
        "one_class",
        "string_labels",
        "length_mismatch",
    ],
)
def test_anything_else_goes_to_scikit_learn(estimator, X, y):
    assert not can_fit_logistic(estimator, X, y)


def test_another_scikit_learn_release_goes_to_scikit_learn(monkeypatch):
    monkeypatch.setattr(lbfgs, "CHECKED_WITH", "0.0.0")
    assert not can_fit_logistic(LogisticRegression(), X_OK, Y_OK)


@pytest.mark.parametrize("checked", [True, False])
def test_the_driver_runs_only_under_the_checked_scipy(monkeypatch, checked):
    """Under another scipy release the fit goes through scipy's own minimize, and gives
    the same model either way."""
    calls = []
    real = lbfgs.minimize_lbfgsb
    monkeypatch.setattr(lbfgs, "minimize_lbfgsb", lambda *a, **k: calls.append(1) or real(*a, **k))
    if not checked:
        monkeypatch.setattr(lbfgs, "CHECKED_SCIPY", "0.0.0")
    X, y, _ = _problem(3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = fit_logistic(LogisticRegression(max_iter=100), X, y)
        expected = LogisticRegression(max_iter=100).fit(X, y)
    assert bool(calls) == checked
    assert np.array_equal(model.coef_, expected.coef_)
    assert np.array_equal(model.intercept_, expected.intercept_)


@settings(max_examples=150, deadline=None)
@given(
    data=st.data(),
    n=st.integers(2, 40),
    d=st.integers(1, 6),
    dtype=st.sampled_from([np.float64, np.float32]),
    y_dtype=st.sampled_from([np.int64, np.int32, np.int16, np.uint8]),
    fit_intercept=st.booleans(),
)
def test_any_small_problem_gives_scikit_learns_model_bit_for_bit(
    data, n, d, dtype, y_dtype, fit_intercept
):
    """Duplicate rows, constant columns, huge and tiny values, few rows per class."""
    values = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False, width=32)
    X = np.array(data.draw(st.lists(values, min_size=n * d, max_size=n * d)), dtype=dtype)
    X = X.reshape(n, d)
    y = np.array(data.draw(st.lists(st.integers(0, 4), min_size=n, max_size=n)), dtype=y_dtype)
    assume(np.unique(y).size >= 2)
    estimator = LogisticRegression(max_iter=200, fit_intercept=fit_intercept)
    _assert_same_fit(*_both_fits(estimator, X, y))


def _rosenbrock(x, scale):
    value = float(scale * np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2))
    grad = np.zeros_like(x)
    grad[:-1] = scale * (-400.0 * x[:-1] * (x[1:] - x[:-1] ** 2) - 2 * (1 - x[:-1]))
    grad[1:] += scale * 200.0 * (x[1:] - x[:-1] ** 2)
    return value, grad


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("maxiter", [1, 5, 15_000])
@pytest.mark.parametrize("seed", range(6))
def test_the_driver_replays_scipys_minimize(seed, maxiter, dtype):
    """The same iterates, iteration count, status and message as scipy's own driver,
    also away from logistic losses (a curved valley), from float32 and float64 starts."""
    from scipy import optimize

    from al_core.learning.lbfgsb_driver import minimize_lbfgsb

    x0 = np.random.default_rng(seed).normal(size=3 + seed).astype(dtype)
    options = {"maxiter": maxiter, "maxls": 50, "gtol": 1e-6, "ftol": 64 * np.finfo(float).eps}
    ours = minimize_lbfgsb(_rosenbrock, x0, 0.5, **options)
    theirs = optimize.minimize(
        _rosenbrock, x0, args=(0.5,), method="L-BFGS-B", jac=True, options=options
    )
    assert np.array_equal(ours.x, theirs.x)
    assert (ours.nit, ours.status, ours.message) == (theirs.nit, theirs.status, theirs.message)
