"""Query strategies: a contract every registered strategy keeps, and the scores behind them."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from al_core import (
    STRATEGIES,
    LabelingSession,
    PoolExhaustedError,
    SessionConfig,
    load_builtin,
    simulate,
)
from al_core.learning.models import predict_proba_fast
from al_core.learning.strategies import (
    entropy_scores,
    least_confidence_scores,
    margin_scores,
    select_top_k,
)


def random_proba(n, c, seed=0):
    p = np.random.default_rng(seed).random((n, c))
    return p / p.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("name", sorted(STRATEGIES))
@pytest.mark.parametrize("k", [1, 5, 40])
def test_strategy_contract_returns_k_unique_ids(name, k):
    proba = random_proba(40, 3)
    idx, scores = STRATEGIES[name](proba, k, random_state=1)
    assert idx.shape == (k,) and scores.shape == (k,)
    assert np.unique(idx).size == k
    assert idx.min() >= 0 and idx.max() < 40


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_strategy_contract_is_reproducible_under_a_seed(name):
    proba = np.full((30, 2), 0.5)  # all tied: only the seed decides
    a, _ = STRATEGIES[name](proba, 5, random_state=3)
    b, _ = STRATEGIES[name](proba, 5, random_state=3)
    c, _ = STRATEGIES[name](proba, 5, random_state=4)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_strategy_contract_raises_when_k_exceeds_the_pool(name):
    with pytest.raises(PoolExhaustedError, match="only 4 are left"):
        STRATEGIES[name](random_proba(4, 2), 5, random_state=0)


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_session_offers_only_unlabeled_pool_rows(name, iris):
    session = LabelingSession(iris, SessionConfig(strategy=name, batch_size=7))
    q = session.query()
    assert np.unique(q.ids).size == 7
    assert session.unlabeled_mask[q.ids].all()


@pytest.mark.parametrize("name", ["least_confidence", "margin", "entropy"])
def test_uncertainty_strategies_pick_the_most_uncertain_first(name):
    proba = np.array([[0.9, 0.1], [0.55, 0.45], [0.7, 0.3], [0.51, 0.49]])
    idx, scores = STRATEGIES[name](proba, 2, random_state=0)
    assert idx.tolist() == [3, 1]
    assert scores[0] >= scores[1]


def test_binary_problems_rank_identically_under_all_three_measures():
    p1 = np.random.default_rng(5).random(500)
    proba = np.column_stack([1 - p1, p1])
    rankings = [
        np.argsort(-f(proba), kind="stable")
        for f in (least_confidence_scores, margin_scores, entropy_scores)
    ]
    assert np.array_equal(rankings[0], rankings[1])
    assert np.array_equal(rankings[0], rankings[2])


def test_multiclass_measures_can_disagree():
    proba = np.array([[0.5, 0.5, 0.0], [0.4, 0.3, 0.3]])
    assert np.argmax(margin_scores(proba)) == 0
    assert np.argmax(least_confidence_scores(proba)) == 1


def test_select_top_k_breaks_ties_with_the_seed_and_keeps_order():
    scores = np.array([0.2, 0.9, 0.5, 0.9, 0.9, np.nan])
    picks = {tuple(select_top_k(scores, 2, random_state=s)) for s in range(30)}
    assert all(set(p) <= {1, 3, 4} for p in picks)
    assert len(picks) > 1
    assert select_top_k(scores, 4, random_state=0)[-1] == 2
    assert 5 not in select_top_k(scores, 5, random_state=0)


@pytest.mark.parametrize(
    "dataset,dtype", [("tutorial", np.float64), ("iris", np.float64), ("digits", np.float32)]
)
def test_fast_probabilities_equal_predict_proba_exactly(dataset, dtype):
    data = load_builtin(dataset, dtype=dtype)
    model = LogisticRegression(max_iter=2000).fit(data.X[::3], data.y[::3])
    assert np.array_equal(predict_proba_fast(model, data.X), model.predict_proba(data.X))


@pytest.mark.parametrize("strategy", ["least_confidence", "margin", "entropy"])
@pytest.mark.parametrize("chunk_rows", [7, 65_536])
@pytest.mark.parametrize("dataset", ["tutorial", "breast_cancer", "digits"])
def test_chunked_session_selects_what_the_strategy_selects_on_predict_proba(
    strategy, chunk_rows, dataset
):
    # Binary logistic regression ranks by |decision| (scoring.rank_pool); multiclass
    # goes through predict_proba. Both must pick the strategy's own rows.
    data = load_builtin(dataset)
    session = LabelingSession(
        data, SessionConfig(strategy=strategy, batch_size=10, chunk_rows=chunk_rows)
    )
    pool = np.flatnonzero(session.unlabeled_mask)
    proba = session.model.predict_proba(data.X[pool])
    idx, scores = STRATEGIES[strategy](proba, 10, random_state=0)
    q = session.query()
    assert np.array_equal(q.ids, pool[idx])
    np.testing.assert_allclose(q.scores, scores, rtol=1e-12)


@pytest.mark.parametrize("strategy", ["least_confidence", "margin", "entropy"])
@pytest.mark.parametrize("seed", range(6))
def test_multiclass_scores_class_by_class_equal_the_probabilities_bit_for_bit(strategy, seed):
    """The class-major multiclass path ranks exactly as the scores of ``predict_proba``."""
    from al_core.learning.scoring import rank_pool
    from al_core.learning.strategies import SCORERS

    rng = np.random.default_rng(seed)
    k, n, chunk = int(rng.integers(3, 13)), 1_500, 256
    X = np.round(rng.normal(size=(n, 8)) * 3, 1)  # coarse values: many exact ties
    X[: n // 4] = X[0]  # and many identical rows
    model = LogisticRegression(max_iter=300).fit(X, np.arange(n) % k)
    rank, exact = rank_pool(model, X, strategy, (), chunk, rng)
    expected = np.concatenate(
        [SCORERS[strategy](predict_proba_fast(model, X[i : i + chunk])) for i in range(0, n, chunk)]
    )
    assert exact == -np.inf and np.array_equal(rank, expected)
    assert np.unique(rank).size < n  # the case has ties, and they stayed ties


@pytest.mark.parametrize("strategy", ["least_confidence", "margin", "entropy"])
@pytest.mark.parametrize("n_classes", [3, 7, 8, 9, 16, 17, 40])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_class_by_class_scores_equal_the_scorers_on_predict_proba(strategy, n_classes, dtype):
    """Widths on both sides of numpy's 8-value blocks, a float32 pool, extreme decisions
    (probabilities that underflow to 0, for entropy's 0 log 0) and a pool tall enough
    that BLAS rounds its product otherwise than the product of a block of it, against
    the strategy's scorer on scikit-learn's own ``predict_proba``."""
    from al_core.learning.classmajor import score_block
    from al_core.learning.strategies import SCORERS

    rng = np.random.default_rng(n_classes)
    n = 20_000
    X = rng.normal(size=(n, 20)).astype(dtype)
    X[::5] *= 60  # decisions of hundreds: exponentials of exactly 0
    model = LogisticRegression(max_iter=1_000).fit(X[:600], np.arange(600) % n_classes)
    out = np.full(n, np.nan)
    score_block(model, X, strategy, out)
    expected = SCORERS[strategy](model.predict_proba(X))
    assert np.array_equal(out, expected)


@pytest.mark.parametrize("n_rows", [1_000, 4_000, 9_000, 65_536])
@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_chunk_is_scored_as_predict_proba_scores_it_whichever_way_its_product_goes(
    n_rows, order, dtype
):
    """Chunk heights on both sides of OpenBLAS's kernel for small products, and both
    layouts of ``coef_`` (one of the small kernels rounds otherwise for one of them):
    the blocked product is used only where the check finds it rounds as the whole one,
    and the scores are the probabilities' scores either way."""
    from al_core.learning.classmajor import score_block
    from al_core.learning.strategies import SCORERS

    rng = np.random.default_rng(n_rows)
    X = rng.normal(size=(n_rows, 20)).astype(dtype)
    model = LogisticRegression(max_iter=300).fit(X[:500], np.arange(500) % 10)
    model.coef_ = np.asarray(model.coef_, order=order)
    out = np.full(n_rows, np.nan)
    score_block(model, X, "least_confidence", out)
    assert np.array_equal(out, SCORERS["least_confidence"](model.predict_proba(X)))


@pytest.mark.parametrize("n_rows", [1_000, 4_000, 65_536])
@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_the_blocked_product_check_predicts_blas_on_real_values(n_rows, order, dtype):
    """The check draws random values; its verdict holds for a fitted model's product on
    a pool of the same shapes (BLAS's order of additions does not depend on values)."""
    from al_core.learning.classmajor import blocked_product_matches

    rng = np.random.default_rng(1)
    X = np.ascontiguousarray(rng.normal(size=(n_rows, 20)) * rng.uniform(0, 9, 20), dtype=dtype)
    model = LogisticRegression(max_iter=300).fit(X[:500], np.arange(500) % 10)
    coef = np.asarray(model.coef_, dtype=dtype, order=order)
    whole = X @ coef.T
    blocks = np.concatenate([(coef @ X[i : i + 4_096].T).T for i in range(0, n_rows, 4_096)])
    verdict = blocked_product_matches(n_rows, 20, 10, dtype, order, 4_096)
    assert verdict == np.array_equal(blocks, whole)


@pytest.mark.parametrize("strategy", ["least_confidence", "margin", "entropy"])
def test_a_sparse_pool_is_scored_class_by_class_as_predict_proba_scores_it(strategy):
    """A text pool is a CSR matrix: its product is scipy's, and the rest as for dense."""
    from scipy import sparse

    from al_core.learning.scoring import rank_pool
    from al_core.learning.strategies import SCORERS

    rng = np.random.default_rng(5)
    X = sparse.random(6_000, 300, density=0.02, format="csr", random_state=5) * 4
    X.data = np.round(X.data, 1)  # coarse values, and rows without any: ties
    model = LogisticRegression(max_iter=500).fit(X[:900], np.arange(900) % 4)
    rank, exact = rank_pool(model, X, strategy, (np.arange(900),), 2_048, rng)
    expected = np.concatenate(
        [SCORERS[strategy](model.predict_proba(X[i : i + 2_048])) for i in range(0, 6_000, 2_048)]
    )
    assert exact == -np.inf and np.array_equal(rank[900:], expected[900:])
    assert np.unique(rank[900:]).size < 5_100


@pytest.mark.parametrize("n_classes", [*range(1, 20), 31, 64, 127, 128, 129, 200, 300, 1_000])
def test_pairwise_row_sums_are_numpys_row_sums(n_classes):
    from al_core.learning.classmajor import pairwise_row_sums, sums_match_numpy

    rng = np.random.default_rng(n_classes)
    P = np.exp(rng.normal(scale=5.0, size=(700, n_classes)))
    assert np.array_equal(pairwise_row_sums(np.ascontiguousarray(P.T)), P.sum(axis=1))
    assert sums_match_numpy(n_classes)


def test_pairwise_row_sums_differ_from_sums_in_another_order():
    """The check can fail: a plain running sum rounds differently on these rows."""
    from al_core.learning.classmajor import pairwise_row_sums

    P = np.exp(np.random.default_rng(0).normal(scale=5.0, size=(700, 10)))
    running = np.zeros(700)
    for column in P.T:
        running += column
    assert not np.array_equal(running, P.sum(axis=1))
    assert np.array_equal(pairwise_row_sums(np.ascontiguousarray(P.T)), P.sum(axis=1))


@pytest.mark.parametrize("k", [2, 3, 10, 37])
def test_second_largest_is_what_partition_gives_ties_included(k):
    from al_core.learning.classmajor import second_largest

    rng = np.random.default_rng(k)
    e = rng.integers(0, 4, size=(2_000, k)).astype(float)  # small integers: ties everywhere
    e[::7] = rng.normal(size=(len(e[::7]), k))
    second = second_largest(np.ascontiguousarray(e.T))
    assert np.array_equal(second, -np.partition(-e, 1, axis=1)[:, 1])


@pytest.mark.parametrize("n_classes", [2, 4])
@pytest.mark.parametrize("strategy", ["least_confidence", "margin", "entropy", "random"])
def test_ranking_written_into_the_previous_one_is_the_same_ranking(strategy, n_classes):
    """``rank_pool(out=...)`` overwrites a buffer, blocked rows and all, with the very
    values a fresh array gets; a session keeps one buffer from label to label."""
    from al_core.learning.scoring import rank_pool

    rng = np.random.default_rng(n_classes)
    X = rng.normal(size=(3_000, 6))
    model = LogisticRegression(max_iter=300).fit(X[:300], np.arange(300) % n_classes)
    blocked = (np.arange(0, 300), np.arange(2_900, 3_000))
    fresh, exact = rank_pool(model, X, strategy, blocked, 512, np.random.default_rng(7))
    buffer = rng.normal(size=3_000)  # the previous ranking: other values, none -inf
    reused, exact_reused = rank_pool(
        model, X, strategy, blocked, 512, np.random.default_rng(7), out=buffer
    )
    assert reused is buffer and exact_reused == exact
    assert np.array_equal(reused, fresh)
    other, _ = rank_pool(
        model, X, strategy, blocked, 512, np.random.default_rng(7), out=buffer[:10]
    )
    assert other is not buffer and np.array_equal(other, fresh)  # a misfit buffer is left alone


@pytest.mark.parametrize("k", [1, 5, 40])
def test_a_float32_two_class_pool_ranks_in_float32_exactly_as_in_float64(k):
    """Its keys are computed in float32, so storing them as float32 loses nothing, and
    the rows queried are those a float64 copy of the keys gives, ties included."""
    from al_core.learning.scoring import rank_pool

    rng = np.random.default_rng(k)
    X = np.round(rng.normal(size=(5_000, 4)), 1).astype(np.float32)  # coarse: many ties
    model = LogisticRegression(max_iter=300).fit(X[:400], (X[:400, 0] > 0).astype(int))
    rank, exact = rank_pool(model, X, "margin", (np.arange(400),), 1_024, rng)
    w, b = model.coef_[0].astype(np.float32), np.float32(model.intercept_[0])
    assert rank.dtype == np.float32 and exact == np.inf
    keys = np.concatenate([-np.abs(X[i : i + 1_024] @ w + b) for i in range(0, 5_000, 1_024)])
    assert np.array_equal(rank[400:], keys[400:])
    assert np.unique(rank[400:]).size < 4_600  # the case has ties
    wide = rank.astype(np.float64)
    assert np.array_equal(select_top_k(rank, k, 3), select_top_k(wide, k, 3))


def test_a_session_scores_each_label_into_the_same_buffer_and_queries_as_before():
    data = load_builtin("breast_cancer")
    session = LabelingSession(data, SessionConfig(budget=30, seed=3))
    buffer = session._rank
    assert buffer is not None
    for _ in range(5):
        q = session.query()
        session.label(int(q.ids[0]), int(data.y[q.ids[0]]))
    assert session._rank is buffer
    replay = simulate(data, SessionConfig(budget=5, seed=3))
    assert [int(i) for p in session.history[1:] for i in p.queried_ids] == replay.queried


@pytest.mark.parametrize("block", [1, 7, 64, 1 << 20])
@pytest.mark.parametrize("value", [0.0, 4.0, 9.0])
def test_positions_of_a_value_block_by_block_are_flatnonzero(block, value):
    from al_core.learning.blocks import flatnonzero_by_block

    scores = np.random.default_rng(block).integers(0, 5, size=200).astype(np.float32)
    got = flatnonzero_by_block(scores.size, lambda rows: scores[rows] == value, block)
    assert got.dtype == np.int64
    assert np.array_equal(got, np.flatnonzero(scores == value))
