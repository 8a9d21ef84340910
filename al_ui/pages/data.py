"""Data page: who labeled what and when, conflicts, the "later" list, and downloads."""

from __future__ import annotations

import streamlit as st

from al_core import ALError
from al_core.projects.eventlog import DATASET_ANNOTATOR
from al_core.projects.export import history_frame, labels_frame, skipped_frame, to_bytes
from al_core.projects.oracle import ORACLE
from al_ui.messages import md, show_error
from al_ui.sidebar import sidebar_panel
from al_ui.state import annotator, project_or_message


def _revisit(project, row) -> None:
    try:
        project.revisit(annotator() or "anonymous", row)
    except ALError as exc:
        st.session_state["data_error"] = exc


def page() -> None:
    project = project_or_message()
    if project is None:
        return
    sidebar_panel(project)
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
            "trains the model; the others are listed under *other_labels*."
        )
    st.dataframe(
        shown.style.apply(
            lambda r: ["background-color: rgba(198, 40, 40, 0.12)" if r.conflict else ""] * len(r),
            axis=1,
        ),
        hide_index=True,
        column_config={"conflict": st.column_config.CheckboxColumn("conflict")},
        key="labels_table",
    )

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
