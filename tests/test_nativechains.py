"""The compiled chains of fused multiply-adds (``nativechains``): each step rounded once,
checked against exact fractions; refused where it fuses no step or misreads rows; and
used by a screen only where they round as this machine's BLAS does (its build and
cache: ``test_nativebuild``)."""

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.linear_model import LogisticRegression

from al_core.learning import gathered, nativechains
from al_core.learning.classmajor import coef_layout
from al_core.learning.scoring import rank_pool


def _rounded(value: Fraction, dtype) -> float:
    """``value`` rounded to the nearest ``dtype`` (ties to even), exactly."""
    near = np.array(float(value), dtype=dtype)  # within an ulp: float() rounds once
    candidates = [near, np.nextafter(near, dtype(np.inf)), np.nextafter(near, dtype(-np.inf))]
    gaps = [abs(Fraction(float(c)) - value) for c in candidates]
    best = min(gaps)
    ties = [c for c, g in zip(candidates, gaps, strict=True) if g == best]
    even = [c for c in ties if int(c.view(np.int64 if dtype == np.float64 else np.int32)) % 2 == 0]
    return float((even or ties)[0])


def _exact_chains(X, ids, B, dtype) -> np.ndarray:
    out = np.empty((len(ids), B.shape[1]))
    for r, i in enumerate(ids):
        for c in range(B.shape[1]):
            acc = 0.0
            for k in range(X.shape[1]):
                acc = _rounded(
                    Fraction(float(X[i, k])) * Fraction(float(B[k, c])) + Fraction(acc), dtype
                )
            out[r, c] = acc
    return out


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    rows=st.integers(0, 12),
    features=st.integers(1, 24),
    classes=st.integers(1, 12),
    log_scale=st.floats(-30.0, 30.0),
    dtype=st.sampled_from([np.float64, np.float32]),
)
def test_each_step_of_a_chain_is_rounded_once(seed, rows, features, classes, log_scale, dtype):
    """Rows picked by index (repeats too), features in order, every step the exact
    ``x * b + acc`` rounded once; values from tiny to huge, cancellations included."""
    chains = nativechains.kernel()
    assert chains is not None
    rng = np.random.default_rng(seed)
    X = (rng.normal(size=(15, features)) * 2.0**log_scale).astype(dtype)
    B = rng.normal(size=(features, classes)).astype(dtype)
    B[::3] *= -1.0 + 2.0**-20  # near-cancelling terms
    ids = rng.integers(0, 15, size=rows)
    got = chains(X, ids, B)
    assert got.dtype == dtype and got.shape == (rows, classes)
    np.testing.assert_array_equal(got, _exact_chains(X, ids, B, dtype))


def test_bad_arrays_are_refused_before_the_c_code_reads_them():
    chains = nativechains.kernel()
    assert chains is not None
    X, B, ids = np.ones((5, 3)), np.ones((3, 2)), np.array([0, 4])
    for bad in (
        (X.astype(np.float32), B, ids),  # float types differ
        (X, np.ones((4, 2)), ids),  # features differ
        (np.asfortranarray(np.ones((5, 3))), B, ids),  # not C-contiguous
        (X, B, np.array([0, 5])),  # a row past the end
        (X, B, np.array([-1])),
        (X, B, ids.astype(np.int32)),
        (X.astype(np.int64), B.astype(np.int64), ids),
    ):
        with pytest.raises(ValueError, match="wrong type, shape or layout"):
            chains(*bad)


def _unfused(X, ids, B):
    """Chains whose products are rounded before they are added."""
    out = np.zeros((len(ids), B.shape[1]), dtype=X.dtype)
    for k in range(X.shape[1]):
        out += X[ids, k : k + 1] * B[k]
    return out


def _rows_misread(X, ids, B):
    """Chains of the next rows."""
    return (X[(ids + 1) % len(X)] @ B).astype(X.dtype)


@pytest.mark.parametrize("wrong", [_unfused, _rows_misread], ids=["unfused", "rows misread"])
def test_a_kernel_that_chains_otherwise_is_not_used(fresh_kernel, monkeypatch, wrong):
    monkeypatch.setattr(nativechains, "_wrap", lambda library: wrong)
    assert nativechains.kernel() is None


def test_chains_are_used_only_where_they_round_as_blas(monkeypatch):
    """One last bit off on one row of a chunk, and the screen keeps gathered products."""
    chains = nativechains.kernel()
    assert chains is not None
    shapes = ((4_096, 12_288), 20, 10, "float64", "F")

    def one_bit_off(X, ids, B):
        out = chains(X, ids, B)
        out[np.flatnonzero(ids == 4_000), 3] = np.nextafter(
            out[np.flatnonzero(ids == 4_000), 3], np.inf
        )
        return out

    monkeypatch.setattr(nativechains, "kernel", lambda: one_bit_off)
    assert not gathered.fma_chains_match(*shapes)
    monkeypatch.setattr(nativechains, "kernel", lambda: None)
    assert not gathered.fma_chains_match(*shapes)  # not built, or AL_NATIVE=0


def test_a_screen_scores_its_candidates_by_chains_where_they_match(monkeypatch):
    """The benchmark's shapes: the candidates' exact scores from chains, every key at
    or above the cut the exact path's own, bit for bit."""
    rng = np.random.default_rng(3)
    X = rng.normal(size=(100_000, 20))
    model = LogisticRegression(max_iter=300).fit(X[:400], np.arange(400) % 10)
    shapes = ((100_000 - 65_536, 65_536), 20, 10, "float64", coef_layout(model, 20))
    if not gathered.fma_chains_match(*shapes):
        pytest.skip("this machine's BLAS does not sum as chains of fused multiply-adds")
    chains, calls = nativechains.kernel(), []

    def counted(X, ids, B):
        calls.append(ids.size)
        return chains(X, ids, B)

    monkeypatch.setattr(nativechains, "kernel", lambda: counted)
    blocked = (np.arange(400),)
    exact, _ = rank_pool(model, X, "least_confidence", blocked, 65_536, 0)
    rank_pool(model, X, "least_confidence", blocked, 65_536, 0, screen=True)
    calls.clear()  # the first screen checked these chains against BLAS first
    keys, cut = rank_pool(model, X, "least_confidence", blocked, 65_536, 0, screen=True)
    assert -np.inf < cut < np.inf and len(calls) == 1 and 0 < calls[0] < 1_000
    above = keys >= cut
    assert np.array_equal(keys[above], exact[above])
    assert np.array_equal(above, exact >= cut)
