"""Data page: who labeled what and when, conflicts, the "later" list, and downloads."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from al_core import ALError
from al_core.projects.eventlog import DATASET_ANNOTATOR
from al_core.projects.export import history_frame, labels_frame, skipped_frame, to_bytes
from al_core.projects.oracle import ORACLE
from al_core.projects.predict import predictions_frame, save_model
from al_core.review.agreement import MIN_SHARED
from al_core.review.queue import project_agreement
from al_ui.auth import admins_only
from al_ui.messages import md, show_error
from al_ui.sidebar import sidebar_panel
from al_ui.state import annotator, project_or_message


def _revisit(project, row) -> None:
    try:
        project.revisit(annotator() or "anonymous", row)
    except ALError as exc:
        st.session_state["data_error"] = exc


@st.cache_data(max_entries=8, show_spinner=False)
def _agreement_report(key: str, last_seq: int, _project):
    # Keyed by the project and its last event: the bootstrap intervals are computed once
    # per change of the log, not on every rerun of the page.
    return project_agreement(_project)


def _fmt(x: float | None, digits: int = 2) -> str:
    return "—" if x is None else f"{x:.{digits}f}"


def _agreement(project) -> None:
    st.subheader("Agreement")
    report = _agreement_report(project.store.key, project.log.last_seq, project)
    overlap = project.session.config.overlap
    setting = (
        f"{overlap:.0%} of labeled rows go to a second person (the project's overlap)"
        if overlap
        else "this project's overlap is 0: set it when creating a project to measure agreement"
    )
    if report.overall is None:
        st.caption(f"No row has labels from two people yet; {setting}.")
    else:
        o = report.overall
        interval = "" if o.low is None else f" (95 % interval {o.low:.2f} to {o.high:.2f})"
        st.markdown(
            f"**Krippendorff's alpha {_fmt(o.value)}**{interval} over {o.n_shared} rows labeled "
            f"by two or more; they gave the same label on {o.percent:.0%}. 1 is perfect "
            f"agreement, 0 what chance gives."
        )
        st.caption(f"{setting.capitalize()}. Intervals need {MIN_SHARED} shared rows.")
        pairs = pd.DataFrame(
            [
                {
                    "annotators": f"{p.first} · {p.second}",
                    "shared rows": p.n_shared,
                    "same label": f"{p.percent:.0%}",
                    "Cohen's kappa": _fmt(p.value),
                    "95 % interval": "—" if p.low is None else f"{p.low:.2f} to {p.high:.2f}",
                }
                for p in report.pairs
            ]
        )
        st.dataframe(pairs, hide_index=True, key="agreement_pairs")
    people = pd.DataFrame(
        [
            {
                "annotator": a.annotator,
                "labels": a.labels,
                "median s per label": _fmt(a.median_seconds, 1),
                "decided rows": a.n_decided,
                "agrees with decision": "—"
                if a.agrees_with_decision is None
                else f"{a.agrees_with_decision:.0%}",
            }
            for a in report.annotators
        ]
    )
    if len(people):
        st.dataframe(people, hide_index=True, key="agreement_people")


def _predictions_and_model(project) -> None:
    """Made only when clicked: a large pool takes a moment to predict."""
    if project.session.model is None:
        st.caption("Predictions and the model: once a model is trained (two classes labeled).")
        return

    def predictions() -> bytes:
        return to_bytes(predictions_frame(project), "csv")

    def model() -> bytes:
        with tempfile.TemporaryDirectory() as folder:
            return save_model(project, Path(folder) / "model.skops").read_bytes()

    c1, c2 = st.columns(2)
    c1.download_button(
        "Predictions for every row (CSV)",
        predictions,
        f"{project.name}-predictions.csv",
        "text/csv",
        key="dl_predictions",
        on_click="ignore",
        help="Every row: its label if any and who gave it, the model's class, its "
        "probabilities and its uncertainty.",
    )
    c2.download_button(
        "Trained model (skops)",
        model,
        f"{project.name}-model.skops",
        "application/octet-stream",
        key="dl_model",
        on_click="ignore",
        help="The column encoding and the classifier as one pipeline; load it with "
        "skops.io.load (see the README).",
    )


def _readable(labels: pd.DataFrame) -> pd.DataFrame:
    """The labels as shown on the page: times to the second, in UTC (the download keeps
    them whole), and blanks for missing text."""
    shown = labels.copy()
    when = pd.to_datetime(shown["labeled_at"], utc=True, errors="coerce", format="ISO8601")
    shown["labeled_at"] = when.dt.strftime("%Y-%m-%d %H:%M:%S")
    for column in shown.select_dtypes(include=["object", "string"]).columns:
        shown[column] = shown[column].fillna("")  # nobody decided: blank, not "None"
    return shown.rename(columns={"labeled_at": "labeled at (UTC)"})


def page() -> None:
    project = project_or_message()
    if project is None:
        return
    sidebar_panel(project)
    if not admins_only("see and download every label"):
        return
    if "data_error" in st.session_state:
        show_error(st.session_state.pop("data_error"))
    st.title("Labeled data")
    labels = labels_frame(project)
    given = labels[labels.annotator != DATASET_ANNOTATOR]
    people = given[given.annotator != ORACLE]
    n_conflicts = int(labels.conflict.sum())
    c1, c2, c3 = st.columns(3)
    c1.metric("Labels by people", f"{len(people):,}")
    c2.metric("Annotators", f"{people.annotator.nunique()}")
    c3.metric("Conflicts", f"{n_conflicts}")
    if len(given) > len(people):
        st.caption(f"The simulated oracle gave {len(given) - len(people):,} more (demo labels).")
    show_all = st.toggle("Include the dataset's own labels (initial and test sets)", key="data_all")
    shown = labels if show_all else given
    if n_conflicts:
        st.warning(
            f"{n_conflicts} rows were labeled differently by two people. The earliest label "
            "trains the model until a reviewer decides on the Review page; the others are "
            "listed under *other_labels*."
        )
    st.dataframe(
        _readable(shown)
        .style.apply(
            lambda r: ["background-color: rgba(198, 40, 40, 0.12)" if r.conflict else ""] * len(r),
            axis=1,
        )
        # Values as the file would print them (a Styler's default is six decimals: a
        # pixel of 3 read "3.000000").
        .format(
            {c: "{:.6g}" for c in shown.columns if pd.api.types.is_float_dtype(shown[c])},
            na_rep="",
        ),
        hide_index=True,
        column_config={"conflict": st.column_config.CheckboxColumn("conflict")},
        key="labels_table",
    )

    _agreement(project)

    st.subheader("Skipped for later")
    skipped = skipped_frame(project)
    if skipped.empty:
        st.caption("Nothing skipped.")
    else:
        st.caption("Skipped samples are not offered again until you put them back.")
        for item in skipped.head(50).itertuples():
            c1, c2 = st.columns([4, 1], vertical_alignment="center")
            c1.write(
                f"Sample #{item.row_id}, skipped by {md(item.skipped_by)} at {item.skipped_at}"
            )
            c2.button(
                "Put back",
                key=f"revisit_{item.row_id}",
                on_click=_revisit,
                args=(project, item.row_id),
            )
        if len(skipped) > 1:
            st.button(
                f"Put all {len(skipped)} back",
                key="revisit_all",
                on_click=_revisit,
                args=(project, None),
            )

    st.subheader("Downloads")
    history = history_frame(project)
    _predictions_and_model(project)
    columns = iter(st.columns(4))
    for fmt, mime in (("csv", "text/csv"), ("json", "application/json")):
        for what, frame in (("labels", labels), ("history", history)):
            next(columns).download_button(
                f"{what.title()} ({fmt.upper()})",
                to_bytes(frame, fmt),
                f"{project.name}-{what}.{fmt}",
                mime,
                key=f"dl_{what}_{fmt}",
                on_click="ignore",
            )


page()
