"""The command line's project commands: ``create``, ``review``, ``agreement``, ``migrate``,
``predict`` and ``export`` (``al_core.cli`` has the parser's entry and the simulations).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from al_core.projects.eventlog import label_of

TEXT_HELP = "a column of free text whose words become features (repeat for more)"
N_TEST_HELP = "test rows to label first, when the file has no labels"


class UsageError(Exception):
    """A bad command line; reported in one line, exit status 2."""


def fmt(x) -> str:
    """A score with four decimals, or ``n/a``."""
    return "   n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.4f}"


def add_project_commands(sub) -> None:
    """Add the project commands to an ``argparse`` subparsers object."""
    from al_core.data.datasets import BUILTINS
    from al_core.learning.config import SessionConfig
    from al_core.learning.models import MODELS
    from al_core.learning.strategies import STRATEGIES

    defaults = SessionConfig()
    new = sub.add_parser("create", help="create a labeling project from a built-in or a file")
    new.add_argument("project", help="project name")
    new.add_argument("--data", required=True, help=f"{', '.join(BUILTINS)} or a file path")
    new.add_argument("--label-column", help="label column of a CSV/Parquet file")
    new.add_argument("--text-column", action="append", default=[], help=TEXT_HELP)
    new.add_argument(
        "--on-server",
        action="store_true",
        help="use the file where it is, without copying it into the project (for large "
        "pools; it must not move or change)",
    )
    new.add_argument("--class-names", help="the classes, comma-separated (without labels)")
    new.add_argument("--model", default=defaults.model, choices=list(MODELS))
    new.add_argument("--strategy", default=defaults.strategy, choices=list(STRATEGIES))
    new.add_argument("--budget", type=int, default=defaults.budget)
    new.add_argument("--seed", type=int, default=defaults.seed)
    new.add_argument("--test-size", type=float, default=defaults.test_size)
    new.add_argument("--initial-fraction", type=float, default=defaults.initial_fraction)
    new.add_argument("--n-test", type=int, default=defaults.n_test_to_label, help=N_TEST_HELP)
    new.add_argument("--overlap", type=float, default=defaults.overlap)
    new.add_argument(
        "--float32",
        action="store_true",
        help="store the pool as float32 (the default above 100,000 rows)",
    )
    rev = sub.add_parser("review", help="a project's review queue: conflicts, likely mistakes")
    rev.add_argument("project", help="project name (a file NAME.alproj in the projects folder)")
    rev.add_argument("--top", type=int, default=10, help="likely mistakes to list (default 10)")
    rev.add_argument("--json", action="store_true", help="print one JSON object")
    agr = sub.add_parser("agreement", help="agreement between a project's annotators")
    agr.add_argument("project", help="project name (a file NAME.alproj in the projects folder)")
    agr.add_argument("--json", action="store_true", help="print one JSON object")
    mig = sub.add_parser("migrate", help="copy a project between SQLite and PostgreSQL")
    mig.add_argument("project", help="project name")
    mig.add_argument(
        "--to", required=True, help="a postgresql://user:pass@host/db URL, or a projects folder"
    )
    mig.add_argument(
        "--from",
        dest="source",
        help="where it is now: a URL or a folder (default: AL_DATABASE_URL, else the "
        "projects folder AL_PROJECTS_DIR)",
    )
    pre = sub.add_parser("predict", help="the model's class for every row (or a new file)")
    pre.add_argument("project", help="project name")
    pre.add_argument("--format", choices=["csv", "json", "parquet"], default="csv")
    pre.add_argument("--data", help="a new CSV/Parquet file with the project file's columns")
    pre.add_argument("--out", help="output folder (default: current folder)")
    pre.add_argument(
        "--model", action="store_true", help="also write the trained pipeline (.skops)"
    )
    exp = sub.add_parser("export", help="write a project's labels and history")
    exp.add_argument("project", help="project name (a file NAME.alproj in the projects folder)")
    exp.add_argument("--format", choices=["csv", "json", "parquet"], default="csv")
    exp.add_argument("--out", help="output folder (default: current folder)")


def run_review(args, out) -> None:
    from al_core.projects.project import Project
    from al_core.review.queue import review_queue

    if args.top < 0:
        raise UsageError("--top must be 0 or more")
    project = Project.open(args.project)
    try:
        queue = review_queue(project, top=args.top)
        names = list(project.dataset.class_names)
    finally:
        project.close()
    if args.json:
        payload = {
            "items": [item.as_dict(names) for item in queue.items],
            "ranked": queue.n_ranked,
            "note": queue.note,
        }
        json.dump(payload, out)
        out.write("\n")
        return
    out.write(f"{len(queue.items)} rows to review ({queue.n_ranked} labeled rows ranked)\n")
    if queue.note:
        out.write(f"note: {queue.note}\n")
    for item in queue.items:
        given = "; ".join(f"{names[label_of(e)]} by {e.annotator}" for e in item.labels)
        quality = "" if item.quality is None else f"  quality {item.quality:.3f}"
        out.write(
            f"row {item.row_id:>7}  {item.reason:<8} {item.role:<5}  now {names[item.current]}"
            f"{quality}  labels: {given or 'from the data'}\n"
        )


def run_agreement(args, out) -> None:
    from al_core.projects.project import Project
    from al_core.review.queue import project_agreement

    project = Project.open(args.project)
    try:
        report = project_agreement(project)
    finally:
        project.close()
    if args.json:
        json.dump(report.as_dict(), out)
        out.write("\n")
        return

    def interval(p) -> str:
        return "" if p.low is None else f"  95 % interval {p.low:.2f} to {p.high:.2f}"

    o = report.overall
    if o is None:
        out.write("no row has labels from two people yet (set the project's overlap)\n")
    else:
        out.write(
            f"Krippendorff's alpha {fmt(o.value)}{interval(o)} over {o.n_shared} rows "
            f"labeled by two or more; same label on {o.percent:.0%}\n"
        )
    for p in report.pairs:
        out.write(
            f"{p.first} / {p.second}: Cohen's kappa {fmt(p.value)}{interval(p)}, "
            f"{p.n_shared} shared rows, same label on {p.percent:.0%}\n"
        )
    for a in report.annotators:
        pace = "-" if a.median_seconds is None else f"{a.median_seconds:.1f} s"
        agrees = "-" if a.agrees_with_decision is None else f"{a.agrees_with_decision:.0%}"
        out.write(
            f"{a.annotator}: {a.labels} labels, median {pace} per label, agrees with "
            f"{agrees} of {a.n_decided} decisions\n"
        )


def run_migrate(args, out) -> None:
    from al_core.projects.location import database_url
    from al_core.projects.migrate import migrate, place_of
    from al_core.projects.pgstore import redact
    from al_core.projects.store import projects_dir

    source = args.source or database_url() or str(projects_dir())
    if source == args.to:
        raise UsageError("--to names the place the project is in already")
    moved = migrate(args.project, place_of(source), place_of(args.to))
    out.write(
        f"copied {moved.name!r}: {moved.events} events, {moved.labels} labels, "
        f"{moved.points} curve points, to {redact(args.to)}; the copy replays to the same "
        "labels, curve and next query\n"
    )


def run_predict(args, out) -> None:
    from al_core.projects.export import to_bytes
    from al_core.projects.predict import predictions_frame, save_model
    from al_core.projects.project import Project

    folder = Path(args.out or ".")
    folder.mkdir(parents=True, exist_ok=True)
    project = Project.open(args.project)
    try:
        frame = predictions_frame(project, args.data)
        stem = project.name + ("-new" if args.data else "")
        path = folder / f"{stem}-predictions.{args.format}"
        path.write_bytes(to_bytes(frame, args.format))
        out.write(f"{path}\n")
        if args.model:
            out.write(f"{save_model(project, folder / f'{project.name}-model.skops')}\n")
    finally:
        project.close()


def run_export(args, out) -> None:
    from al_core.projects.export import export_project

    paths = export_project(args.project, args.format, args.out)
    for path in paths:
        out.write(f"{path}\n")


def run_create(args, out) -> None:
    from al_core.data.datasets import BUILTINS
    from al_core.data.textfile import read_source
    from al_core.learning.config import SessionConfig
    from al_core.projects.project import Project
    from al_core.projects.sources import DataSource

    config = SessionConfig(
        model=args.model,
        strategy=args.strategy,
        budget=args.budget,
        seed=args.seed,
        test_size=args.test_size,
        initial_fraction=args.initial_fraction,
        n_test_to_label=args.n_test,
        overlap=args.overlap,
    )
    content = None
    if args.data in BUILTINS:
        if args.label_column or args.text_column or args.class_names:
            raise UsageError("--label-column, --text-column and --class-names are for files")
        source = DataSource("builtin", args.data, seed=args.seed, float32=args.float32 or None)
    else:
        classes = [c.strip() for c in (args.class_names or "").split(",") if c.strip()]
        if args.on_server:
            where = Path(args.data).resolve()
            if not where.is_file():
                raise UsageError(f"there is no file {str(where)!r}")
            name = str(where)
        else:
            content, _ = read_source(args.data, None, None)
            name = Path(args.data).name
        source = DataSource(
            "server" if args.on_server else "file",
            name,
            seed=args.seed,
            float32=args.float32 or None,
            label_column=args.label_column,
            class_names=tuple(classes) or None,
            text_columns=tuple(args.text_column) or None,
        )
    project = Project.create(args.project, source, config, content=content)
    try:
        data = project.dataset
        out.write(
            f"created {project.name!r}: {data.n_samples:,} rows, {data.n_features:,} model "
            f"features, classes {', '.join(data.class_names)}; open it in the app or label "
            "it with the simulated oracle\n"
        )
        for note in data.notes:
            state = "used" if note.used else "left out"
            out.write(f"column {note.column!r} ({state}): {note.problem}\n")
    finally:
        project.close()


PROJECT_COMMANDS = {
    "create": run_create,
    "review": run_review,
    "agreement": run_agreement,
    "migrate": run_migrate,
    "predict": run_predict,
    "export": run_export,
}
