"""The largest key found while the pool is keyed picks the row ``select_top_k`` picks:
ties, NaN, blocked and held rows included; and a session that uses it queries as one
that does not."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from al_core import MISSING_LABEL, Dataset, LabelingSession, SessionConfig, load_builtin
from al_core.learning import keytop, screening, screenpool
from al_core.learning.strategies import select_top_k

# Few distinct values, so that most rankings have ties at the top.
KEYS = st.sampled_from([-np.inf, -3.0, -1.5, -1.0, -0.25, 0.0, 0.5, 0.5, 2.0, np.nan])


@settings(max_examples=300, deadline=None)
@given(
    keys=st.lists(KEYS, min_size=1, max_size=60),
    chunk=st.integers(1, 25),
    blocked=st.sets(st.integers(0, 59), max_size=20),
    held=st.sets(st.integers(0, 59), max_size=6),
    float32=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_the_top_found_by_chunks_picks_what_select_top_k_picks(
    keys, chunk, blocked, held, float32, seed
):
    rank = np.array(keys, dtype=np.float32 if float32 else np.float64)
    n = rank.size
    finder = keytop.KeyTopFinder()
    for start in range(0, n, chunk):
        finder.add_block(rank[start : start + chunk], start)
    keyed = rank.copy()
    rank[[b for b in blocked if b < n]] = -np.inf  # blocked after keying, as rank_pool does
    held_rows = np.array(sorted(h for h in held if h < n), dtype=np.int64)
    top = finder.result(rank)
    picked = None if top is None else keytop.pick_top(top, held_rows, [seed, 1])
    with_held = rank.copy()
    with_held[held_rows] = -np.inf
    expected = select_top_k(with_held, 1, [seed, 1])
    if picked is not None:
        assert np.array_equal(picked, expected)
        assert rank[picked[0]] == np.nanmax(rank)
    else:
        # Only where the top is not known from the chunks: a NaN key, or every row
        # that held the largest key when keyed blocked since, or held.
        at_top = np.flatnonzero(keyed == keyed.max()) if not np.isnan(keyed).any() else []
        assert (
            np.isnan(keyed).any()
            or keyed.max() == -np.inf
            or all(rank[i] == -np.inf or i in held_rows for i in at_top)
        )


def test_rows_given_as_ids_count_as_blocks_do():
    rank = np.array([0.1, 0.7, -np.inf, 0.7, 0.2, 0.7])
    finder = keytop.KeyTopFinder()
    finder.add_rows(rank[[1, 3]], np.array([1, 3]))
    finder.add_rows(rank[[4, 5]], np.array([4, 5]))
    top = finder.result(rank)
    assert top is not None and top.value == 0.7
    assert top.rows.tolist() == [1, 3, 5]
    rank[3] = -np.inf
    assert finder.result(rank).rows.tolist() == [1, 5]


def _binary_pool(n=6_000, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    X = np.round(rng.normal(size=(n, 6)), 1).astype(dtype)
    X[: n // 4] = X[0]  # many identical rows: ties at the top
    y = (X[:, 0] + 0.5 * X[:, 1] + rng.normal(scale=0.5, size=n) > 0).astype(np.int64)
    return X, y


def _dataset(X, y, n_classes, known):
    labels = np.full(len(y), MISSING_LABEL)
    labels[known] = y[known]
    return Dataset(
        "keytop",
        X,
        tuple(f"f{i}" for i in range(X.shape[1])),
        tuple(f"c{i}" for i in range(n_classes)),
        y=labels,
    )


@pytest.mark.parametrize(
    "case",
    [
        ("binary", "least_confidence", "logistic_regression", np.float64),
        ("binary", "margin", "logistic_regression", np.float32),
        ("binary", "entropy", "naive_bayes", np.float64),
        ("binary", "random", "logistic_regression", np.float64),
        ("multiclass", "least_confidence", "logistic_regression", np.float64),
        ("multiclass", "entropy", "logistic_regression", np.float64),
        ("multiclass", "margin", "random_forest", np.float64),
    ],
)
def test_a_session_queries_as_it_does_without_the_top_found_while_keying(monkeypatch, case):
    kind, strategy, model, dtype = case
    # Screen multiclass pools of a few thousand rows, so that the screened path is taken.
    monkeypatch.setattr(screenpool, "SCREEN_MIN_ROWS", 1_000)
    monkeypatch.setattr(screening, "SCREEN_TOP", 20)
    if kind == "binary":
        X, y = _binary_pool(dtype=dtype)
        n_classes = 2
    else:
        data = load_builtin("digits")
        X, y, n_classes = np.ascontiguousarray(data.X, dtype=dtype), data.y, 10
    rng = np.random.default_rng(5)
    known = rng.choice(len(y), 60, replace=False)
    config = SessionConfig(strategy=strategy, model=model, budget=None, n_test_to_label=40, seed=2)
    used, off = [], LabelingSession(_dataset(X, y, n_classes, known), config)
    on = LabelingSession(_dataset(X.copy(), y, n_classes, known), config)
    real_pick = keytop.pick_top

    def counted(top, held, random_state):
        picked = real_pick(top, held, random_state)
        used.append(picked is not None)
        return picked

    monkeypatch.setattr("al_core.learning.session.pick_top", counted)
    for s in (on, off):
        pending = s.test_ids_pending
        s.label_many(pending, y[pending])
    for step in range(12):
        held = off.query(4).ids[1:3] if step % 3 == 1 else ()
        off._rank_top = None  # select_top_k's own passes
        q_off, q_on = off.query(1, exclude=held), on.query(1, exclude=held)
        assert np.array_equal(q_off.ids, q_on.ids), step
        assert np.array_equal(q_off.scores, q_on.scores, equal_nan=True)
        row = int(q_on.ids[0])
        for s in (on, off):
            s.label(row, int(y[row]))
    if strategy != "random":  # random keys are drawn whole: no top found for them
        assert sum(used) >= 8
