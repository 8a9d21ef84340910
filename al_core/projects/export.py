"""Tables of a project's labels and learning curve, and writing them to files.

CSV output is made safe for spreadsheets: a text cell that starts with ``=``, ``+``,
``-``, ``@`` (or a tab or carriage return) gets a leading apostrophe, so a spreadsheet
shows it as text instead of running it as a formula.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from al_core.data.datasets import MISSING_LABEL
from al_core.errors import ConfigError, StorageError
from al_core.projects.eventlog import DATASET_ANNOTATOR, Event, label_of, row_of
from al_core.projects.project import Project

FORMATS = ("csv", "json", "parquet")
_LINE_START_FORMULA = re.compile(r"(?<![^\r\n])(?=[=+\-@\t\r])")
"""Where a cell's text, or any line of it, starts with what a spreadsheet would run."""


def labels_frame(project: Project, with_values: bool = True) -> pd.DataFrame:
    """One row per labeled row: id, role, label, who and when, conflicts, original values.

    ``label`` is the row's label now: a reviewer's decision where there is one
    (``decided_by``), else the earliest label given; ``conflict`` says that people gave
    the row different labels.

    Rows labeled from the dataset's own ground truth (a built-in's initial and test
    sets) have annotator ``DATASET_ANNOTATOR`` and no timestamp.
    """
    with project.reading():  # a consistent snapshot while others label
        return _labels_frame(project, with_values)


def _labels_frame(project: Project, with_values: bool) -> pd.DataFrame:
    s, data = project.session, project.dataset
    ids = np.flatnonzero(s.labels != MISSING_LABEL)
    conflicts = project.conflicts()
    rows = []
    for i in ids.tolist():
        event = project.label_event(i)
        others = conflicts.get(i, [])
        given = {label_of(e) for e in others} | ({label_of(event)} if event else set())
        decision = project.log.decision(i)
        rows.append(
            {
                "row_id": i,
                "role": "test" if s.is_test[i] else "train",
                "label": data.class_names[s.labels[i]],
                "annotator": event.annotator if event else DATASET_ANNOTATOR,
                "labeled_at": event.ts if event else None,
                "conflict": len(given) > 1,
                "decided_by": decision.annotator if decision else None,
                "other_labels": "; ".join(
                    f"{data.class_names[label_of(e)]} by {e.annotator}" for e in others
                ),
            }
        )
    frame = pd.DataFrame(
        rows,
        columns=[
            "row_id",
            "role",
            "label",
            "annotator",
            "labeled_at",
            "conflict",
            "other_labels",
            "decided_by",
        ],
    )
    # Newest first; the dataset's own labels (no time) after the people's.
    frame = frame.sort_values(
        ["labeled_at", "row_id"], ascending=[False, True], na_position="last", kind="stable"
    ).reset_index(drop=True)
    if with_values and len(frame):
        values = (
            data.raw
            if data.raw is not None
            else pd.DataFrame(data.X, columns=list(data.feature_names))
        )
        values = values.iloc[frame["row_id"].to_numpy()].reset_index(drop=True)
        values.columns = [f"value:{c}" for c in values.columns]
        frame = pd.concat([frame, values], axis=1)
    return frame


def skipped_frame(project: Project) -> pd.DataFrame:
    """The rows on the "later" list now: who skipped each and when (newest first)."""
    with project.reading():
        skips: dict[int, Event] = {}
        undone = {e.target for e in project.events if e.kind == "undo"}
        for e in project.events:
            if e.kind == "skip" and e.seq not in undone:
                skips[row_of(e)] = e
            elif e.kind == "revisit":
                if e.row_id is None:
                    skips.clear()
                else:
                    skips.pop(row_of(e), None)
        waiting = set(project.session.skipped_ids.tolist())
        rows = [
            {"row_id": row, "skipped_by": e.annotator, "skipped_at": e.ts}
            for row, e in skips.items()
            if row in waiting
        ]
    frame = pd.DataFrame(rows, columns=["row_id", "skipped_by", "skipped_at"])
    return frame.sort_values("skipped_at", ascending=False, kind="stable").reset_index(drop=True)


def history_frame(project: Project) -> pd.DataFrame:
    """The learning curve: one row per retrain (labels used vs test accuracy)."""
    with project.reading():
        history = list(project.session.history)
    rows = []
    for p in history:
        d = p.as_dict()
        for key in ("queried_ids", "scores", "labels"):
            d[key] = " ".join(str(v) for v in d[key])
        rows.append(d)
    return pd.DataFrame(rows)


def _guard(value: object) -> object:
    # Every line start counts: a spreadsheet that splits a cell on a line break would
    # otherwise see "=cmd|..." begin a line of its own.
    return _LINE_START_FORMULA.sub("'", value) if isinstance(value, str) else value


def neutralize_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy in which no line of a text cell (or a column name) can start a formula."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(_guard)
    out.columns = [_guard(c) for c in out.columns]
    return out


def to_bytes(frame: pd.DataFrame, fmt: str) -> bytes:
    """Serialize a table as csv (formula-safe), json (records) or parquet."""
    if fmt == "csv":
        # CRLF line ends make the writer quote any cell holding a CR or an LF, so a
        # line break inside a value can never end the row.
        return neutralize_formulas(frame).to_csv(index=False, lineterminator="\r\n").encode()
    if fmt == "json":
        return frame.to_json(orient="records", indent=1).encode("utf-8")
    if fmt == "parquet":
        safe = frame.copy()
        safe.columns = [str(c) for c in safe.columns]
        return safe.to_parquet(index=False)
    raise ConfigError(f"unknown export format {fmt!r}; choose one of: {', '.join(FORMATS)}")


def export_project(name: str, fmt: str = "csv", out_dir: str | Path | None = None) -> list[Path]:
    """Write ``<project>-labels.<fmt>`` and ``<project>-history.<fmt>``; returns the paths."""
    if fmt not in FORMATS:
        raise ConfigError(f"unknown export format {fmt!r}; choose one of: {', '.join(FORMATS)}")
    project = Project.open(name)
    try:
        out = Path(out_dir or ".")
        written = []
        for part, frame in (("labels", labels_frame(project)), ("history", history_frame(project))):
            path = out / f"{project.name}-{part}.{fmt}"
            try:
                out.mkdir(parents=True, exist_ok=True)
                path.write_bytes(to_bytes(frame, fmt))
            except OSError as exc:
                raise StorageError(f"cannot write {str(path)!r}: {exc.strerror or exc}") from exc
            written.append(path)
        return written
    finally:
        project.close()
