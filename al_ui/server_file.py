"""Setup's "File on the server": a project on a file that stays where it is (admins)."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from al_core import ALError
from al_core.data.reading import file_columns
from al_core.projects.sources import DataSource
from al_ui.messages import md, show_error
from al_ui.project_form import NO_LABEL, create_project, settings_form


@st.cache_data(show_spinner=False, max_entries=4)
def _columns_of(path: str, modified: float) -> list[str]:
    return file_columns(path)


def server_section() -> None:
    st.caption(
        "A CSV or Parquet file already on this server, used where it lies and never copied "
        "into the project: for pools over the upload limit (Parquet reads fastest). It must "
        "not move or change while the project lives."
    )
    path = st.text_input(
        "Full path of the file", key="server_path", placeholder="/data/pool.parquet"
    ).strip()
    if not path:
        return
    where = Path(path)
    if not where.is_absolute() or not where.is_file():
        st.error(f"There is no file {md(path)} on the server. Give the full path, starting with /.")
        return
    try:
        columns = _columns_of(str(where), where.stat().st_mtime)
    except ALError as exc:
        show_error(exc)
        return
    label = st.selectbox("Label column", [NO_LABEL, *columns], key=f"server_label_{path}")
    label_column = None if label == NO_LABEL else label
    texts = st.multiselect(
        "Text columns (their words become features)",
        [c for c in columns if c != label_column],
        key=f"server_texts_{path}",
    )
    class_text = st.text_input(
        "Class names, separated by commas" + ("" if label_column is None else " (optional)"),
        key="server_classes",
    )
    class_names = [c.strip() for c in class_text.split(",") if c.strip()] or None
    name = st.text_input("Project name", value=where.stem, key=f"server_name_{path}")
    has_labels = label_column is not None
    settings = settings_form("server", has_oracle=has_labels, needs_test=not has_labels)
    if st.button("Create project", key="create_server", type="primary"):
        source = DataSource(
            "server",
            str(where),
            seed=settings["seed"],
            label_column=label_column,
            class_names=tuple(class_names) if class_names else None,
            text_columns=tuple(texts) or None,
        )
        with st.spinner("Reading the file and preparing the pool…"):
            create_project(name, source, settings)
