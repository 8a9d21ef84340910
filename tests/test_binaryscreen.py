"""The two-class screen: the compiled keys within their bound of BLAS's, every row that a
query can take keyed exactly, and the same queries as keying the pool exactly."""

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.linear_model import LogisticRegression

from al_core.learning import binaryscreen, nativekeys, rowtiles, screenpool
from al_core.learning.keytop import KeyTopFinder
from al_core.learning.roundoff import U32, U64, decision_error
from al_core.learning.scoring import keys_are_scores, rank_pool
from al_core.learning.strategies import select_top_k


@pytest.fixture
def small_pools(monkeypatch):
    """Pools of a few thousand rows screened, so that tests stay quick."""
    monkeypatch.setattr(screenpool, "SCREEN_MIN_ROWS", 1_000)


def _pool(seed, n, features, duplicates=0):
    """A two-class pool and a model fitted on its first 200 rows; ``duplicates`` copies
    of one row spread over it, so that keys tie."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, features)) + rng.normal(size=features)
    y = (X[:, 0] + 0.5 * rng.normal(size=n) > X[:, 0].mean()).astype(int)
    if duplicates:
        X[rng.choice(np.arange(200, n), duplicates, replace=False)] = X[n // 2]
    model = LogisticRegression(max_iter=500).fit(X[:200], y[:200])
    return np.ascontiguousarray(X), model


@settings(max_examples=80, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    rows=st.integers(1, 300),
    features=st.integers(1, 80),
    scale=st.sampled_from([1e-8, 1e-5, 1e-2]),
    top=st.integers(1, 40),
    margin=st.sampled_from([0.0, 1e-6, 0.1, 10.0]),
    skipped=st.floats(0.0, 1.0),
)
def test_the_kernel_keys_and_gathers_every_row_near_the_top(
    seed, rows, features, scale, top, margin, skipped
):
    """Any shape (rows not a multiple of its 16-row tiles): keys within float32's
    rounding of ``-|Q @ w + c|``, ``-inf`` where skipped; every row within ``margin`` of
    the ``top``-th largest key gathered, in order, with its key."""
    row_keys = nativekeys.kernel()
    assert row_keys is not None
    rng = np.random.default_rng(seed)
    Q = rng.integers(-rowtiles.QMAX, rowtiles.QMAX + 1, size=(rows, features))
    w, c = (rng.normal(size=features) * scale).astype(np.float32), rng.normal()
    skip, keys = rng.random(rows) < skipped, np.full(rows, np.nan)
    found = row_keys(rowtiles.tile(Q), w, c, skip, keys, top, margin)
    assert found is not None
    w64 = w.astype(np.float64)
    want = -np.abs(Q @ w64 + c)
    # float32's sum of the products, float64's addition of c
    bound = (features + 2) * U32 * (np.abs(Q) @ np.abs(w64)) + 2 * U64 * np.abs(want)
    free = ~skip
    assert np.all(np.abs(keys[free] - want[free]) <= bound[free])
    assert np.all(keys[skip] == -np.inf)
    rows_found, keys_found = found
    assert np.all(np.diff(rows_found) > 0)
    np.testing.assert_array_equal(keys_found, keys[rows_found])
    assert not skip[rows_found].any()
    if free.sum() >= top:
        floor = np.sort(keys[free])[-top] - margin
        assert np.isin(np.flatnonzero(free & (keys >= floor)), rows_found).all()
    else:
        np.testing.assert_array_equal(rows_found, np.flatnonzero(free))


def _rows(seed, rows, features, spread, grid=False):
    """Rows of any magnitude and offset: normal ones times ``spread``, shifted, a few
    outliers, and a constant feature; or, on a ``grid``, integers times ``spread`` (a
    power of two) spanning exactly ``[-QMAX, QMAX]``, which quantize without error, so
    that only the float32 sum's rounding remains."""
    rng = np.random.default_rng(seed)
    if grid:
        X = rng.integers(-rowtiles.QMAX, rowtiles.QMAX + 1, size=(rows, features)) * spread
        X[:2] = [[-rowtiles.QMAX * spread], [rowtiles.QMAX * spread]][: len(X[:2])]
        return X
    X = rng.normal(size=(rows, features)) * spread + rng.normal(size=features) * spread * 10
    if rows > 3:
        X[rng.integers(rows, size=3), rng.integers(features, size=3)] *= 1e3
    X[:, rng.integers(features)] = rng.normal() * spread
    return X


@settings(max_examples=60, deadline=None)
@given(
    rows=st.integers(0, 100),
    features=st.integers(1, 9),
    seed=st.integers(0, 2**16),
    spread=st.sampled_from([1e-300, 1e-6, 1.0, 1e6, 1e300]),
)
def test_quantized_tiles_hold_every_row_within_their_error(rows, features, seed, spread):
    X = _rows(seed, rows, features, spread)
    tiles = rowtiles.tile_rows(X)
    width = rowtiles.TILE_ROWS
    assert tiles.q.shape == (-(-rows // width), features, width)
    assert tiles.q.dtype == np.int16 and tiles.q.flags.c_contiguous
    back = tiles.q.transpose(0, 2, 1).reshape(-1, features)
    assert not back[rows:].any()  # the last tile's rows past the pool
    assert np.abs(back).max(initial=0) <= rowtiles.QMAX
    assert np.all(tiles.scale > 0)
    # Exact residuals, with the stored values as fractions (float64 subtractions round).
    for i in range(rows):
        for j in range(features):
            exact = Fraction(X[i, j]) - (
                Fraction(tiles.offset[j]) + Fraction(tiles.scale[j]) * int(back[i, j])
            )
            assert abs(exact) <= Fraction(tiles.error[j])
        assert np.all(np.abs(tiles.scale * back[i]) <= tiles.span)
    # The quantization's error: about half a step of 65,534 across the range, and no
    # more than float64's rounding of the values for a constant feature.
    size = np.abs(X).max(axis=0, initial=0)
    steps = np.ptp(X, axis=0) / 65_534 if rows else np.zeros(features)
    assert np.all(tiles.error <= 0.5 * steps * 1.001 + 1e-14 * size)


@settings(max_examples=60, deadline=None)
@given(
    rows=st.integers(1, 70),
    features=st.integers(1, 30),
    seed=st.integers(0, 2**16),
    spread=st.sampled_from([2.0**-100, 2.0**-10, 1.0, 2.0**10, 2.0**80]),
    weight=st.sampled_from([1e-30, 1e-3, 1.0, 1e3]),
    grid=st.booleans(),
)
def test_the_kernels_decision_is_within_the_tiles_bound(rows, features, seed, spread, weight, grid):
    """Against the exact decision (fractions) of any model on any rows: the kernel's
    key from quantized rows is within ``RowTiles.decision_error`` of the exact key (on
    a grid, where the quantization is exact, the float32 sum's rounding is what the
    bound must cover)."""
    row_keys = nativekeys.kernel()
    assert row_keys is not None
    rng = np.random.default_rng(seed)
    X = _rows(seed, rows, features, spread, grid)
    coef = rng.normal(size=features) * weight
    intercept = float(rng.normal() * weight * spread)
    tiles = rowtiles.tile_rows(X)
    bound = tiles.decision_error(coef, intercept)
    if not np.isfinite(bound):
        assert np.abs(coef) @ np.abs(X).max(axis=0) > 1e30  # only where float32 overflows
        return
    keys = np.empty(rows)
    assert row_keys(tiles.q, *tiles.weights(coef, intercept), None, keys, 1, 0.0) is not None
    for i in range(rows):
        exact = Fraction(intercept) + sum(
            Fraction(c) * Fraction(x) for c, x in zip(coef, X[i], strict=True)
        )
        assert abs(Fraction(keys[i]) + abs(exact)) <= Fraction(bound)


def test_the_tiles_bound_is_a_few_times_float32s():
    """The quantization costs at most about ten times a float32 copy's bound, which
    scales with the same magnitudes (so few more rows need their exact keys)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(5_000, 20)) + rng.normal(size=20)
    model = LogisticRegression().fit(X[:300], X[:300, 0] > 0)
    coef, intercept = model.coef_[0], float(model.intercept_[0])
    tiles = rowtiles.tile_rows(X)
    float32 = decision_error(model, np.abs(X).max(axis=0), U32)
    assert float32 < tiles.decision_error(coef, intercept) < 12 * float32


def test_tiles_are_made_once_per_float64_pool_and_only_for_one(small_pools):
    X = np.random.default_rng(0).normal(size=(1_500, 4))
    assert screenpool.row_tiles(X) is screenpool.row_tiles(X)
    assert screenpool.row_tiles(X.astype(np.float32)) is None  # read as it is
    assert screenpool.row_tiles(X[:999]) is None  # below the screened size
    assert screenpool.row_tiles(np.asfortranarray(X)) is None
    X[7, 2] = np.inf
    assert screenpool.row_tiles(X.copy()) is None


def test_bad_arrays_are_refused_before_the_kernel_reads_them():
    row_keys = nativekeys.kernel()
    tiles, keys = np.zeros((4, 4, 16), dtype=np.int16), np.empty(50)
    w = np.zeros(4, dtype=np.float32)
    for bad in (
        (tiles.astype(np.float32), w, keys),  # float32 tiles (stop 38's)
        (np.asfortranarray(tiles), w, keys),
        (tiles[:, :, :8].copy(), w, keys),  # tiles of 8 rows
        (tiles.reshape(4, 64), w, keys),  # a transposed copy
        (tiles, w[:3], keys),
        (tiles, np.zeros(5, dtype=np.float32), keys),  # stop 38's weights, the intercept last
        (tiles, w.astype(np.float64), keys),
        (tiles, w, np.empty(65)),  # more rows than the tiles hold
        (tiles, w, np.empty(48)),  # a whole tile fewer
    ):
        with pytest.raises(ValueError, match="wrong type, shape or layout"):
            row_keys(bad[0], bad[1], 0.0, None, bad[2], 5, 0.0)
    with pytest.raises(ValueError, match="wrong type, shape or layout"):
        row_keys(tiles, w, 0.0, np.zeros(49, bool), keys, 5, 0.0)


def test_thousands_of_ties_at_the_top_leave_the_exact_path(small_pools):
    """Rows tied within the margin by the thousand overflow what the kernel keeps: the
    screen steps aside and the pool is keyed exactly."""
    X, model = _pool(1, 12_000, 6, duplicates=6_000)
    X[200:] = X[5_000]  # every free row the same
    out = np.empty(X.shape[0])
    assert binaryscreen.screened_binary_rank(model, X, 65_536, out, (np.arange(200),)) is None
    rank, cut = rank_pool(model, X, "margin", (np.arange(200),), 65_536, 0, screen=True)
    exact, _ = rank_pool(model, X, "margin", (np.arange(200),), 65_536, 0)
    assert cut == np.inf
    np.testing.assert_array_equal(rank, exact)


@pytest.mark.parametrize("duplicates", [0, 300])
@pytest.mark.parametrize("chunk_rows", [65_536, 2_500])
@pytest.mark.parametrize("features", [1, 7, 20, 65])
def test_the_screen_keys_every_row_above_its_cut_exactly(
    small_pools, duplicates, chunk_rows, features
):
    """Against the exact keys of the chunks' own products: a key at or above the cut is
    the exact key, exactly the rows whose exact key reaches the cut are keyed so, at
    least ``top`` of them, and the largest key and its tied rows are the exact ones."""
    X, model = _pool(features + duplicates, 9_000, features, duplicates)
    blocked = (np.arange(200), np.arange(3_000, 3_500))
    exact, exact_cut = rank_pool(model, X, "least_confidence", blocked, chunk_rows, 0)
    assert exact_cut == np.inf
    top, found = KeyTopFinder(), KeyTopFinder()
    screened, cut = rank_pool(
        model, X, "least_confidence", blocked, chunk_rows, 0, screen=True, screen_top=50, top=top
    )
    found.add_block(exact, 0)
    assert -np.inf < cut < np.inf
    above = screened >= cut
    np.testing.assert_array_equal(above, exact >= cut)
    np.testing.assert_array_equal(screened[above], exact[above])
    assert above.sum() >= 50
    assert np.all(screened[np.concatenate(blocked)] == -np.inf)
    want, got = found.result(exact), top.result(screened)
    assert got.value == want.value
    np.testing.assert_array_equal(got.rows, want.rows)
    for k in (1, 10, 50):
        for seed in range(3):
            np.testing.assert_array_equal(
                select_top_k(screened, k, seed), select_top_k(exact, k, seed)
            )


@pytest.mark.parametrize("kind", ["far_from_zero", "outliers", "constant", "integers"])
def test_the_screen_queries_as_the_exact_keys_on_awkward_features(small_pools, kind):
    """Features the quantization handles worst or best: a year-like feature far from
    zero, outliers that stretch a range a thousandfold, a constant feature, and small
    integers (exactly on the grid). The screen's ranking agrees with the exact one
    wherever it is exact, and the queries are the same."""
    X, _ = _pool(11, 8_000, 6)
    rng = np.random.default_rng(11)
    if kind == "far_from_zero":
        X[:, 1] = 2_000.0 + np.round(rng.normal(size=len(X)) * 10, 2)
    elif kind == "outliers":
        X[rng.choice(len(X), 5, replace=False), 2] *= 1e3
    elif kind == "constant":
        X[:, 3] = 7.25
    else:
        X[:, :] = rng.integers(-3, 4, size=X.shape)
        X[:, 0] += rng.normal(size=len(X))  # keys still spread out
    y = (X[:, 0] + 0.5 * rng.normal(size=len(X)) > X[:, 0].mean()).astype(int)
    model = LogisticRegression(max_iter=500).fit(X[:200], y[:200])
    blocked = (np.arange(200),)
    exact, _ = rank_pool(model, X, "least_confidence", blocked, 65_536, 0)
    screened, cut = rank_pool(model, X, "least_confidence", blocked, 65_536, 0, screen=True)
    assert -np.inf < cut < np.inf
    above = screened >= cut
    np.testing.assert_array_equal(above, exact >= cut)
    np.testing.assert_array_equal(screened[above], exact[above])
    for k in (1, 10, 50):
        np.testing.assert_array_equal(select_top_k(screened, k, 0), select_top_k(exact, k, 0))


@pytest.mark.parametrize("strategy", ["least_confidence", "margin", "entropy"])
def test_a_screened_session_queries_and_shows_as_an_exact_one(monkeypatch, small_pools, strategy):
    """Labels given one by one, a batch that reaches below the cut, rows held out: the
    same rows as with the screen off, and the strategy's scores shown (not the keys)."""
    from al_core import MISSING_LABEL, Dataset, LabelingSession, SessionConfig

    X, model = _pool(3, 6_000, 9, duplicates=40)
    y = (X[:, 0] > X[:, 0].mean()).astype(int)
    known = np.full(len(y), MISSING_LABEL)
    known[:30] = y[:30]

    def session():
        data = Dataset("p", X, tuple(f"f{i}" for i in range(9)), ("a", "b"), y=known)
        config = SessionConfig(budget=None, n_test_to_label=40, seed=2, strategy=strategy)
        s = LabelingSession(data, config)
        pending = s.test_ids_pending
        s.label_many(pending, y[pending])  # the test set, labeled at once
        return s

    def steps(s):
        shown = []
        for _ in range(6):
            q = s.query()
            cuts.append(s._rank_cut)
            shown.append((q.ids.tolist(), q.scores.tolist()))
            s.label(int(q.ids[0]), int(y[q.ids[0]]))
        q = s.query(k=200)  # past the screen's top: scored exactly again
        shown.append((q.ids.tolist(), q.scores.tolist()))
        q = s.query(k=3, exclude=q.ids[:5].tolist())
        shown.append((q.ids.tolist(), q.scores.tolist()))
        return shown, s.score_of(int(q.ids[0]))

    cuts = []
    screened = session()
    with_screen = steps(screened)
    assert not keys_are_scores(screened.model)
    assert all(-np.inf < cut < np.inf for cut in cuts[1:])  # the first query: cold start
    cuts.clear()
    monkeypatch.setenv("AL_NATIVE", "0")
    without = steps(session())
    assert all(cut == np.inf for cut in cuts[1:])
    assert with_screen == without
    ids, scores = with_screen[0][0]
    assert all(0.0 <= s <= 1.0 for s in scores)


def test_without_the_kernel_the_pool_is_keyed_exactly(monkeypatch, small_pools):
    X, model = _pool(4, 5_000, 5)
    monkeypatch.setenv("AL_NATIVE", "0")
    assert nativekeys.kernel() is None
    _, cut = rank_pool(model, X, "least_confidence", (), 65_536, 0, screen=True)
    assert cut == np.inf


@pytest.mark.parametrize("kind", ["sparse", "float32", "fortran"])
def test_pools_the_kernel_does_not_read_are_keyed_exactly(small_pools, kind):
    """A text's sparse words, float32 rows (already read at a sum's speed by BLAS) and a
    pool not stored row by row (no float32 copy is made of it) are keyed by BLAS's
    product, as before."""
    from scipy import sparse

    X, model = _pool(5, 4_000, 6)
    pool = {
        "sparse": sparse.csr_matrix(np.where(X > 0.5, X, 0.0)),
        "float32": X.astype(np.float32),
        "fortran": np.asfortranarray(X),
    }[kind]
    _, cut = rank_pool(model, pool, "least_confidence", (), 65_536, 0, screen=True)
    assert cut == np.inf


def test_a_kernel_that_keys_wrongly_is_not_used(fresh_kernel, monkeypatch):
    wrap = nativekeys._wrap

    def off_by_much(library):
        row_keys = wrap(library)

        def wrong(tiles, w, c, skip, keys, top, margin):
            found = row_keys(tiles, w, c, skip, keys, top, margin)
            keys *= 1.0 + 1e-5
            return found

        return wrong

    monkeypatch.setattr(nativekeys, "_wrap", off_by_much)
    assert nativekeys.kernel() is None
