"""Presenter's view: the case for active learning, full width, with its uncertainty.

The learning curve with this project's 95 % interval and random sampling's band, the
labels saved against random, the stopping advice, and a map of the pool showing where
the model asks. It redraws itself while annotators label.
"""

from __future__ import annotations

import numpy as np
import streamlit as st
from sklearn.decomposition import PCA

from al_core.learning.intervals import accuracy_interval
from al_core.learning.poolmap import PoolMap, pool_map
from al_core.learning.stopping import stopping_advice
from al_core.projects.project import Project
from al_core.simulation.compare import Curve, random_labels_to_reach
from al_ui.charts import learning_curve_figure, pool_map_figure
from al_ui.claims import random_level, savings_text
from al_ui.messages import md, measured_on
from al_ui.sidebar import ADVICE_LOOK, baseline_ready, sidebar_panel
from al_ui.state import annotator, project_or_message


@st.cache_resource(show_spinner="Drawing the map of the pool…", max_entries=16)
def _map(key: str, _project: Project) -> PoolMap:
    # Once per project (file) and process: the picture never moves while labels come in.
    return pool_map(_project.dataset.X, _project.session.config.seed)


def _figures(project: Project, band: Curve | None) -> None:
    s = project.session
    acc = s.accuracy
    c1, c2, c3 = st.columns(3)
    if acc is None:
        c1.metric("Test accuracy", "—")
    else:
        low, high = accuracy_interval(acc, s.n_evaluated)
        c1.metric("Test accuracy", f"{acc:.3f}", help=f"95 % interval on {measured_on(s)}")
        c1.caption(f"95 % interval {low:.3f}–{high:.3f} ({measured_on(s)})")
    level = (
        None if band is None or acc is None else random_level(band, s.n_labeled, acc, s.n_evaluated)
    )
    if level is not None:
        # A count from the point estimate would claim what the test set cannot tell.
        c2.metric("Labels saved", "none shown", help="against random sampling's mean")
        c2.caption(
            f"Random sampling has {level:.3f} at {s.n_labeled} labels on average, this project "
            f"{acc:.3f}: within the noise of {s.n_evaluated} test rows, so no saving is claimed."
        )
    elif band is not None and acc is not None:
        needed = random_labels_to_reach(band, acc)
        beyond = int(band.n_labeled[-1]) - s.n_labeled
        if needed is None:
            c2.metric("Labels saved", f"more than {beyond}" if beyond > 0 else "—")
            c2.caption(
                f"Random sampling does not reach {acc:.3f} within {int(band.n_labeled[-1])} "
                "labels, on average over 10 runs from the same start."
            )
        else:
            value, caption = savings_text(needed, s.n_labeled, acc)
            c2.metric("Labels saved", value, help="against random sampling's mean")
            c2.caption(caption)
    else:
        c2.metric("Labels saved", "—")
        c2.caption(_why_no_band(project, acc))
    advice = stopping_advice(s.history, s.n_evaluated)
    show, icon, title = ADVICE_LOOK[advice.state]
    with c3:
        show(f"**{title}.** {advice.reason}", icon=icon)
    if level is not None:
        _level_note(band, acc, level, s.n_evaluated)


def _why_no_band(project: Project, acc: float | None) -> str:
    if acc is None:
        return "Needs a model, after the test set is labeled."
    if not project.dataset.fully_labeled:
        return "Needs data with known labels: the band simulates labeling it at random."
    state = baseline_ready(project)  # started in the background if it is not yet
    if isinstance(state, str):
        return f"No random-sampling band: {md(state)}"
    return "Waiting for random sampling's band (10 simulated runs, computed in the background)."


def _level_note(band: Curve, acc: float, random_now: float, n_test: int) -> None:
    first = float(band.mean[0])
    reach = random_labels_to_reach(band, float(band.mean.max()) - 0.01)
    easy = "" if reach is None else f" {reach} random labels already reach the plateau."
    st.info(
        f"**Random sampling is level with this project here** ({random_now:.3f} against "
        f"{acc:.3f}, within the noise of {n_test} test rows). The data may be easy "
        f"(random starts at {first:.3f}), or the start already on the plateau.{easy}",
        icon=":material/balance:",
    )


def _pool_map(project: Project) -> None:
    s, data = project.session, project.dataset
    drawn = _map(project.store.key, project)
    proba = s.predict_proba(drawn.rows)
    has_model = not np.isnan(proba).any()
    labeled = (s.labels[drawn.rows] >= 0) & ~s.is_test[drawn.rows]
    queried = [i for p in s.history for i in p.queried_ids]
    screens = project.on_screens()
    shown = screens.get(annotator() or "", next(iter(screens.values()), None))
    current = None if shown is None else drawn.place(data.X[[shown]])[0]
    fig = pool_map_figure(
        drawn.xy,
        proba.argmax(axis=1) if has_model else None,
        proba.max(axis=1) if has_model else None,
        list(data.class_names),
        labeled,
        drawn.place(data.X[queried]) if queried else np.zeros((0, 2)),
        current,
    )
    st.plotly_chart(fig, key="pool_map", config={"displayModeBar": False})
    method = "PCA" if isinstance(drawn.pca, PCA) else "truncated SVD of the words"
    st.caption(
        f"A map of the pool ({len(drawn.rows):,} of {data.n_samples:,} rows; {method}, fixed "
        "for the project). Colour: the model's predicted class, paler where it is less sure. Ringed: "
        "labeled. Numbered: the rows the model asked about, in order. Star: the sample on "
        "the annotator's screen."
    )


@st.fragment(run_every="5s")
def presenter_view() -> None:
    project = project_or_message()
    if project is None:
        return
    s = project.session
    st.title(f"Presenter's view: {md(project.name)}")
    band = project.baseline(compute=False)  # read once a redraw, for figures and chart
    _figures(project, band)
    left, right = st.columns([3, 2], gap="large")
    with left:
        fig = learning_curve_figure(s.history, band, height=460, n_test=s.n_evaluated)
        st.plotly_chart(fig, key="present_curve", config={"displayModeBar": False})
        st.caption(
            "Green: this project, with its 95 % interval. "
            + (
                "Grey: random sampling from the same start, mean ± sd of 10 runs."
                if band is not None
                else "Random sampling's band is drawn here once it is computed."
            )
        )
    with right:
        _pool_map(project)


def page() -> None:
    if project := project_or_message():
        sidebar_panel(project)
    presenter_view()


page()
