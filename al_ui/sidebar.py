"""The sidebar panel: the learning curve with the random band, and the key figures."""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from al_core.project import Project

from .charts import learning_curve_figure


@st.cache_data(show_spinner=False, max_entries=64)
def _figure(_project: Project, path: str, n_events: int, n_history: int) -> go.Figure:
    # Keyed on the project's event count: the figure is rebuilt only after a change.
    return learning_curve_figure(_project.session.history, _project.baseline())


def sidebar_panel(project: Project) -> None:
    """Accuracy chart and figures for ``project``; call from the page (or its fragment)."""
    s = project.session
    with st.sidebar:
        st.markdown(f"**Project:** {project.name}")
        acc = s.accuracy
        budget = s.config.budget
        c1, c2 = st.columns(2)
        c1.metric("Test accuracy", "—" if acc is None else f"{acc:.3f}")
        c2.metric(
            "Labels",
            f"{s.n_labeled}",
            help=f"{s.n_queried} given here" + (f" of a budget of {budget}" if budget else ""),
        )
        if acc is None:
            st.caption("The chart starts once the test set is labeled and two classes are known.")
        else:
            fig = _figure(project, str(project.store.path), len(project.events), len(s.history))
            st.plotly_chart(fig, key="learning_curve", config={"displayModeBar": False})
            if project.dataset.fully_labeled:
                st.caption("Grey band: random sampling from the same start, mean ± sd of 10 runs.")
