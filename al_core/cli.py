"""Command line: ``python -m al_core simulate|compare|create|predict|export|review|...``.

Every failure the engine reports on purpose ends in one line on stderr and exit
status 2; tracebacks are for bugs only.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from al_core.data.datasets import BUILTINS, Dataset, load_builtin
from al_core.errors import ALError
from al_core.learning.config import SessionConfig
from al_core.learning.models import MODELS
from al_core.learning.strategies import STRATEGIES
from al_core.project_commands import (
    PROJECT_COMMANDS,
    TEXT_HELP,
    UsageError,
    add_project_commands,
    fmt,
)
from al_core.simulation.compare import compare
from al_core.simulation.simulate import simulate

DEFAULTS = SessionConfig()
"""The engine's defaults (the tutorial's settings), used as the options' defaults."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, no usage dump
        raise UsageError(f"{message} (see {self.prog} --help)")


def load_dataset(
    spec: str,
    label_column: str | None,
    seed: int,
    float32: bool,
    text_columns: list[str] | None = None,
) -> Dataset:
    """A built-in by name, or a CSV/Parquet file by path."""
    dtype = np.float32 if float32 else np.float64
    if spec in BUILTINS:
        if text_columns:
            raise UsageError("--text-column is for a file; a built-in has its columns set")
        return load_builtin(spec, seed=seed, dtype=dtype)
    path = Path(spec)
    if not path.suffix and not path.exists():
        return load_builtin(spec, seed=seed)  # raises the "unknown dataset" message
    from al_core.data.tabular import load_table

    return load_table(path, label_column=label_column, dtype=dtype, text_columns=text_columns)


def _config_args(p: argparse.ArgumentParser, initial: float) -> None:
    p.add_argument("--dataset", default="tutorial", help=f"{', '.join(BUILTINS)} or a file path")
    p.add_argument("--label-column", help="label column of a CSV/Parquet file")
    p.add_argument("--text-column", action="append", default=[], help=TEXT_HELP)
    p.add_argument("--model", default=DEFAULTS.model, choices=list(MODELS))
    p.add_argument("--seed", type=int, default=DEFAULTS.seed)
    p.add_argument("--test-size", type=float, default=DEFAULTS.test_size)
    p.add_argument(
        "--initial-fraction",
        type=float,
        default=initial,
        help=f"share of the pool labeled at the start (default {initial})",
    )
    p.add_argument("--batch-size", type=int, default=DEFAULTS.batch_size)
    p.add_argument("--float32", action="store_true", help="store the pool as float32")
    p.add_argument("--json", action="store_true", help="print one JSON object")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m al_core", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    sim = sub.add_parser("simulate", help="active learning with the ground truth as oracle")
    _config_args(sim, initial=DEFAULTS.initial_fraction)
    sim.add_argument("--strategy", default=DEFAULTS.strategy, choices=list(STRATEGIES))
    sim.add_argument("--queries", type=int, default=DEFAULTS.budget)
    cmp_ = sub.add_parser("compare", help="strategies against random over several seeds")
    # A small start, so that the curves show how many labels each strategy needs.
    _config_args(cmp_, initial=0.02)
    cmp_.add_argument("--strategies", default="least_confidence,margin,entropy,random")
    cmp_.add_argument("--seeds", type=int, default=10)
    cmp_.add_argument("--budget", type=int, default=100)
    sus = sub.add_parser("suspects", help="rank a labeled file's rows by how likely wrong")
    sus.add_argument("--dataset", required=True, help=f"{', '.join(BUILTINS)} or a file path")
    sus.add_argument("--label-column", help="label column of a CSV/Parquet file")
    sus.add_argument("--model", default=DEFAULTS.model, choices=list(MODELS))
    sus.add_argument("--seed", type=int, default=DEFAULTS.seed)
    sus.add_argument("--top", type=int, default=20, help="rows to list (default 20; 0: all)")
    sus.add_argument("--json", action="store_true", help="print one JSON object")
    add_project_commands(sub)
    return parser


def _config(args, **extra) -> SessionConfig:
    """The settings shared by ``simulate`` and ``compare``, from the command line."""
    return SessionConfig(
        model=args.model,
        seed=args.seed,
        test_size=args.test_size,
        initial_fraction=args.initial_fraction,
        batch_size=args.batch_size,
        **extra,
    )


def run_simulate(args, out) -> None:
    dataset = load_dataset(
        args.dataset, args.label_column, args.seed, args.float32, args.text_column
    )
    if args.queries < 1:
        raise UsageError("--queries must be at least 1")
    config = _config(args, strategy=args.strategy, budget=args.queries)
    result = simulate(dataset, config)
    if args.json:
        json.dump(result.as_dict(), out)
        out.write("\n")
        return
    out.write(f"dataset {dataset.name}, strategy {args.strategy}, model {args.model}\n")
    out.write(
        f"INITIAL BASELINE (N={result.n_labeled[0]}): Test Accuracy: {fmt(result.accuracy[0])}\n"
    )
    per = args.batch_size
    for i, point in enumerate(result.history[1:]):
        scores = ", ".join(fmt(s) for s in result.uncertainty[i * per : (i + 1) * per])
        ids = ", ".join(str(r) for r in result.queried[i * per : (i + 1) * per])
        out.write(
            f"QUERY {i + 1}: Labeled Samples: {point.n_labeled}  Test Accuracy: "
            f"{fmt(point.accuracy)}  Uncertainty Score: {scores}  (row {ids})\n"
        )


def _progress(done: int, total: int) -> None:
    width = 30
    filled = width * done // total
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} runs")
    if done == total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def run_compare(args, out) -> None:
    dataset = load_dataset(
        args.dataset, args.label_column, args.seed, args.float32, args.text_column
    )
    strategies = [s.strip() for s in args.strategies.split(",") if s.strip()]
    config = _config(args, budget=args.budget)
    result = compare(dataset, strategies, args.seeds, args.budget, config, _progress)
    rows = result.summary()
    if args.json:
        curves = {
            n: {"n_labeled": c.n_labeled.tolist(), "mean": c.mean.tolist(), "sd": c.sd.tolist()}
            for n, c in result.curves.items()
        }
        payload = {
            "dataset": result.dataset,
            "seeds": result.seeds,
            "budget": result.budget,
            "full_accuracy": result.full_accuracy,
            "target": result.target,
            "strategies": rows,
            "curves": curves,
        }
        json.dump(payload, out)
        out.write("\n")
        return
    cols = list(rows[0]["accuracy_at"])
    out.write(
        f"dataset {result.dataset}: {len(result.seeds)} seeds, budget {result.budget} queries; "
        f"full-pool accuracy {result.full_accuracy:.4f}, target (98%) {result.target:.4f}\n"
    )
    head = f"{'strategy':<18}" + "".join(f"{'acc@' + c:>18}" for c in cols)
    out.write(
        head + f"{'AUC':>8}{'labels->98%':>13}{'saved':>7}{'95% interval':>16}{'stop at':>9}\n"
    )
    for r in rows:
        cells = "".join(
            f"{r['accuracy_at'][c]['mean']:>10.4f} ± {r['accuracy_at'][c]['sd']:.3f}" for c in cols
        )
        reach = r["labels_to_target"]
        saved = r["labels_saved_vs_random"]
        stop = r["stop_advice"]["stop_at"]
        interval = r.get("labels_saved_interval")
        spread = "-" if interval is None else f"{_end(interval[0])} to {_end(interval[1])}"
        out.write(
            f"{r['strategy']:<18}{cells}{r['auc']:>8.4f}"
            f"{'never' if reach is None else reach:>13}{'-' if saved is None else saved:>7}"
            f"{spread:>16}{'never' if stop is None else format(stop, '.0f'):>9}\n"
        )
    out.write(
        "95% interval: of the labels saved, over the seeds resampled 2,000 times "
        "(inf: the target not reached within the budget in over 2.5% of them)\n"
    )


def _end(value: float | str) -> str:
    # A string: "+inf" or "-inf", the target not reached at that end (Comparison.summary).
    return value if isinstance(value, str) else f"{value:+.0f}"


def run_suspects(args, out) -> None:
    from al_core.learning.models import make_model
    from al_core.review.suspects import check_cross_validation, find_suspects

    if args.top < 0:
        raise UsageError("--top must be 0 or more")
    if args.dataset not in BUILTINS and not args.label_column:
        raise UsageError(
            "suspects checks the labels of a file: name its label column with --label-column"
        )
    dataset = load_dataset(args.dataset, args.label_column, args.seed, False)
    if dataset.y is None:
        raise UsageError(
            f"{args.dataset} has no label column to check; name it with --label-column"
        )
    labeled = np.flatnonzero(dataset.y >= 0)
    if labeled.size == 0:
        raise UsageError(f"{args.dataset} has no labeled rows to check")
    y = dataset.y[labeled].astype(np.int64)
    check_cross_validation(y, list(dataset.class_names))
    found = find_suspects(
        make_model(args.model, args.seed), dataset.X[labeled], y, dataset.n_classes, args.seed
    )
    order = found.order if args.top == 0 else found.order[: args.top]
    rows = labeled[order]
    if args.json:
        payload = {
            "rows": rows.tolist(),
            "scores": [float(1 - found.quality[i]) for i in order],
            "labels": [dataset.class_names[y[i]] for i in order],
            "suggested": [dataset.class_names[found.suggested[i]] for i in order],
            "flagged": int(found.flagged.sum()),
        }
        json.dump(payload, out)
        out.write("\n")
        return
    out.write(
        f"{dataset.name}: {labeled.size} labeled rows, {int(found.flagged.sum())} likely "
        "mislabeled (confident learning); most suspect first:\n"
    )
    out.write(f"{'row':>8}  {'score':>6}  {'label':<20} {'model says':<20}\n")
    for i, row in zip(order, rows, strict=True):
        out.write(
            f"{row:>8}  {1 - found.quality[i]:>6.3f}  {dataset.class_names[y[i]]:<20} "
            f"{dataset.class_names[found.suggested[i]]:<20}\n"
        )


def main(argv: list[str] | None = None, out=None) -> int:
    """Entry point; returns the exit status."""
    out = out or sys.stdout
    from al_core.threads import pin_threads

    pin_threads(1)
    try:
        args = build_parser().parse_args(argv)
        commands = {
            "simulate": run_simulate,
            "compare": run_compare,
            "suspects": run_suspects,
            **PROJECT_COMMANDS,
        }
        commands[args.command](args, out)
    except (UsageError, ALError) as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
    return 0
