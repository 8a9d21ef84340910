"""The engine reproduces the tutorial's experiment query for query."""

import json
import subprocess
import sys

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score
from sklearn.model_selection import train_test_split

from al_core import SessionConfig, load_builtin, simulate


def reference_run(seed=42, queries=20):
    """The tutorial's loop, restated: vstack onto the labeled set, argmax over a set."""
    X, y = make_classification(
        n_samples=1000,
        n_features=10,
        n_informative=5,
        n_redundant=0,
        n_classes=2,
        n_clusters_per_class=1,
        flip_y=0.1,
        random_state=seed,
    )
    ids = np.arange(len(y))
    X_pool, X_test, y_pool, y_test, id_pool, _ = train_test_split(
        X, y, ids, test_size=0.10, random_state=seed, stratify=y
    )
    X_lab, X_unl, y_lab, y_unl, _, id_unl = train_test_split(
        X_pool, y_pool, id_pool, test_size=0.90, random_state=seed, stratify=y_pool
    )
    remaining = set(range(len(X_unl)))
    model = LogisticRegression(random_state=seed, max_iter=2000).fit(X_lab, y_lab)
    sizes, accs, queried, scores = (
        [len(y_lab)],
        [accuracy_score(y_test, model.predict(X_test))],
        [],
        [],
    )
    for _ in range(queries):
        doubt = 1 - model.predict_proba(X_unl).max(axis=1)
        order = list(remaining)
        pick = order[int(np.argmax(doubt[order]))]
        queried.append(int(id_unl[pick]))
        scores.append(float(doubt[pick]))
        X_lab = np.vstack([X_lab, X_unl[pick : pick + 1]])
        y_lab = np.hstack([y_lab, y_unl[pick : pick + 1]])
        remaining.remove(pick)
        model = LogisticRegression(random_state=seed, max_iter=2000).fit(X_lab, y_lab)
        sizes.append(len(y_lab))
        accs.append(accuracy_score(y_test, model.predict(X_test)))
    return sizes, accs, queried, scores


def test_engine_replays_the_reference_query_for_query():
    sizes, accs, queried, scores = reference_run()
    result = simulate(load_builtin("tutorial", seed=42), SessionConfig(budget=20))
    assert result.n_labeled == sizes
    assert result.accuracy == accs  # exact, not approximate
    assert result.queried == queried
    np.testing.assert_allclose(result.uncertainty, scores, rtol=1e-9)
    assert (sizes[0], accs[0]) == (90, 0.88)
    assert (sizes[-1], accs[-1]) == (110, 0.91)


@pytest.mark.parametrize("seed", [0, 7])
def test_other_seeds_also_match_the_reference_loop(seed):
    sizes, accs, queried, _ = reference_run(seed=seed, queries=8)
    result = simulate(load_builtin("tutorial", seed=seed), SessionConfig(seed=seed, budget=8))
    assert (result.n_labeled, result.accuracy, result.queried) == (sizes, accs, queried)


def test_cli_json_gives_the_reference_trajectory():
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "al_core",
            "simulate",
            "--dataset",
            "tutorial",
            "--strategy",
            "least_confidence",
            "--queries",
            "20",
            "--seed",
            "42",
            "--json",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    data = json.loads(out.stdout)
    sizes, accs, queried, scores = reference_run()
    assert data["n_labeled"] == sizes
    assert data["accuracy"] == accs
    assert data["queried"] == queried
    np.testing.assert_allclose(data["uncertainty"], scores, rtol=1e-9)
