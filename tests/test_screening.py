"""The screen of a large multiclass pool (float64, or float32 for least confidence and
margin) queries exactly the rows exact scores query, ties included, and keys exactly the
rows that can be queried with their scores."""

import gc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.linear_model import LogisticRegression

from al_core import MISSING_LABEL, Dataset, LabelingSession, SessionConfig
from al_core.learning import bitexp, classmajor, gathered, roundoff, screening, screenpool
from al_core.learning.scoring import rank_pool
from al_core.learning.strategies import select_top_k

STRATEGIES = ["least_confidence", "margin", "entropy"]
DTYPES = [np.float64, np.float32]


def _screened(strategy, dtype) -> bool:
    """Whether the screen applies: a float32 pool's exact entropy is float32 already."""
    return dtype == np.float64 or strategy in bitexp.BIT_STRATEGIES


@pytest.fixture
def small_screen(monkeypatch):
    """Screen pools of a few thousand rows, keeping 40 sure rows, so that tests reach
    both the cut and the exact pass after it."""
    monkeypatch.setattr(screenpool, "SCREEN_MIN_ROWS", 1_000)
    monkeypatch.setattr(screening, "SCREEN_TOP", 40)
    # float32 pools wherever the bit bounds apply, not only where they are quicker
    monkeypatch.setattr(screening, "FLOAT32_SCREEN", True)
    monkeypatch.setattr(screening, "FLOAT32_STRATEGIES", bitexp.BIT_STRATEGIES)
    monkeypatch.setattr(screening, "FLOAT32_MIN_CLASSES", 3)


@pytest.fixture(params=["compiled", "numpy"])
def kernel(request, monkeypatch):
    """The bit screen's sums from the compiled kernel (``nativebits``) or numpy's passes."""
    if request.param == "numpy":
        monkeypatch.setenv("AL_NATIVE", "0")
    return request.param


def _pool(seed: int, n: int = 4_000, n_classes: int = 6, scale: float = 3.0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    X = np.round(rng.normal(size=(n, 8)) * scale, 1).astype(dtype)  # coarse: many exact ties
    X[: n // 5] = X[0]  # and many identical rows
    y = rng.integers(0, n_classes, size=n)
    model = LogisticRegression(max_iter=300).fit(X[-300:], np.arange(300) % n_classes)
    return X, y, model


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("seed", range(4))
def test_keys_at_or_above_the_cut_are_exactly_the_rows_scored_there(
    small_screen, kernel, strategy, seed, dtype
):
    X, _, model = _pool(seed, n_classes=3 + seed * 3, dtype=dtype)
    blocked = (np.arange(3_700, 4_000),)  # the rows the model was fitted on
    exact, cut_exact = rank_pool(model, X, strategy, blocked, 1_024, np.random.default_rng(0))
    keys, cut = rank_pool(model, X, strategy, blocked, 1_024, np.random.default_rng(0), screen=True)
    if not _screened(strategy, dtype):
        assert cut == cut_exact == -np.inf and np.array_equal(keys, exact)
        return
    assert cut_exact == -np.inf and -np.inf < cut < np.inf
    above = keys >= cut
    assert np.array_equal(keys[above], exact[above])  # bit for bit
    assert np.array_equal(above, exact >= cut)  # and no row that reaches the cut is missed
    free = np.isfinite(exact)
    assert np.all(keys[free] >= exact[free])  # every other key is an upper bound
    spared = keys[free] != exact[free]  # keyed by a bound, never scored exactly
    assert spared.sum() > 0.5 * free.sum()


@pytest.mark.parametrize("strategy", bitexp.BIT_STRATEGIES)
@pytest.mark.parametrize(
    ("seed", "n_classes", "scale", "C", "tight"),
    [
        (0, 3, 1.0, 1.0, True),
        (1, 4, 3.0, 10.0, True),
        (2, 7, 2.0, 100.0, True),
        (3, 10, 8.0, 1.0, True),
        (4, 12, 1.0, 1e4, True),
        # Decisions thousands apart: terms below float32's range, and bounds loosened by
        # the rounding of sums of terms of that size.
        (5, 5, 10.0, 1e3, False),
        (6, 8, 20.0, 1e4, False),
        (7, 9, 0.01, 1.0, True),  # all rows near the uniform distribution
    ],
)
@pytest.mark.parametrize("dtype", DTYPES)
def test_the_bit_bounds_hold_on_every_row(
    small_screen, kernel, strategy, seed, n_classes, scale, C, tight, dtype
):
    rng = np.random.default_rng(seed)
    X = (rng.normal(size=(3_000, 6)) * scale).astype(dtype)
    X[:500] = X[0]  # ties
    y = np.argmax(X @ rng.normal(size=(6, n_classes)) + rng.gumbel(size=(3_000, n_classes)), 1)
    model = LogisticRegression(max_iter=500, C=C).fit(X[-300:], y[-300:])
    exact, _ = rank_pool(model, X, strategy, (), 1_024, np.random.default_rng(0))
    bounds = screening.row_bounds(model, X, strategy)
    assert bounds is not None
    lo, hi = bounds
    assert np.all(lo <= exact) and np.all(exact <= hi)
    if tight:
        assert np.median(hi - lo) < 0.07  # a factor 1.07 on S, little more


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_classes=st.integers(3, 12),
    log_scale=st.floats(-2.0, 2.0),
    log_weight=st.floats(-2.0, 2.0),
    offset=st.floats(-50.0, 50.0),
    strategy=st.sampled_from(bitexp.BIT_STRATEGIES),
    dtype=st.sampled_from(DTYPES),
)
def test_the_bit_bounds_hold_for_any_weights(
    seed, n_classes, log_scale, log_weight, offset, strategy, dtype
):
    """Random weights and intercepts (no fit): decisions from near-uniform to hundreds
    apart, features far from zero; the bounds hold on every row or the screen declines."""
    rng = np.random.default_rng(seed)
    X = (rng.normal(size=(1_200, 5)) * 10.0**log_scale + offset).astype(dtype)
    X[:100] = X[0]  # ties
    model = LogisticRegression().fit(X[:60], np.arange(60) % n_classes)
    model.coef_ = (rng.normal(size=model.coef_.shape) * 10.0**log_weight).astype(dtype)
    model.intercept_ = (rng.normal(size=n_classes) * 10.0**log_weight).astype(dtype)
    bounds = _row_bounds_small(model, X, strategy)
    if bounds is None:  # too loose to spare rows: the screen declines, nothing to check
        return
    exact, _ = rank_pool(model, X, strategy, (), 1_024, np.random.default_rng(0))
    lo, hi = bounds
    assert np.all(lo <= exact) and np.all(exact <= hi)


def _row_bounds_small(model, X, strategy):
    old = screenpool.SCREEN_MIN_ROWS
    screenpool.SCREEN_MIN_ROWS = 1_000  # hypothesis runs outside the fixture's scope
    try:
        return screening.row_bounds(model, X, strategy)
    finally:
        screenpool.SCREEN_MIN_ROWS = old


def test_the_bit_exponential_is_within_its_factor():
    """2**floor(w) (1 + frac(w)) lies within [2**w, RHO 2**w], and RHO is that maximum."""
    w = np.linspace(-126.0, 0.0, 2_000_001)
    approx = 2.0 ** np.floor(w) * (1.0 + (w - np.floor(w)))
    ratio = approx / 2.0**w
    assert ratio.min() >= 1.0 - 1e-15 and ratio.max() <= bitexp.RHO
    assert ratio.max() > bitexp.RHO - 1e-9
    # and the float bits of 127 * 2**23 + 2**23 w are that value
    bits = (bitexp.BIAS + np.round(w * 2**23)).astype(np.int32).view(np.float32)
    rounded = np.round(w * 2**23) / 2**23
    expected = 2.0 ** np.floor(rounded) * (1.0 + (rounded - np.floor(rounded)))
    assert np.array_equal(bits.astype(np.float64), expected)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("k", [1, 3, 20, 39, 200])
def test_a_screened_ranking_chooses_what_the_exact_one_chooses(small_screen, strategy, k, dtype):
    X, _, model = _pool(k, dtype=dtype)
    exact, _ = rank_pool(
        model, X, strategy, (np.arange(3_700, 4_000),), 1_024, np.random.default_rng(0)
    )
    keys, cut = rank_pool(
        model, X, strategy, (np.arange(3_700, 4_000),), 1_024, np.random.default_rng(0), screen=True
    )
    assert (cut > -np.inf) == _screened(strategy, dtype)
    for seed in range(5):
        chosen = select_top_k(keys, k, seed)
        if keys[chosen[-1]] >= cut:  # what a session takes as it is
            assert np.array_equal(chosen, select_top_k(exact, k, seed))
        else:  # a session scores exactly first: for large k, or sure rows blocked
            assert k > 20


@pytest.mark.parametrize("seed", range(0, 400, 50))
def test_select_top_k_depends_only_on_the_scores_it_reaches(seed):
    """The rows chosen, and their order, do not move when scores below the k-th change
    (a screened ranking's keys differ from the exact ones only there); argpartition's
    order of the rows above does move with them."""
    for case in range(seed, seed + 50):
        rng = np.random.default_rng(case)
        n, k = int(rng.integers(100, 5_000)), int(rng.integers(2, 60))
        scores = rng.integers(0, 20, size=n) / 20  # few values: ties everywhere
        chosen = select_top_k(scores, k, case)
        lowest = scores[chosen].min()
        below = scores < lowest
        other = scores.copy()
        other[below] = lowest - 1 - rng.random(below.sum())
        assert np.array_equal(select_top_k(other, k, case), chosen)


def _dataset(X, y, n_classes):
    known = np.full(len(y), MISSING_LABEL)
    return Dataset(
        "screen",
        X,
        tuple(f"f{i}" for i in range(X.shape[1])),
        tuple(f"c{i}" for i in range(n_classes)),
        y=known,
    )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("strategy", STRATEGIES)
def test_a_session_queries_labels_and_scores_as_without_the_screen(
    small_screen, monkeypatch, strategy, dtype
):
    from al_core.learning import scoring

    X, y, _ = _pool(11, n=3_000, n_classes=5, dtype=dtype)
    X_plain = X.copy()
    real = scoring.screen_pool
    monkeypatch.setattr(scoring, "screen_pool", lambda A: None if A is X_plain else real(A))
    config = SessionConfig(strategy=strategy, budget=None, n_test_to_label=60, seed=3)
    screened = LabelingSession(_dataset(X, y, 5), config)
    plain = LabelingSession(_dataset(X_plain, y, 5), config)
    start = np.setdiff1d(np.arange(1_000, 1_100), plain.test_ids_pending)
    for s in (screened, plain):
        pending = s.test_ids_pending
        s.label_many(pending, y[pending])
        s.label_many(start, y[start])  # past the cold start
    assert (screened._rank_cut > -np.inf) == _screened(strategy, dtype)
    assert plain._rank_cut == -np.inf
    for step in range(8):
        held = plain.query(5).ids[:2] if step % 2 else ()
        q_plain, q_screened = plain.query(3, exclude=held), screened.query(3, exclude=held)
        assert np.array_equal(q_plain.ids, q_screened.ids)
        assert np.array_equal(q_plain.scores, q_screened.scores)
        row = int(q_plain.ids[0])
        assert screened.score_of(row) == plain.score_of(row)
        for s in (screened, plain):
            s.label(row, int(y[row]))
    # A query that reaches below the cut has the pool scored exactly, then chooses alike.
    k = 300
    if _screened(strategy, dtype):  # past the rows keyed exactly
        k = int(np.count_nonzero(screened._rank >= screened._rank_cut)) + 5
    big_plain, big_screened = plain.query(k), screened.query(k)
    assert np.array_equal(big_plain.ids, big_screened.ids)
    assert np.array_equal(big_plain.scores, big_screened.scores)
    assert screened._rank_cut == -np.inf


def test_the_float32_copy_is_made_once_per_pool_and_dropped_with_it(small_screen):
    X = np.random.default_rng(0).normal(size=(2_000, 4))
    pool = screenpool.screen_pool(X)
    assert pool is not None and screenpool.screen_pool(X) is pool
    assert pool.XT32.dtype == np.float32 and pool.XT32.flags.c_contiguous
    assert np.array_equal(pool.col_max, np.abs(X).max(axis=0))
    assert np.array_equal(pool.XT32[:-1], X.T.astype(np.float32)) and (pool.XT32[-1] == 1).all()
    assert np.array_equal(pool.columns(X, 5, 9), pool.XT32[:, 5:9])
    assert screenpool.pool_col_max(X) is pool.col_max  # made once, for both screens
    keys = {(id(X), "screen"), (id(X), "col_max")}
    assert keys <= screenpool._kept.keys()
    del X, pool
    gc.collect()
    assert not keys & screenpool._kept.keys()


@pytest.mark.parametrize(
    "X",
    [
        np.zeros((500, 4)),  # too few rows
        np.zeros((2_000, 4), dtype=np.float16),
        np.zeros((2_000, 4), dtype=np.int64),
        np.zeros((2_000, 4))[:, :2],  # not contiguous
        np.full((2_000, 4), np.inf),  # not finite
    ],
)
def test_pools_that_are_not_screened(small_screen, X):
    assert screenpool.screen_pool(X) is None


def test_a_float32_pool_is_read_as_it_is_and_not_kept_alive(small_screen):
    X = np.random.default_rng(0).normal(size=(2_000, 4)).astype(np.float32)
    pool = screenpool.screen_pool(X)
    assert pool is not None and pool.XT32 is None
    assert np.shares_memory(pool.columns(X, 5, 9), X)
    assert np.array_equal(pool.columns(X, 5, 9), X[5:9].T)
    assert np.array_equal(pool.col_max, np.abs(X).max(axis=0))
    key = (id(X), "screen")
    del X, pool
    gc.collect()
    assert key not in screenpool._kept


@pytest.mark.parametrize(
    ("strategy", "n_classes", "screened"),
    [("least_confidence", 8, True), ("least_confidence", 7, False), ("margin", 10, False)],
)
def test_float32_pools_are_screened_where_it_is_quicker(
    monkeypatch, kernel, strategy, n_classes, screened
):
    """Least confidence from 8 classes; margin's looser bounds leave too many candidates;
    with numpy's passes, none where numpy's AVX-512 exponentials make the exact scores
    quicker; with the compiled kernel, wherever it applies."""
    monkeypatch.setattr(screenpool, "SCREEN_MIN_ROWS", 1_000)
    X, _, model = _pool(2, n_classes=n_classes, dtype=np.float32)
    for on in (True, False):
        monkeypatch.setattr(screening, "FLOAT32_SCREEN", on)
        _, cut = rank_pool(model, X, strategy, (), 1_024, np.random.default_rng(0), screen=True)
        assert (cut > -np.inf) == (screened and (on or kernel == "compiled"))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_the_checks_behind_the_bound_hold_here(dtype):
    """The benchmark's shapes are screened on this machine's BLAS (AVX2 and AVX-512
    OpenBLAS gather differently many rows)."""
    assert roundoff.exp32_error_ok()
    assert gathered.gather_rows((100_000 - 65_536, 65_536), 20, 10, dtype, "F") is not None


@pytest.mark.parametrize("way", ["gathered", "chains"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_gathered_rows_are_scored_as_their_chunks_are(dtype, way):
    """Every row of a pool in the shapes of the benchmark, gathered in a random order,
    the ends of chunks included (where OpenBLAS's float32 kernels round otherwise): in
    products of gathered rows, or as chains of fused multiply-adds where they match."""
    rng = np.random.default_rng(5)
    X = rng.normal(size=(100_000, 20)).astype(dtype)
    model = LogisticRegression(max_iter=300).fit(X[:500], rng.integers(0, 10, size=500))
    exact, _ = rank_pool(model, X, "margin", (), 65_536, np.random.default_rng(0))
    order = classmajor.coef_layout(model, X.shape[1])
    shapes = ((100_000 - 65_536, 65_536), 20, 10, X.dtype.name, order)
    rows = gathered.gather_rows(*shapes)
    if way == "chains":
        if not gathered.fma_chains_match(*shapes):
            pytest.skip("this machine's BLAS does not sum as chains of fused multiply-adds")
        rows = None
    out = np.full(X.shape[0], np.nan)
    gathered.exact_scores(model, X, rng.permutation(X.shape[0]), "margin", 65_536, out, rows)
    assert np.array_equal(out, exact)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_a_loose_bound_turns_the_screen_off(small_screen, strategy):
    """Features of huge magnitude make the float32 decision too coarse to screen by."""
    X, _, model = _pool(1)
    offset = np.full(X.shape[1], 1e6)
    X = X + offset  # the same decisions, as sums of terms a million times larger
    model.intercept_ = model.intercept_ - model.coef_ @ offset
    col_max = screenpool.screen_pool(X).col_max
    assert roundoff.error_bound(model, col_max) > screening._MAX_TAU
    assert screening.row_bounds(model, X, strategy) is None
    keys, cut = rank_pool(model, X, strategy, (), 1_024, np.random.default_rng(0), screen=True)
    assert cut == -np.inf


@pytest.mark.parametrize(
    ("strategy", "dtype"),
    [(s, d) for s in STRATEGIES for d in DTYPES if _screened(s, d)],
)
def test_blocked_rows_do_not_count_toward_the_cut(small_screen, strategy, dtype):
    X, _, model = _pool(5, dtype=dtype)
    exact, _ = rank_pool(model, X, strategy, (), 1_024, np.random.default_rng(0))
    best = np.argsort(-exact, kind="stable")[:300]  # the most uncertain rows, labeled
    keys, cut = rank_pool(
        model, X, strategy, (best,), 1_024, np.random.default_rng(0), screen=True, screen_top=25
    )
    assert np.all(keys[best] == -np.inf)
    free_sure = np.count_nonzero(keys >= cut)
    assert free_sure >= 25  # though the 300 best-ranked rows all lie above any free row
    above = keys >= cut
    exact[best] = -np.inf
    assert np.array_equal(keys[above], exact[above]) and np.array_equal(above, exact >= cut)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_batches_and_skipped_rows_need_no_exact_rescoring(small_screen, monkeypatch, strategy):
    """The most uncertain rows labeled by the hundred, or skipped, used to crowd the
    screen's sure rows until every batch query scored the pool exactly again."""
    from al_core.learning import modelstate

    X, y, _ = _pool(7, n=3_000, n_classes=5)
    config = SessionConfig(
        strategy=strategy, budget=None, n_test_to_label=60, seed=3, batch_size=15
    )
    s = LabelingSession(_dataset(X, y, 5), config)
    start = np.setdiff1d(np.arange(1_000, 1_100), s.test_ids_pending)
    pending = s.test_ids_pending
    s.label_many(pending, y[pending])
    s.label_many(start, y[start])
    exact_passes = []
    real = modelstate.ModelState.rescore

    def rescore(self, screen=True):
        exact_passes.append(not screen)
        return real(self, screen)

    monkeypatch.setattr(modelstate.ModelState, "rescore", rescore)
    for step in range(20):
        q = s.query()
        if step % 4 == 3:
            for row in q.ids:
                s.skip(int(row))
        else:
            s.label_many(q.ids, y[q.ids])
    assert s.n_labeled > 300 and len(s.skipped) == 75
    assert exact_passes and not any(exact_passes)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("strategy", bitexp.BIT_STRATEGIES)
def test_the_cut_is_the_top_th_largest_lower_bound_of_the_free_rows(
    small_screen, monkeypatch, strategy, dtype
):
    """Blocks of 256 rows: later blocks partition only bounds that reach the floor of
    the earlier ones, which must not change the cut."""
    monkeypatch.setattr(screening, "SCREEN_BLOCK_ROWS", 256)
    X, _, model = _pool(6, dtype=dtype)
    lo, _ = screening.row_bounds(model, X, strategy)
    blocked = np.arange(0, X.shape[0], 3)
    _, cut = rank_pool(model, X, strategy, (blocked,), 1_024, np.random.default_rng(0), screen=True)
    free = np.ones(X.shape[0], dtype=bool)
    free[blocked] = False
    assert cut == np.sort(lo[free])[-40]


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(st.floats(-1e3, 1e3) | st.just(-np.inf), min_size=0, max_size=300),
    block=st.integers(1, 50),
    k=st.integers(1, 40),
)
def test_largest_keeps_the_k_largest_values_added_block_by_block(values, block, k):
    best = bitexp.Largest(k)
    array = np.array(values, dtype=np.float64)
    for start in range(0, array.size, block):
        best.add(array[start : start + block])
    assert np.array_equal(np.sort(best.values), np.sort(array)[-k:] if array.size else array)
    assert best.floor == (np.sort(array)[-k] if array.size >= k else -np.inf)


@pytest.mark.parametrize(
    ("strategy", "dtype"),
    [(s, d) for s in STRATEGIES for d in DTYPES if _screened(s, d)],
)
def test_a_kept_mask_of_the_blocked_rows_keys_as_the_rows_do(small_screen, strategy, dtype):
    X, _, model = _pool(8, dtype=dtype)
    parts = (np.arange(3_700, 4_000), np.arange(0, 3_700, 4))
    mask = np.zeros(X.shape[0], dtype=bool)
    for rows in parts:
        mask[rows] = True
    rng = np.random.default_rng(0)
    keys, cut = rank_pool(model, X, strategy, parts, 1_024, rng, screen=True)
    kept, kept_cut = rank_pool(
        model, X, strategy, parts, 1_024, rng, screen=True, blocked_mask=mask
    )
    assert -np.inf < cut == kept_cut and np.array_equal(keys, kept)
    assert np.all(kept[mask] == -np.inf) and np.all(kept[~mask] > -np.inf)


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(
        st.floats(-1e6, 1e6, allow_nan=False, width=32) | st.sampled_from([0.0, 1.0, np.inf]),
        min_size=0,
        max_size=3_000,
    ),
    k=st.integers(1, 70),
)
def test_the_largest_of_many_values_are_the_largest(values, k):
    """Ties, zeros and infinities included: the same multiset as a whole partition."""
    a = np.array(values, dtype=np.float32)
    np.testing.assert_array_equal(
        np.sort(bitexp.largest_of_many(a, k)), np.sort(bitexp.largest(a, k))
    )
