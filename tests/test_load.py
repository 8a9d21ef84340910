"""Load: 20 annotators at once never lose an acknowledged label."""

import numpy as np

from al_core.projects.project import Project
from benchmarks.load import run_load


def test_twenty_concurrent_annotators_lose_nothing(place):
    # PostgreSQL: two servers' worth of threads (two Project objects) over one database.
    servers = 2 if "url" in place else 1
    result = run_load(place, annotators=20 * servers, labels=2_000, seconds=90, servers=servers)
    assert result["errors"] == []
    acks = result["acks"]
    assert len(acks) >= 500, f"only {len(acks)} labels in the time allowed"
    rows = [r for r, _ in acks]
    assert len(set(rows)) == len(rows), "a row was handed to two annotators"
    reopened = Project.open("load", **place)
    labels = reopened.session.labels
    assert np.array_equal(labels[rows], [y for _, y in acks])
    assert reopened.session.n_queried == len(acks)
    assert not reopened.conflicts()
