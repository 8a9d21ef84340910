"""Setup page: open a project, or create one from a built-in dataset or an uploaded file."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from al_core import BUILTINS, ALError, load_builtin
from al_core.data.columns import guess_label_column
from al_core.data.datasets import Dataset
from al_core.data.reading import read_frame
from al_core.data.tabular import frame_to_dataset, usable_as_feature
from al_core.data.text import looks_like_text
from al_core.data.textfile import read_source
from al_core.errors import TooManyClassesError
from al_core.learning.config import demo_config
from al_core.projects.location import project_names
from al_core.projects.project import Project
from al_core.projects.sources import DataSource
from al_ui.auth import admins_only
from al_ui.messages import md, show_error
from al_ui.project_form import DEFAULTS, NO_LABEL, create_project, settings_form
from al_ui.server_file import server_section
from al_ui.sidebar import sidebar_panel
from al_ui.state import DEFAULT_PROJECT, PROJECT_KEY, folder_label, project_or_message, set_project


def _open_section() -> None:
    names = project_names()
    st.subheader("Open a project")
    if not names:
        st.caption("No projects yet.")
        return
    current = st.session_state.get(PROJECT_KEY, DEFAULT_PROJECT)
    c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
    choice = c1.selectbox(
        "Project", names, index=names.index(current) if current in names else 0, key="open_name"
    )
    if c2.button("Open", key="open_project", type="primary"):
        try:
            Project.open(choice).close()  # surface a damaged file here, not on the label page
        except ALError as exc:
            show_error(exc)
            return
        set_project(choice)
        st.switch_page("al_ui/pages/label.py")
    st.caption(f"Projects are stored in `{folder_label()}`.")


def _builtin_section() -> None:
    dataset = st.selectbox("Dataset", list(BUILTINS), key="builtin_dataset")
    if dataset.startswith("synthetic"):
        st.caption(
            "A large generated pool for trying the app at scale: choose a small initially "
            "labeled fraction (e.g. 0.0002), or every label refits on a huge training set."
        )
    if dataset == "tickets":
        st.caption(
            "1,200 support tickets of a made-up shop (written by us, CC0): the text, the "
            "channel and the customer's months, in four topics. Words are features and the "
            "card marks the ones that swayed the model. Text takes more labels than numbers: "
            "a budget of 200–300 shows the gain over random."
        )
    # Keyed by the dataset, so the suggested name and settings follow the choice.
    name = st.text_input("Project name", value=f"{dataset} project", key=f"builtin_name_{dataset}")
    defaults = DEFAULTS
    if dataset == "tutorial":
        st.caption("The tutorial's own settings: 10 % of the pool labeled, 20 queries.")
    elif not dataset.startswith("synthetic"):
        n_pool, n_classes = _pool_shape(dataset)
        defaults = demo_config(n_pool, n_classes)
        st.caption(
            f"Starts from {round(defaults.initial_fraction * n_pool)} labeled rows (2 per "
            "class, or 2 % of the pool) so the chart shows the rise that active learning "
            "speeds up; a larger start often begins on the plateau, where no strategy can "
            "show a gain."
        )
    settings = settings_form(
        f"builtin_{dataset}", has_oracle=True, needs_test=False, defaults=defaults
    )
    if st.button("Create project", key="create_builtin", type="primary"):
        create_project(name, DataSource("builtin", dataset, seed=settings["seed"]), settings)


@st.cache_data(show_spinner=False)
def _pool_shape(dataset: str) -> tuple[int, int]:
    data = load_builtin(dataset)
    return round(data.n_samples * (1 - DEFAULTS.test_size)), data.n_classes


@st.cache_data(show_spinner="Reading the file…", max_entries=4)
def _read(content: bytes, filename: str) -> pd.DataFrame:
    return read_frame(content, filename)


@st.cache_data(show_spinner=False, max_entries=4)
def _text_guess(content: bytes, filename: str, label_column: str | None) -> list[str]:
    # Cached: classifying every column of a large file on each widget change is slow.
    frame = _read(content, filename)
    candidates = [c for c in frame.columns if c != label_column]
    guessed = [c for c in candidates if looks_like_text(frame[c])]
    # Free text is chosen for the person only when nothing else could be a feature (a
    # file of messages); beside numbers, a notes column stays context until chosen.
    if any(usable_as_feature(frame[c]) for c in candidates if c not in guessed):
        return []
    return guessed


@st.cache_resource(show_spinner="Reading the columns…", max_entries=2)
def _preview(
    content: bytes,
    filename: str,
    label_column: str | None,
    features: tuple[str, ...],
    class_names: tuple[str, ...],
    allow_many: bool,
    texts: tuple[str, ...],
) -> Dataset:
    # Cached: fitting a text column's vocabulary takes seconds on a large file, and the
    # form reruns on every widget change.
    return frame_to_dataset(
        _read(content, filename),
        filename,
        label_column,
        list(features) or None,
        list(class_names) or None,
        allow_many,
        text_columns=list(texts),
    )


def _upload_section() -> None:
    # One limit, from .streamlit/config.toml: the uploader and the loader both enforce it.
    limit_mb = st.get_option("server.maxUploadSize")
    upload = st.file_uploader(
        "CSV or Parquet file", type=["csv", "parquet", "tsv", "txt"], key="upload"
    )
    if upload is None:
        st.caption(
            "One row per sample, one column per feature; optionally a column of labels "
            "(empty cells are rows still to label)."
        )
        return
    try:
        content, _ = read_source(upload.getvalue(), upload.name, limit_mb * 1_000_000)
        frame = _read(content, upload.name)
    except ALError as exc:
        show_error(exc)
        return
    st.caption(f"{md(upload.name)}: {len(frame):,} rows, {frame.shape[1]} columns.")
    st.dataframe(frame.head(5), hide_index=True, placeholder="")  # empty cells blank
    columns = list(frame.columns)
    guess = guess_label_column(frame)
    label = st.selectbox(
        "Label column",
        [NO_LABEL, *columns],
        index=0 if guess is None else columns.index(guess) + 1,
        key=f"upload_label_{upload.name}",
        help="Guessed from the column names and values; choose another if it is wrong.",
    )
    label_column = None if label == NO_LABEL else label
    # Keyed by the label column: the label is never offered, nor pre-selected, as a feature.
    features = st.multiselect(
        "Feature columns",
        [c for c in columns if c != label_column],
        default=[c for c in columns if c != label_column],
        key=f"upload_features_{label_column}",
    )
    candidates = [c for c in columns if c != label_column]
    texts = st.multiselect(
        "Text columns (their words become features)",
        candidates,
        default=_text_guess(content, upload.name, label_column),
        key=f"upload_texts_{label_column}",
        help="Free text such as a message or a review: each word becomes a feature "
        "(TF-IDF), and the card shows the text with the words that swayed the model.",
    )
    class_text = st.text_input(
        "Class names, separated by commas" + ("" if label_column is None else " (optional)"),
        key="upload_classes",
        placeholder="e.g. spam, not spam",
    )
    class_names = [c.strip() for c in class_text.split(",") if c.strip()] or None
    allow_many = st.session_state.get("upload_allow_many", False)
    try:
        dataset = _preview(
            content,
            upload.name,
            label_column,
            tuple(features),
            tuple(class_names or ()),
            allow_many,
            tuple(texts),
        )
    except TooManyClassesError as exc:
        show_error(exc)
        st.checkbox("Yes, these are classes", key="upload_allow_many")
        return
    except ALError as exc:
        show_error(exc)
        return
    unused = [n for n in dataset.notes if not n.used]
    changed = [n for n in dataset.notes if n.used]
    if unused:
        st.warning(
            "**Columns left out:**\n"
            + "\n".join(f"- {md(n.column)}: {md(n.problem)}" for n in unused)
        )
    if changed:
        st.info(
            "**Columns adjusted:**\n"
            + "\n".join(f"- {md(n.column)}: {md(n.problem)}" for n in changed)
        )
    oracle = dataset.fully_labeled
    st.success(
        f"Ready: {dataset.n_samples:,} rows, {dataset.n_features} model features, classes "
        f"{md(', '.join(dataset.class_names))}. "
        + (
            "Every row is labeled: the reference split applies and demos can simulate."
            if oracle
            else "You will label a random test set first, then the model's queries."
        )
    )
    stem = upload.name.rsplit(".", 1)[0]
    name = st.text_input("Project name", value=stem, key=f"upload_name_{upload.name}")
    settings = settings_form("upload", has_oracle=oracle, needs_test=not oracle)
    if st.button("Create project", key="create_upload", type="primary"):
        source = DataSource(
            "file",
            upload.name,
            seed=settings["seed"],
            label_column=label_column,
            feature_columns=tuple(features) if features else None,
            class_names=tuple(class_names) if class_names else None,
            allow_many_classes=bool(allow_many),
            text_columns=tuple(texts) or None,
        )
        create_project(name, source, settings, content)


def page() -> None:
    if project := project_or_message():
        sidebar_panel(project)
    st.title("Projects")
    _open_section()
    st.divider()
    st.subheader("Create a project")
    if not admins_only("create projects or change their settings"):
        return
    tabs = st.tabs(["Built-in dataset", "Upload a file", "File on the server"])
    with tabs[0]:
        _builtin_section()
    with tabs[1]:
        _upload_section()
    with tabs[2]:
        server_section()


page()
