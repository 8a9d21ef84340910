"""Agreement between annotators: per pair and overall, with intervals, and per person.

Pure functions of who gave which label to which row; ``review.queue`` reads those from a
project. Per pair: Cohen's kappa (scikit-learn) on the rows both labeled. Overall:
Krippendorff's alpha (nominal), which takes any number of annotators per row. Both get a
95 % bootstrap interval over rows once there are ``MIN_SHARED`` shared rows; with fewer,
an interval would only say "anything from chance to perfect" and is left out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime

import krippendorff
import numpy as np
from sklearn.metrics import cohen_kappa_score

MIN_SHARED = 10
"""Rows two annotators must share before their agreement gets an interval."""

BOOTSTRAP = 1000
"""Resamples of the shared rows behind each interval."""

BREAK_SECONDS = 600.0
"""A pause longer than this between two labels is a break, not labeling time."""


@dataclass(frozen=True)
class PairAgreement:
    """Agreement of two annotators (or, as ``first == second == "all"``, of everyone).

    Attributes
    ----------
    n_shared : int
        Rows both labeled (overall: rows labeled by two or more people).
    percent : float
        Share of those rows given the same label.
    value : float or None
        Cohen's kappa (a pair) or Krippendorff's alpha (overall): 1 is perfect, 0 is what
        chance gives; None where it is undefined (every label the same class).
    low, high : float or None
        95 % bootstrap interval of ``value``; None below ``MIN_SHARED`` rows.
    """

    first: str
    second: str
    n_shared: int
    percent: float
    value: float | None
    low: float | None
    high: float | None


@dataclass(frozen=True)
class AnnotatorStats:
    """One annotator's work: labels given, pace, and agreement with reviewers' decisions."""

    annotator: str
    labels: int
    median_seconds: float | None
    n_decided: int
    agrees_with_decision: float | None


@dataclass(frozen=True)
class AgreementReport:
    pairs: list[PairAgreement]
    overall: PairAgreement | None
    annotators: list[AnnotatorStats]

    def as_dict(self) -> dict:
        return {
            "pairs": [asdict(p) for p in self.pairs],
            "overall": None if self.overall is None else asdict(self.overall),
            "annotators": [asdict(a) for a in self.annotators],
        }


def kappas(a: np.ndarray, b: np.ndarray, n_classes: int) -> np.ndarray:
    """Cohen's kappa of many resamples at once.

    Parameters
    ----------
    a, b : ndarray of shape (n_resamples, n_rows)
        Class indices two annotators gave, row for row.

    Returns
    -------
    ndarray of shape (n_resamples,)
        NaN where chance agreement is 1 (both gave one and the same class throughout).
    """
    n_resamples, n = a.shape
    cells = (np.arange(n_resamples)[:, None] * n_classes + a) * n_classes + b
    counts = np.bincount(cells.ravel(), minlength=n_resamples * n_classes**2)
    confusion = counts.reshape(n_resamples, n_classes, n_classes) / n
    observed = np.trace(confusion, axis1=1, axis2=2)
    expected = np.einsum("ri,ri->r", confusion.sum(axis=2), confusion.sum(axis=1))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(expected < 1, (observed - expected) / (1 - expected), np.nan)


def pair_agreement(
    first: str,
    second: str,
    a: Sequence[int],
    b: Sequence[int],
    n_classes: int,
    random_state: int = 0,
) -> PairAgreement:
    """Cohen's kappa of two annotators over the rows both labeled (``a[i]``, ``b[i]``)."""
    x, y = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
    n = int(x.size)
    percent = float(np.mean(x == y)) if n else float("nan")
    value = low = high = None
    if n and np.isfinite(kappas(x[None], y[None], n_classes)[0]):  # else undefined
        value = float(cohen_kappa_score(x, y, labels=np.arange(n_classes)))
    if value is not None and n >= MIN_SHARED:
        idx = np.random.default_rng(random_state).integers(0, n, size=(BOOTSTRAP, n))
        low, high = _interval(kappas(x[idx], y[idx], n_classes))
    return PairAgreement(first, second, n, percent, value, low, high)


def overall_agreement(
    matrix: np.ndarray, random_state: int = 0, n_resamples: int = 200
) -> PairAgreement | None:
    """Krippendorff's alpha (nominal) of everyone, over rows labeled by two or more.

    Parameters
    ----------
    matrix : ndarray of shape (n_annotators, n_rows)
        Class indices, NaN where an annotator did not label the row.
    """
    counts = np.sum(~np.isnan(matrix), axis=0)
    matrix = matrix[:, counts >= 2]
    n = matrix.shape[1]
    if n == 0:
        return None
    same = [len(set(col[~np.isnan(col)].tolist())) == 1 for col in matrix.T]
    percent = float(np.mean(same))
    value = _alpha(matrix)
    low = high = None
    if value is not None and n >= MIN_SHARED:
        rng = np.random.default_rng(random_state)
        draws = [_alpha(matrix[:, rng.integers(0, n, size=n)]) for _ in range(n_resamples)]
        low, high = _interval(np.array([np.nan if d is None else d for d in draws]))
    return PairAgreement("all", "all", n, percent, value, low, high)


def _alpha(matrix: np.ndarray) -> float | None:
    values = matrix[~np.isnan(matrix)]
    if np.unique(values).size < 2:  # one class throughout: alpha is undefined
        return None
    return float(krippendorff.alpha(reliability_data=matrix, level_of_measurement="nominal"))


def _interval(draws: np.ndarray) -> tuple[float | None, float | None]:
    draws = draws[np.isfinite(draws)]
    if draws.size == 0:
        return None, None
    low, high = np.percentile(draws, [2.5, 97.5])
    return float(low), float(high)


def median_seconds(timestamps: Sequence[str]) -> float | None:
    """Median time between one person's consecutive actions, breaks left out."""
    times = sorted(datetime.fromisoformat(t).timestamp() for t in timestamps)
    gaps = np.diff(times)
    gaps = gaps[gaps <= BREAK_SECONDS]
    return float(np.median(gaps)) if gaps.size else None


def agreement_report(
    labels: Mapping[int, Mapping[str, int]],
    decisions: Mapping[int, int],
    action_times: Mapping[str, Sequence[str]],
    n_classes: int,
    random_state: int = 0,
) -> AgreementReport:
    """Agreement per pair of annotators, overall, and per annotator.

    Parameters
    ----------
    labels : {row: {annotator: class index}}
        Each annotator's label of each row they labeled.
    decisions : {row: class index}
        Reviewers' final labels.
    action_times : {annotator: [ISO 8601 time stamps]}
        When each annotator labeled or skipped (for the pace).
    """
    people = sorted({who for by in labels.values() for who in by})
    pairs = []
    for i, first in enumerate(people):
        for second in people[i + 1 :]:
            shared = [
                (by[first], by[second]) for by in labels.values() if first in by and second in by
            ]
            if shared:
                a, b = zip(*shared, strict=True)
                pairs.append(pair_agreement(first, second, a, b, n_classes, random_state))
    matrix = np.full((len(people), len(labels)), np.nan)
    for j, by in enumerate(labels.values()):
        for who, label in by.items():
            matrix[people.index(who), j] = label
    overall = overall_agreement(matrix, random_state) if people else None
    stats = []
    for who in people:
        mine = {row: by[who] for row, by in labels.items() if who in by}
        decided = [row for row in mine if row in decisions]
        agrees = float(np.mean([mine[r] == decisions[r] for r in decided])) if decided else None
        stats.append(
            AnnotatorStats(
                who, len(mine), median_seconds(action_times.get(who, [])), len(decided), agrees
            )
        )
    return AgreementReport(pairs, overall, stats)
