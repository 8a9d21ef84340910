"""The random-sampling band behind a project's learning curve, computed once and stored.

A stakeholder reads the project's curve against what labeling at random would have
given from the very same start. The band costs hundreds of fits (seconds on a large
pool), so it is computed once, outside the project's lock, and kept in the project file.
"""

from __future__ import annotations

import json

import numpy as np

from al_core.data.datasets import Dataset
from al_core.learning.config import SessionConfig
from al_core.projects.store import ProjectStore
from al_core.simulation.compare import Curve, random_baseline


def read_baseline(store: ProjectStore) -> Curve | None:
    """The stored band, or None if it has not been computed yet."""
    stored = store.read("SELECT value FROM meta WHERE key = 'baseline'")
    if not stored:
        return None
    d = json.loads(stored[0][0])
    return Curve("random", np.asarray(d["n_labeled"]), np.asarray(d["accuracy"], float))


def compute_baseline(
    dataset: Dataset, config: SessionConfig, n_unlabeled: int, seeds: int = 10
) -> Curve:
    """Random sampling from the project's own split and starting set, over ``seeds`` runs.

    The curve spans the project's budget (100 queries when it has none), at most the
    ``n_unlabeled`` rows of the pool. Reads only the dataset and the settings, so it may
    run while others label.
    """
    queries = min(config.budget or 100, n_unlabeled)
    # One process: it runs beside people labeling, and on a 10,000-row pool the 10 runs
    # of 20 queries take about a second (starting worker processes would cost more).
    return random_baseline(dataset, config, queries, seeds, n_jobs=1)


def write_baseline(store: ProjectStore, curve: Curve) -> None:
    payload = {"n_labeled": curve.n_labeled.tolist(), "accuracy": curve.accuracy.tolist()}
    with store.write() as conn:
        conn.execute(
            "INSERT INTO meta (key, value) VALUES ('baseline', ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (json.dumps(payload),),
        )
