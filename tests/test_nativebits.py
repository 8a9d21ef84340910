"""The compiled kernel of the bit screen: the same sums as the numpy passes, refused
where it sums otherwise, and the screen's queries the same with it or without (its build
and cache: ``test_nativebuild``)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from al_core.learning import nativebits, screening
from al_core.learning.bitexp import BIAS, SCALE


def _inputs(rng, rows, features, classes, weight_scale=1.0, offset=0.0):
    XT = np.ones((features + 1, rows), dtype=np.float32)
    XT[:-1] = rng.normal(size=(features, rows)) + offset
    w = (rng.normal(size=(classes, features + 1)) * weight_scale * SCALE).astype(np.float32)
    return XT, w


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    rows=st.integers(1, 200),
    features=st.integers(1, 70),
    classes=st.integers(2, 70),
    weight_scale=st.sampled_from([1e-3, 0.1, 1.0, 10.0, 100.0]),
    offset=st.floats(-20.0, 20.0),
)
def test_the_kernel_sums_as_the_numpy_passes_do(
    seed, rows, features, classes, weight_scale, offset
):
    """Any shape (rows not a multiple of its 16 lanes, classes past its unrolled cases),
    decisions from near-equal to thousands apart (terms below float32's range): the
    sums and second largest terms of the numpy passes, up to the order of additions."""
    bit_sums = nativebits.kernel()
    assert bit_sums is not None
    rng = np.random.default_rng(seed)
    XT, w = _inputs(
        rng, rows + 20, features, min(classes, nativebits.MAX_CLASSES), weight_scale, offset
    )
    start, stop = 7, 7 + rows
    sums, second = np.empty(rows, np.float32), np.empty(rows, np.float32)
    bit_sums(XT, w, start, stop, sums, second)
    want_sums, want_second = nativebits.numpy_bit_sums(XT, w, start, stop)
    # Each side's scaled decisions are within (features + 2) ulps of the largest
    # sum_k |w_k x_k| of exact (any order of additions), and so are their shifts by the
    # largest: each term within that many units of 2**-23 in its exponent, plus the
    # cast's truncation; the sums within that too, and their own roundings.
    # The shift to BIAS rounds at BIAS's magnitude: a last-bit difference of a decision
    # can move a term by one ulp there.
    reach = np.abs(w.astype(np.float64)) @ np.abs(XT[:, start:stop].astype(np.float64))
    ulp = 2.0 ** (np.floor(np.log2(reach.max())) - 23)
    shifted_ulp = 2.0 ** (np.floor(np.log2(float(BIAS) + 2 * reach.max())) - 23)
    units = 4 * (features + 2) * ulp + 2 * shifted_ulp + 2
    rtol = 2.0 ** (units * 2.0**-23) - 1 + 4 * w.shape[0] * 2.0**-24
    np.testing.assert_allclose(sums, want_sums, rtol=rtol, atol=0)
    np.testing.assert_allclose(second, want_second, rtol=rtol, atol=0)
    alone = np.empty(rows, np.float32)
    bit_sums(XT, w, start, stop, alone)  # without the second largest terms
    np.testing.assert_array_equal(alone, sums)
    # A float32 pool read as it is, row by row, its intercepts apart.
    X, w_rows, b = np.ascontiguousarray(XT[:-1].T), np.ascontiguousarray(w[:, :-1]), w[:, -1].copy()
    if features <= nativebits.MAX_FEATURES:
        by_rows, second_rows = np.empty(rows, np.float32), np.empty(rows, np.float32)
        bit_sums(X, w_rows, start, stop, by_rows, second_rows, None, b)
        np.testing.assert_allclose(by_rows, want_sums, rtol=rtol, atol=0)
        np.testing.assert_allclose(second_rows, want_second, rtol=rtol, atol=0)
    # Least confidence's upper bounds, as bounds_from_sums writes them from these sums.
    skip, hi = rng.random(rows) < 0.25, np.empty(rows)
    neg_lower, c_hi = -float(rng.uniform(0.8, 1.2)), float(rng.uniform(1.0, 1.1))
    bit_sums(XT, w, start, stop, alone, None, (skip, hi, neg_lower, c_hi))
    want = np.where(skip, np.float32(0), sums)
    np.testing.assert_array_equal(alone, want)
    with np.errstate(divide="ignore"):
        np.testing.assert_array_equal(hi, np.divide(neg_lower, want, dtype=np.float64) + c_hi)
    assert np.all(hi[skip] == -np.inf)


def test_bad_arrays_are_refused_before_the_c_code_reads_them():
    bit_sums = nativebits.kernel()
    assert bit_sums is not None
    XT, w = _inputs(np.random.default_rng(0), 100, 4, 3)
    sums = np.empty(100, np.float32)
    with pytest.raises(ValueError, match="wrong type, shape or layout"):
        bit_sums(XT.astype(np.float64), w, 0, 100, sums)
    with pytest.raises(ValueError, match="wrong type, shape or layout"):
        bit_sums(XT, np.asfortranarray(w), 0, 100, sums)
    with pytest.raises(ValueError, match="wrong type, shape or layout"):
        bit_sums(XT, w, 0, 101, np.empty(101, np.float32))
    with pytest.raises(ValueError, match="wrong type, shape or layout"):
        bit_sums(XT, w[:, :-1].copy(), 0, 100, sums)
    with pytest.raises(ValueError, match="wrong type, shape or layout"):
        bit_sums(XT, w[:1].copy(), 0, 100, sums)
    skip, hi = np.zeros(100, bool), np.empty(100)
    with pytest.raises(ValueError, match="wrong type, shape or layout"):
        bit_sums(XT, w, 0, 100, sums, None, (skip.view(np.uint8), hi, -1.0, 1.0))
    with pytest.raises(ValueError, match="wrong type, shape or layout"):
        bit_sums(XT, w, 0, 100, sums, None, (skip, np.empty(200)[::2], -1.0, 1.0))


def test_a_kernel_that_sums_wrongly_is_not_used(fresh_kernel, monkeypatch):
    """The check at load time compares the kernel with the numpy passes."""
    wrap = nativebits._wrap

    def off_by_a_bit(library):
        bit_sums = wrap(library)

        def wrong(XT, w, start, stop, sums, *rest):
            bit_sums(XT, w, start, stop, sums, *rest)
            sums *= np.float32(1.001)

        return wrong

    monkeypatch.setattr(nativebits, "_wrap", off_by_a_bit)
    assert nativebits.kernel() is None


@pytest.mark.parametrize("strategy", ["least_confidence", "margin"])
@pytest.mark.parametrize("n_classes", [3, 10, 17])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_the_screen_queries_the_same_with_the_kernel_or_without(
    monkeypatch, strategy, n_classes, dtype
):
    """The kernel's sums may differ from the numpy passes' in a last bit (another order of
    additions), and with them a bound below the cut; never a key at or above either
    cut, which is the exact score, nor the rows a query takes."""
    monkeypatch.setattr(screening, "SCREEN_TOP", 40)
    monkeypatch.setattr(screening, "FLOAT32_SCREEN", True)  # numpy's passes too
    monkeypatch.setattr(screening, "FLOAT32_STRATEGIES", ("least_confidence", "margin"))
    monkeypatch.setattr(screening, "FLOAT32_MIN_CLASSES", 3)
    from sklearn.datasets import make_classification
    from sklearn.linear_model import LogisticRegression

    from al_core.learning.scoring import rank_pool
    from al_core.learning.screenpool import SCREEN_MIN_ROWS
    from al_core.learning.strategies import select_top_k

    X, y = make_classification(
        SCREEN_MIN_ROWS + 1_000, 12, n_informative=8, n_classes=n_classes, random_state=n_classes
    )
    X = X.astype(dtype)
    model = LogisticRegression(max_iter=300).fit(X[:400], y[:400])
    blocked = (np.arange(400),)

    def keys(screen=True):
        return rank_pool(
            model, X, strategy, blocked, 8_192, np.random.default_rng(0), screen=screen
        )

    assert nativebits.kernel() is not None
    with_kernel, cut = keys()
    exact, _ = keys(screen=False)
    monkeypatch.setenv("AL_NATIVE", "0")
    without, cut_without = keys()
    assert -np.inf < cut < np.inf and -np.inf < cut_without < np.inf
    for ranked, its_cut in ((with_kernel, cut), (without, cut_without)):
        above = ranked >= its_cut
        np.testing.assert_array_equal(ranked[above], exact[above])
        np.testing.assert_array_equal(above, exact >= its_cut)
    for k in (1, 5, 30):
        for seed in range(3):
            chosen = select_top_k(with_kernel, k, seed)
            assert with_kernel[chosen[-1]] >= cut
            np.testing.assert_array_equal(chosen, select_top_k(without, k, seed))
            np.testing.assert_array_equal(chosen, select_top_k(exact, k, seed))
