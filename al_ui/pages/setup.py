"""Setup page: open a project, or create one from a built-in dataset or an uploaded file."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from al_core import BUILTINS, MODELS, STRATEGIES, ALError, SessionConfig, load_builtin
from al_core.data.columns import guess_label_column
from al_core.data.datasets import Dataset
from al_core.data.tabular import frame_to_dataset, read_frame, usable_as_feature
from al_core.data.text import looks_like_text
from al_core.data.textfile import read_source
from al_core.errors import TooManyClassesError
from al_core.learning.config import demo_config
from al_core.projects.location import project_names
from al_core.projects.project import Project
from al_core.projects.sources import DataSource
from al_ui.auth import admins_only
from al_ui.messages import STRATEGY_LABELS, md, show_error
from al_ui.sidebar import sidebar_panel
from al_ui.state import DEFAULT_PROJECT, PROJECT_KEY, folder_label, project_or_message, set_project

NO_LABEL = "(no label column: I will label)"
MODEL_LABELS = {
    "logistic_regression": "Logistic regression",
    "random_forest": "Random forest",
    "naive_bayes": "Gaussian naive Bayes",
}


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


DEFAULTS = SessionConfig()
"""The engine's defaults (the tutorial's settings), shown as the form's starting values."""


def _settings(
    prefix: str, has_oracle: bool, needs_test: bool, defaults: SessionConfig = DEFAULTS
) -> dict:
    c1, c2, c3 = st.columns(3)
    model = c1.selectbox(
        "Model",
        list(MODELS),
        index=list(MODELS).index(defaults.model),
        format_func=MODEL_LABELS.get,
        key=f"{prefix}_model",
    )
    strategy = c2.selectbox(
        "Query strategy",
        list(STRATEGIES),
        index=list(STRATEGIES).index(defaults.strategy),
        format_func=lambda s: STRATEGY_LABELS.get(s, s),
        key=f"{prefix}_strategy",
    )
    batch = c3.number_input("Batch size", 1, 50, defaults.batch_size, key=f"{prefix}_batch")
    c4, c5, c6 = st.columns(3)
    budget = c4.number_input("Label budget", 1, 1_000_000, defaults.budget, key=f"{prefix}_budget")
    seed = c5.number_input("Seed", 0, 2**31 - 1, defaults.seed, key=f"{prefix}_seed")
    test_size, initial = defaults.test_size, defaults.initial_fraction
    n_test = defaults.n_test_to_label
    if has_oracle:
        test_size = c6.number_input(
            "Test fraction", 0.01, 0.9, defaults.test_size, step=0.05, key=f"{prefix}_test_size"
        )
        initial = st.number_input(
            "Initially labeled fraction of the pool",
            0.0001,
            0.9,
            defaults.initial_fraction,
            step=0.05,
            format="%.4f",
            key=f"{prefix}_initial",
        )
    elif needs_test:
        n_test = c6.number_input(
            "Test rows to label first",
            2,
            10_000,
            defaults.n_test_to_label,
            key=f"{prefix}_n_test",
            help="Uniformly random rows you label first; they only measure accuracy.",
        )
    overlap = st.slider(
        "Overlap: share of labeled rows a second person also labels",
        0.0,
        0.5,
        defaults.overlap,
        step=0.05,
        format="percent",
        key=f"{prefix}_overlap",
        help="Those rows go, blind, to a second annotator once the first has labeled them; "
        "the pairs measure agreement (Data page) and differences go to the Review page.",
    )
    return dict(
        model=model,
        strategy=strategy,
        batch_size=int(batch),
        budget=int(budget),
        seed=int(seed),
        test_size=float(test_size),
        initial_fraction=float(initial),
        n_test_to_label=int(n_test),
        overlap=float(overlap),
    )


def _create(name: str, source: DataSource, settings: dict, content: bytes | None = None) -> None:
    try:
        project = Project.create(name, source, SessionConfig(**settings), content=content)
    except ALError as exc:
        show_error(exc)
        return
    project.close()
    set_project(project.name)  # the sanitized name
    st.switch_page("al_ui/pages/label.py")


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
    settings = _settings(f"builtin_{dataset}", has_oracle=True, needs_test=False, defaults=defaults)
    if st.button("Create project", key="create_builtin", type="primary"):
        _create(name, DataSource("builtin", dataset, seed=settings["seed"]), settings)


@st.cache_data(show_spinner=False)
def _pool_shape(dataset: str) -> tuple[int, int]:
    data = load_builtin(dataset)
    return round(data.n_samples * (1 - DEFAULTS.test_size)), data.n_classes


@st.cache_data(show_spinner="Reading the file…", max_entries=4)
def _read(content: bytes, filename: str) -> pd.DataFrame:
    return read_frame(content, filename)


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
    st.dataframe(frame.head(5), hide_index=True)
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
    guessed = [c for c in candidates if looks_like_text(frame[c])]
    # Free text is chosen for the person only when nothing else could be a feature (a
    # file of messages); beside numbers, a notes column stays context until chosen.
    if any(usable_as_feature(frame[c]) for c in candidates if c not in guessed):
        guessed = []
    texts = st.multiselect(
        "Text columns (their words become features)",
        candidates,
        default=guessed,
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
    settings = _settings("upload", has_oracle=oracle, needs_test=not oracle)
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
        _create(name, source, settings, content)


def page() -> None:
    if project := project_or_message():
        sidebar_panel(project)
    st.title("Projects")
    _open_section()
    st.divider()
    st.subheader("Create a project")
    if not admins_only("create projects or change their settings"):
        return
    tab_builtin, tab_upload = st.tabs(["Built-in dataset", "Upload a file"])
    with tab_builtin:
        _builtin_section()
    with tab_upload:
        _upload_section()


page()
