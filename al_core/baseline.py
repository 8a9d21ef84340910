"""The random-sampling band behind a project's learning curve, computed once and stored.

A stakeholder reads the project's curve against what labeling at random would have
given from the very same start; the band costs a few hundred fits, so it is computed
the first time it is asked for and kept in the project file.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import numpy as np

from .compare import Curve, random_baseline

if TYPE_CHECKING:
    from .project import Project


def stored_baseline(project: Project, seeds: int = 10) -> Curve | None:
    """Random sampling from the project's own split and starting set, over ``seeds`` runs.

    Returns None when the data has no ground truth (no oracle to simulate with). The
    curve spans the project's budget (100 queries when it has none).
    """
    if not project.dataset.fully_labeled:
        return None
    stored = project.store.read("SELECT value FROM meta WHERE key = 'baseline'")
    if stored:
        d = json.loads(stored[0][0])
        return Curve("random", np.asarray(d["n_labeled"]), np.asarray(d["accuracy"], float))
    config = project.session.config
    queries = min(config.budget or 100, project.session.n_unlabeled)
    curve = random_baseline(project.dataset, config, queries, seeds)
    payload = {"n_labeled": curve.n_labeled.tolist(), "accuracy": curve.accuracy.tolist()}
    with project.store.write() as conn:
        conn.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('baseline', ?)",
            (json.dumps(payload),),
        )
    return curve
