"""Load: 20 annotators at once never lose an acknowledged label."""

import numpy as np

from al_core.projects.project import Project
from benchmarks.load import run_load


def test_twenty_concurrent_annotators_lose_nothing(tmp_path):
    result = run_load(tmp_path, annotators=20, labels=2_000, seconds=90)
    assert result["errors"] == []
    acks = result["acks"]
    assert len(acks) >= 500, f"only {len(acks)} labels in the time allowed"
    rows = [r for r, _ in acks]
    assert len(set(rows)) == len(rows), "a row was handed to two annotators"
    reopened = Project.open("load", folder=tmp_path)
    labels = reopened.session.labels
    assert np.array_equal(labels[rows], [y for _, y in acks])
    assert reopened.session.n_queried == len(acks)
    assert not reopened.conflicts()
