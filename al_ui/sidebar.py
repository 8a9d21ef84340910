"""The sidebar panel: the learning curve with the random band, and the key figures."""

from __future__ import annotations

import threading

import plotly.graph_objects as go
import streamlit as st

from al_core.learning.intervals import accuracy_interval, rows_for_half_width
from al_core.learning.stopping import stopping_advice
from al_core.projects.project import Project

from .charts import learning_curve_figure
from .messages import md, measured_on


@st.cache_resource(show_spinner=False, max_entries=64)
def _figure(
    _project: Project, path: str, n_events: int, n_history: int, with_band: bool
) -> go.Figure:
    # Keyed on the project's event count: the figure is rebuilt only after a change.
    # A resource, not data: st.cache_data pickles the figure in and out (25 ms on every
    # redraw, more than building it); st.plotly_chart only reads it.
    band = _project.baseline(compute=False) if with_band else None
    s = _project.session
    return learning_curve_figure(s.history, band, n_test=s.n_evaluated)


@st.cache_resource
def _baseline_jobs() -> dict[str, dict]:
    return {}


def _compute_band(project: Project, job: dict) -> None:
    try:
        project.baseline()
    except Exception as exc:  # shown in the sidebar; the band is a nicety, labels go on
        job["error"] = str(exc)


def baseline_ready(project: Project) -> bool | str:
    """True if the random band is stored; else start computing it in the background
    (once per process) and return False, or the reason it could not be computed."""
    if project.baseline(compute=False) is not None:
        return True
    jobs = _baseline_jobs()
    key = project.store.key
    job = jobs.get(key)
    if job is None:
        job = jobs[key] = {"error": None}
        # Not a daemon: a daemon thread still inside NumPy/scikit-learn while the
        # interpreter shuts down aborts the process ("terminate called without an active
        # exception", exit 134, seen in the tests); exit waits the few seconds instead.
        job["thread"] = threading.Thread(
            target=_compute_band, args=(project, job), daemon=False, name=f"band {key}"
        )
        job["thread"].start()
    return job["error"] or False


ADVICE_LOOK = {
    "keep": (st.info, ":material/trending_up:", "Keep labeling"),
    "nearly": (st.warning, ":material/hourglass_bottom:", "Nearly there"),
    "stop": (st.success, ":material/flag:", "You can stop"),
}


def sidebar_panel(project: Project) -> None:
    """Accuracy chart and figures for ``project``; call from the page (or its fragment)."""
    s = project.session
    with st.sidebar:
        st.markdown(f"**Project:** {md(project.name)}")
        acc = s.accuracy
        budget = s.config.budget
        c1, c2 = st.columns(2)
        c1.metric(
            "Test accuracy",
            "—" if acc is None else f"{acc:.3f}",
            help=f"Measured on {measured_on(s)}.",
        )
        c2.metric(
            "Labels",
            f"{s.n_labeled}",
            help=f"{s.n_queried} given here" + (f" of a budget of {budget}" if budget else ""),
        )
        if acc is None:
            st.caption("The chart starts once the test set is labeled and two classes are known.")
            return
        low, high = accuracy_interval(acc, s.n_evaluated)
        st.caption(
            f"95 % interval {low:.3f}–{high:.3f}: measured on {measured_on(s)}, so one "
            f"row is {1 / s.n_evaluated:.3f} of accuracy."
        )
        if (high - low) / 2 > 0.1:
            st.warning(
                f"With {s.n_evaluated} test rows the accuracy is only known to about "
                f"±{(high - low) / 2:.2f}. About {rows_for_half_width(acc)} test rows would "
                "bring that under ±0.05.",
                icon=":material/straighten:",
            )
        band = project.dataset.fully_labeled and baseline_ready(project)
        fig = _figure(project, project.store.key, len(project.events), len(s.history), band is True)
        st.plotly_chart(fig, key="learning_curve", config={"displayModeBar": False})
        if band is True:
            st.caption(
                "Green band: this project's 95 % interval. Grey band: random sampling from the "
                "same start, mean ± sd of 10 runs."
            )
        elif band:
            st.caption(f"No random-sampling band: {md(band)}")
        elif project.dataset.fully_labeled:
            st.caption("Computing the random-sampling band (10 simulated runs)…")
        advice = stopping_advice(s.history, s.n_evaluated)
        show, icon, title = ADVICE_LOOK[advice.state]
        show(f"**{title}.** {advice.reason}", icon=icon)
