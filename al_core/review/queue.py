"""A project's review queue and agreement report, read from its event log.

The queue holds conflicts first (two people gave a row different labels and no decision
has settled it since), then the likely mistakes among all labeled rows, test rows
included (a wrong test label bends the curve itself), most suspect first. A reviewer
settles an item with ``Project.adjudicate``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from al_core.data.datasets import MISSING_LABEL
from al_core.errors import ModelFitError, NotEnoughLabelsError
from al_core.projects.eventlog import Event, label_of
from al_core.projects.project import Project
from al_core.review.agreement import AgreementReport, agreement_report
from al_core.review.suspects import Suspects, find_suspects

Reason = Literal["conflict", "suspect"]


@dataclass(frozen=True)
class ReviewItem:
    """One row to review.

    Attributes
    ----------
    row_id : int
    reason : {"conflict", "suspect"}
    role : {"test", "train"}
    current : int
        The class the row has now (what the model and the curve use).
    labels : list of Event
        Every label given to the row and not undone, oldest first (who and when).
    decision : Event or None
        The reviewer's decision in force, if any.
    seen : int
        ``Project.last_change(row_id)`` when the queue was built: pass it to
        ``adjudicate`` so a decision on a row that changed since is refused.
    quality : float or None
        Label quality (0: surely wrong, 1: surely right), where it was ranked.
    proba : ndarray of shape (n_classes,) or None
        Out-of-fold probabilities, where it was ranked.
    """

    row_id: int
    reason: Reason
    role: str
    current: int
    labels: list[Event]
    decision: Event | None
    seen: int
    quality: float | None = None
    proba: np.ndarray | None = field(default=None, compare=False)

    def as_dict(self, class_names: list[str]) -> dict:
        return {
            "row_id": self.row_id,
            "reason": self.reason,
            "role": self.role,
            "label": class_names[self.current],
            "labels": [
                {"annotator": e.annotator, "label": class_names[label_of(e)], "at": e.ts}
                for e in self.labels
            ],
            "decided_by": None if self.decision is None else self.decision.annotator,
            "quality": self.quality,
            "probabilities": None
            if self.proba is None
            else {name: float(p) for name, p in zip(class_names, self.proba, strict=True)},
        }


@dataclass(frozen=True)
class ReviewQueue:
    items: list[ReviewItem]
    n_ranked: int
    """Labeled rows the suspects ranking looked at."""
    note: str | None = None
    """Why rows were left out of the ranking (or why there was none)."""


def suspects_of(
    project: Project, random_state: int = 0
) -> tuple[np.ndarray, Suspects | None, str | None]:
    """Rank every labeled row of the project; (rows ranked, ranking, note).

    Rows of classes with a single label cannot be cross-validated: they are left out,
    and the note says so. With fewer than two classes left there is no ranking.
    """
    s = project.session
    with project.reading():
        labels = s.labels.copy()
    rows = np.flatnonzero(labels != MISSING_LABEL)
    y = labels[rows]
    present, counts = np.unique(y, return_counts=True)
    lonely = present[counts < 2]
    note = None
    if lonely.size:
        names = ", ".join(repr(project.dataset.class_names[c]) for c in lonely)
        note = f"rows of {names} are not ranked: a class needs 2 labels to be cross-validated"
        keep = ~np.isin(y, lonely)
        rows, y = rows[keep], y[keep]
    try:
        found = find_suspects(
            s.estimator, project.dataset.X[rows], y, project.dataset.n_classes, random_state
        )
    except (NotEnoughLabelsError, ModelFitError) as exc:
        return rows, None, str(exc)
    return rows, found, note


def review_queue(project: Project, top: int = 10, random_state: int = 0) -> ReviewQueue:
    """Conflicts, then up to ``top`` likely mistakes not yet settled by a decision."""
    rows, found, note = suspects_of(project, random_state)
    log = project.log
    items: list[ReviewItem] = []
    with project.reading():
        ranked = {}
        if found is not None:
            ranked = {int(rows[i]): i for i in range(rows.size)}
        for row, events in log.disagreements().items():
            items.append(_item(project, row, "conflict", events, found, ranked.get(row)))
        conflicts = {item.row_id for item in items}
        if found is not None:
            picked = 0
            for i in found.order:
                if picked >= top or not found.flagged[i]:
                    continue
                row = int(rows[i])
                decision = log.decision(row)
                if row in conflicts or (
                    decision is not None and log.last_change(row) == decision.seq
                ):
                    continue  # settled by a reviewer, and nothing changed since
                items.append(_item(project, row, "suspect", log.labels_of(row), found, int(i)))
                picked += 1
    return ReviewQueue(items, int(rows.size), note)


def _item(
    project: Project,
    row: int,
    reason: Reason,
    events: list[Event],
    found: Suspects | None,
    i: int | None,
) -> ReviewItem:
    s, log = project.session, project.log
    quality = proba = None
    if found is not None and i is not None:
        quality, proba = float(found.quality[i]), found.proba[i]
    return ReviewItem(
        row_id=row,
        reason=reason,
        role="test" if s.is_test[row] else "train",
        current=int(s.labels[row]),
        labels=list(events),
        decision=log.decision(row),
        seen=log.last_change(row),
        quality=quality,
        proba=proba,
    )


def project_agreement(project: Project, random_state: int = 0) -> AgreementReport:
    """Agreement between the project's annotators (see ``review.agreement``)."""
    log = project.log
    with project.reading():
        labels: dict[int, dict[str, int]] = {}
        for row in log.labeled_rows():
            for e in log.labels_of(row):  # oldest first: each person's latest label wins
                labels.setdefault(row, {})[e.annotator] = label_of(e)
        decisions = {}
        for row in labels:
            decision = log.decision(row)
            if decision is not None:
                decisions[row] = label_of(decision)
        times: dict[str, list[str]] = {}
        for e in log.events:
            if e.kind in ("label", "skip"):
                times.setdefault(e.annotator, []).append(e.ts)
    return agreement_report(labels, decisions, times, project.dataset.n_classes, random_state)
