"""The simulated oracle inside a project: the dataset's own labels answer the queries.

A presenter shows the loop without clicking through it: the oracle answers what the
presenter would have been shown next, the sample on their screen first, so a fresh
tutorial project labels exactly the rows ``python -m al_core simulate`` queries.
"""

from __future__ import annotations

from al_core.errors import DatasetError
from al_core.learning.query import DONE, TEST
from al_core.projects.project import Project

ORACLE = "simulated oracle"
"""The annotator name the oracle's labels are saved under."""


def oracle_labels(project: Project, n: int, presenter: str | None = None) -> int:
    """Let the ground truth label the next ``n`` queried rows; returns how many it labeled.

    Parameters
    ----------
    project : Project
    n : int
        Labels to give at most; fewer when the budget or the pool runs out.
    presenter : str, optional
        The person watching: the oracle answers the rows leased to them (the sample on
        their screen first) instead of asking for rows of its own.

    Raises
    ------
    DatasetError
        If the data has no ground truth for every row, or the test set is not labeled.
    """
    if not project.dataset.fully_labeled or project.dataset.y is None:
        raise DatasetError("the simulated oracle needs data whose every row has a label")
    if project.session.phase == TEST:
        raise DatasetError("the simulated oracle starts once the test set is labeled")
    y = project.dataset.y
    asker = presenter or ORACLE
    done = 0
    while done < n and project.session.phase != DONE:
        for row in project.next_for(asker).ids.tolist():
            if done == n:
                break
            project.label(ORACLE, row, int(y[row]))
            done += 1
    return done
