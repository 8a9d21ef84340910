"""The random-sampling band behind a project's learning curve, computed once and stored.

A stakeholder reads the project's curve against what labeling at random would have
given from the very same start. The band costs hundreds of fits (seconds on a large
pool), so it is computed once, outside the project's lock, and kept in the project file.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import numpy as np

from .compare import Curve, random_baseline

if TYPE_CHECKING:
    from .project import Project


def read_baseline(project: Project) -> Curve | None:
    """The stored band, or None if it has not been computed yet."""
    stored = project.store.read("SELECT value FROM meta WHERE key = 'baseline'")
    if not stored:
        return None
    d = json.loads(stored[0][0])
    return Curve("random", np.asarray(d["n_labeled"]), np.asarray(d["accuracy"], float))


def compute_baseline(project: Project, seeds: int = 10) -> Curve:
    """Random sampling from the project's own split and starting set, over ``seeds`` runs.

    The curve spans the project's budget (100 queries when it has none). Reads only the
    project's dataset and settings, so it may run while others label.
    """
    config = project.session.config
    queries = min(config.budget or 100, project.session.n_unlabeled)
    return random_baseline(project.dataset, config, queries, seeds)


def write_baseline(project: Project, curve: Curve) -> None:
    payload = {"n_labeled": curve.n_labeled.tolist(), "accuracy": curve.accuracy.tolist()}
    with project.store.write() as conn:
        conn.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('baseline', ?)",
            (json.dumps(payload),),
        )
