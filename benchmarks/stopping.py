"""The stopping advice against the target: never early, and not wasteful.

``python -m benchmarks stopping``: for each dataset, ``compare`` (10 seeds, a small
start) with margin sampling; at the advised stop, the mean accuracy as a share of the
full-pool accuracy (target: at least 0.97 on every dataset), and the labels given there
against the labels margin needs to reach 98 % (target: at most 2x on three of four).
"""

from __future__ import annotations

import json
import sys
import time

from al_core import SessionConfig, compare, load_builtin

CASES = [("tutorial", 300), ("breast_cancer", 150), ("wine", 100), ("digits", 400)]
INITIAL = 0.02


def run(seeds: int = 10) -> list[dict]:
    rows = []
    for name, budget in CASES:
        t0 = time.perf_counter()
        result = compare(
            load_builtin(name), ["margin"], seeds, budget, SessionConfig(initial_fraction=INITIAL)
        )
        margin = result.curves["margin"]
        stop = margin.stop_summary()
        reach = margin.labels_to_reach(result.target)
        acc = stop["accuracy_at_stop"]
        rows.append(
            {
                "dataset": name,
                "budget": budget,
                "start": int(margin.n_labeled[0]),
                "full_accuracy": result.full_accuracy,
                "margin_labels_to_98": reach,
                **stop,
                "share_of_full_at_stop": None if acc is None else acc / result.full_accuracy,
                "stop_over_margin_98": (
                    None if reach is None or stop["stop_at"] is None else stop["stop_at"] / reach
                ),
                "seconds": time.perf_counter() - t0,
            }
        )
        print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    return rows


def table(rows: list[dict]) -> str:
    def fmt(v, spec):
        return "never" if v is None else format(v, spec)

    lines = [
        "| dataset | start | full-pool acc. | margin: labels to 98 % | advice stopped (runs) "
        "| stop at (mean labels) | acc. at stop / full | stop / margin's 98 % |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['dataset']} | {r['start']} | {r['full_accuracy']:.3f} "
            f"| {fmt(r['margin_labels_to_98'], 'd')} | {r['stopped_runs']} / 10 "
            f"| {fmt(r['stop_at'], '.0f')} | {fmt(r['share_of_full_at_stop'], '.3f')} "
            f"| {fmt(r['stop_over_margin_98'], '.2f')} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    print(table(run()))
