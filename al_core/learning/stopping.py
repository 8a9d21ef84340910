"""When to stop labeling: stabilizing predictions, checked against the test curve.

Bloodgood and Vijay-Shanker (2009, "A method for stopping active learning based on
stabilizing predictions") stop once successive models agree, as Cohen's kappa, on a
fixed random "stop set" of rows. Models one label apart always agree, so here the
current model is compared with the one ``LAG`` retrains earlier; the advice is "stop"
once the last ``WINDOW`` such agreements are all at least ``THRESHOLD`` **and** the test
accuracy has not moved by more than its own noise over those ``LAG`` retrains.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from al_core.learning.history import HistoryPoint
from al_core.learning.intervals import wilson_interval

STOP_SET_SIZE = 1000
"""Rows in the stop set (fewer when the pool is smaller)."""
LAG = 10
"""Retrains between the two models whose predictions are compared."""
WINDOW = 3
"""How many agreements in a row must reach ``THRESHOLD``."""
THRESHOLD = 0.98
"""Kappa that counts as "the predictions have stopped changing". The paper uses 0.99
between successive models that are hundreds of labels apart; models ``LAG`` single
labels apart, three times in a row, need slightly less. Chosen by measurement
(``python -m benchmarks.stopping``, table in the README): on the four bundled datasets it
never stopped below 97 % of the full-pool accuracy."""
NEARLY = 0.95
"""Kappa from which the advice says "nearly there"."""

State = Literal["keep", "nearly", "stop"]


@dataclass(frozen=True)
class Advice:
    """What the stopping rule says now.

    Attributes
    ----------
    state : {"keep", "nearly", "stop"}
    reason : str
        One sentence, with the numbers behind it.
    stop_at : int or None
        Labels given when the rule first said "stop" (None: it has not).
    """

    state: State
    reason: str
    stop_at: int | None


def stop_set_rows(pool_ids: np.ndarray, seed: int, size: int = STOP_SET_SIZE) -> np.ndarray:
    """A fixed random sample of the pool's rows, sorted; the same for the same seed."""
    rng = np.random.default_rng([seed, 2009])
    take = min(size, pool_ids.size)
    return np.sort(rng.choice(pool_ids, size=take, replace=False)) if take else pool_ids[:0]


def agreement(earlier: np.ndarray, later: np.ndarray, n_classes: int | None = None) -> float:
    """Cohen's kappa between two models' predictions (1.0 when they are identical).

    The same number as ``sklearn.metrics.cohen_kappa_score``, from one ``bincount``: it
    runs after every label, and the metric's input checks cost more than the fit's share.

    Parameters
    ----------
    earlier, later : ndarray of shape (n,)
    n_classes : int, optional
        Where given, both arrays hold class indices in ``[0, n_classes)`` (a session's
        predictions do), so they are counted as they are, unchecked.
    """
    n = earlier.size
    if n_classes is None and np.array_equal(earlier, later):
        return 1.0
    if n_classes is not None or (_small_codes(earlier) and _small_codes(later)):
        # Class indices are their own codes (no sort); classes neither model predicts
        # add empty rows and columns, which change neither sum. In intp: the product of
        # a narrower type (predictions read back from a project) would wrap.
        k = n_classes if n_classes is not None else int(max(earlier.max(), later.max())) + 1
        codes = earlier.astype(np.intp) * k + later
    else:
        classes, inverse = np.unique(np.concatenate([earlier, later]), return_inverse=True)
        k = classes.size
        codes = inverse[:n] * k + inverse[n:]
    table = np.bincount(codes, minlength=k * k).reshape(k, k)
    agreed = int(np.trace(table))
    if agreed == n:  # identical predictions
        return 1.0
    observed = agreed / n
    expected = float(table.sum(axis=1) @ table.sum(axis=0)) / (n * n)
    return 0.0 if expected == 1.0 else float((observed - expected) / (1.0 - expected))


def _small_codes(values: np.ndarray) -> bool:
    """Whether ``values`` are integers in [0, 1024): class indices, as the session's are."""
    return (
        values.dtype.kind in "iu"
        and values.size > 0
        and int(values.min()) >= 0
        and int(values.max()) < 1024
    )


def _says_stop(history: list[HistoryPoint], i: int, n_test: int) -> bool:
    recent = [p.agreement for p in history[max(0, i - WINDOW + 1) : i + 1]]
    if len(recent) < WINDOW or any(a is None or a < THRESHOLD for a in recent):
        return False
    now, before = history[i].accuracy, history[i - LAG].accuracy if i >= LAG else None
    if now is None or before is None or n_test == 0:
        return False
    low, high = wilson_interval(round(now * n_test), n_test)
    return abs(now - before) <= max((high - low) / 2, 1.0 / n_test)


def stopping_advice(history: list[HistoryPoint], n_test: int) -> Advice:
    """The advice after the last retrain of ``history`` (test set of ``n_test`` rows)."""
    stop_at = next(
        (p.n_labeled for i, p in enumerate(history) if _says_stop(history, i, n_test)), None
    )
    last = history[-1].agreement if history else None
    if stop_at is not None:
        return Advice(
            "stop",
            f"The model's predictions on {STOP_SET_SIZE:,} held-aside rows stopped changing "
            f"(agreement with the model {LAG} labels earlier at least {THRESHOLD} {WINDOW} "
            "times in a row) and test accuracy has levelled off within its noise: more labels "
            "are unlikely to help.",
            stop_at,
        )
    if last is None:
        return Advice(
            "keep",
            f"Too early to tell: the rule compares each model with the one {LAG} labels earlier.",
            None,
        )
    if last >= NEARLY:
        return Advice(
            "nearly",
            f"The predictions are settling (agreement {last:.3f} with the model {LAG} labels "
            f"earlier; stop at {THRESHOLD} {WINDOW} times in a row with a level test curve).",
            None,
        )
    return Advice(
        "keep",
        f"The model still changes its mind (agreement {last:.3f} with the model {LAG} labels "
        "earlier): keep labeling.",
        None,
    )
