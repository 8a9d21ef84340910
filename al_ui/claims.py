"""What the Present and Compare pages claim about labels saved, with its uncertainty.

Pure functions of engine results (tests call them without Streamlit): a saving is
claimed only where the figures behind it can tell it apart from noise, and every count
comes with what it rests on.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from al_core.learning.intervals import within_noise
from al_core.simulation.compare import Comparison, Curve
from al_ui.messages import STRATEGY_LABELS


def strategy_label(name: str) -> str:
    """A strategy's name as the pages write it."""
    return STRATEGY_LABELS.get(name, name)


def savings_text(needed: int, n_labeled: int, acc: float) -> tuple[str, str]:
    """The "Labels saved" figure and its caption, when random sampling needs ``needed``
    labels on average to reach the accuracy ``acc`` this project has with ``n_labeled``.
    No saving is said in words: a negative count ("-11") reads as a figure to present."""
    saved = needed - n_labeled
    if saved > 0:
        return f"{saved}", (
            f"Random sampling needs {needed} labels on average to reach {acc:.3f}; "
            f"this project has {n_labeled} ({saved / max(needed, 1):.0%} fewer)."
        )
    return "none yet", (
        f"Random sampling reaches {acc:.3f} with {needed} labels on average, this project "
        f"with {n_labeled}: no saving yet."
    )


def random_level(band: Curve, n_labeled: int, acc: float, n_test: int) -> float | None:
    """Random sampling's mean accuracy at ``n_labeled`` labels where this project's
    ``acc`` is not clearly above it (at or below it, or within the noise of ``n_test``
    test rows); None where it is clearly above, or the band starts later."""
    at = np.flatnonzero(band.n_labeled <= n_labeled)
    if at.size == 0:
        return None
    random_now = float(band.mean[at[-1]])
    if acc <= random_now or within_noise(random_now, acc, n_test):
        return random_now
    return None


def interval_text(interval: Sequence[float | str] | None) -> str:
    """A bootstrap interval of labels saved as the pages write it: "—" for none, an
    unreached end as ∞. ``interval`` as ``Comparison.labels_saved_interval`` gives it,
    or as its ``summary`` rows do ("+inf" / "-inf" for an unreached end)."""
    if interval is None:
        return "—"
    values = [float(v) for v in interval]
    ends = [("+∞" if v > 0 else "−∞") if np.isinf(v) else f"{v:+.0f}" for v in values]
    return f"{ends[0]} to {ends[1]}"


def headline(result: Comparison) -> str:
    """One sentence on what the run shows, the labels saved included, with how sure."""
    random_reach = result.curves["random"].labels_to_reach(result.target)
    best = None
    for group in result.identical_groups():
        if group == ["random"]:
            continue
        reach = result.curves[group[0]].labels_to_reach(result.target)
        if reach is not None and (best is None or reach < best[1]):
            best = (group, reach)
    if best is None:
        return (
            "No strategy's mean curve stays at 98 % of the full-pool accuracy within the "
            "budget: raise the budget to see where they get."
        )
    names = " = ".join(strategy_label(n) for n in best[0])
    if random_reach is None:
        interval = result.labels_saved_interval(best[0][0])
        spread = (
            ""
            if interval is None
            else f" (95 % interval of the labels saved over the {len(result.seeds)} seeds "
            f"{interval_text(interval)})"
        )
        return (
            f"**{names}** reaches 98 % of the full-pool accuracy with {best[1]} labels; "
            f"random sampling's mean curve does not within {result.budget} queries{spread}."
        )
    saved = random_reach - best[1]
    if saved <= 0:
        return (
            f"**Random sampling did as well** here: it reaches 98 % of the full-pool accuracy "
            f"with {random_reach} labels, {names} with {best[1]}. This dataset is easy from "
            "this start."
        )
    claim = (
        f"**{names}** reaches 98 % of the full-pool accuracy with {best[1]} labels, random "
        f"sampling with {random_reach}: **{saved} labels saved** ({saved / random_reach:.0%})"
    )
    interval = result.labels_saved_interval(best[0][0])
    if interval is None:
        return claim + f", from {len(result.seeds)} seed: run more seeds to see how sure it is."
    low, high = interval
    spread = f"95 % interval over the {len(result.seeds)} seeds {interval_text(interval)}"
    if low <= 0:
        return claim + f"; but {spread}: not clearly more than random's own luck."
    return claim + f" ({spread})."
