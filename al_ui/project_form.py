"""The settings form shared by the ways to create a project, and the creation itself."""

from __future__ import annotations

import streamlit as st

from al_core import MODELS, STRATEGIES, ALError, SessionConfig
from al_core.projects.project import Project
from al_core.projects.sources import DataSource
from al_ui.messages import STRATEGY_LABELS, show_error
from al_ui.state import set_project

NO_LABEL = "(no label column: I will label)"
MODEL_LABELS = {
    "logistic_regression": "Logistic regression",
    "random_forest": "Random forest",
    "naive_bayes": "Gaussian naive Bayes",
}


DEFAULTS = SessionConfig()
"""The engine's defaults (the tutorial's settings), shown as the form's starting values."""


def settings_form(
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


def create_project(
    name: str, source: DataSource, settings: dict, content: bytes | None = None
) -> None:
    try:
        project = Project.create(name, source, SessionConfig(**settings), content=content)
    except ALError as exc:
        show_error(exc)
        return
    project.close()
    set_project(project.name)  # the sanitized name
    st.switch_page("al_ui/pages/label.py")
