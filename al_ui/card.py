"""The sample itself, as the Label and Review pages show it: picture, values, context.

Drawn from the project and a row id only, so both pages show a row the same way.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from al_core.learning.explain import feature_context
from al_core.learning.words import has_word_shares, text_of, word_highlights
from al_core.projects.project import Project
from al_ui.charts import class_colors, digit_figure
from al_ui.messages import md
from al_ui.textcard import highlighted_html, legend_html


def sample_view(project: Project, row: int) -> None:
    """The row's text or picture (where the data has one), feature values and context."""
    data = project.dataset
    for column in data.text_columns:
        text_view(project, row, column)
    if data.text_columns:
        if len(data.feature_columns) > len(data.text_columns):
            feature_table(project, row, heading=True)
    elif data.images is not None:
        st.plotly_chart(digit_figure(data.images[row]), key="digit", config={"staticPlot": True})
        with st.expander(f"Feature values ({data.n_features})"):
            feature_table(project, row)
    else:
        feature_table(project, row, heading=True)
    context_table(project, row)


def text_view(project: Project, row: int, column: str) -> None:
    """The text, large and first, with the words that swayed the model marked."""
    data = project.dataset
    text = text_of(data, row, column)
    if len(data.text_columns) > 1:
        st.markdown(f"**{md(column)}**")
    if not text.strip():
        st.caption("(this row has no text here)")
        return
    model = project.session.model
    marks = word_highlights(data, model, row, column)
    colors = class_colors(len(data.class_names))
    st.html(highlighted_html(text, marks, data.class_names, colors))
    if marks:
        st.html(legend_html(data.class_names, {m.klass for m in marks}, colors))
        st.caption(
            "Marked: words that pushed the model towards a class (its colour; hover for the "
            "name). A darker shade is a bigger push: the word's weight in the model times "
            "its TF-IDF weight in this text."
        )
    elif model is not None and not has_word_shares(model):
        st.caption("Words are marked for linear models (logistic regression) only.")


def feature_table(project: Project, row: int, heading: bool = False) -> None:
    """The row's feature values beside how each class's labeled samples see them.

    ``heading`` puts a title line above the table, as the probabilities have one: it
    also keeps the table's hover toolbar, drawn just above its top edge, off the card's
    buttons."""
    s = project.session
    frame = feature_context(project.dataset, s.labels, s.train_ids, row)
    z_cols = [c for c in frame.columns if c.startswith("z: ")]
    if frame["spread"].isna().all():
        frame = frame.drop(columns="spread")
    # Numbers as text: Streamlit draws a missing number as "None", whatever the format.
    for column in z_cols:
        frame[column] = [("—" if pd.isna(v) else f"{v:+.2f}") for v in frame[column]]
    frame["value"] = [
        f"{v:.4g}" if isinstance(v, float | np.floating) else str(v) for v in frame["value"]
    ]
    config = {c: st.column_config.TextColumn(c, alignment="right") for c in ["value", *z_cols]}
    if "spread" in frame:
        # A bar, not a highlighted row: a pandas Styler took 16 ms to send on every label
        # (a plain table under 1 ms), and the bar shows every feature's share, not the top 3.
        config["spread"] = st.column_config.ProgressColumn(
            "spread",
            help="How differently the classes see this value (max − min |z|)",
            format="%.2f",
            min_value=0.0,
            max_value=float(max(frame["spread"].max(), 1e-9)),
            color="#00796b",
            width=110,
        )
    # The spread beside the value: with many classes the z columns run off to the right.
    order = ["feature", "value", *(["spread"] if "spread" in frame else []), *z_cols]
    if heading:
        st.markdown("**Feature values**")
    st.dataframe(
        frame,
        column_order=order,
        hide_index=True,
        height=min(38 + 35 * len(frame), 420),
        column_config=config,
    )
    if z_cols:
        st.caption(
            "z: how far the value lies from the labeled samples of each class, in standard "
            "deviations (while a class has few labels its spread is pulled towards that of all "
            "labeled samples, so one odd value does not look extreme). Spread: the longer its "
            "bar, the more the classes disagree about that feature."
        )


def context_table(project: Project, row: int) -> None:
    """The file's other columns (notes, dates, ...): what a person knows about the row."""
    data = project.dataset
    columns = data.context_columns
    if not columns or data.raw is None:
        return
    values = data.raw.iloc[row][list(columns)]
    # An empty cell is blank, as in the file (str() of it read "nan" or "None").
    shown = ["" if pd.api.types.is_scalar(v) and pd.isna(v) else str(v) for v in values]
    frame = pd.DataFrame({"column": list(columns), "value": shown})
    st.markdown("**Context** (in the file, not used by the model)")
    st.dataframe(frame, hide_index=True, height=min(38 + 35 * len(frame), 250))


TOP_PROBABILITIES = 4
"""Classes drawn as bars; the rest are listed in one line, so ten classes still fit."""


def probability_bars(names: list[str], proba: np.ndarray) -> None:
    # Native bars, not a chart: they redraw in a fraction of the time on every label.
    order = np.argsort(-proba, kind="stable")
    for rank, i in enumerate(order[:TOP_PROBABILITIES]):
        p = float(proba[i])
        text = f"**{md(names[i])}** {p:.2f}" if rank == 0 else f"{md(names[i])} {p:.2f}"
        st.progress(float(np.clip(p, 0.0, 1.0)), text=text)
    rest = order[TOP_PROBABILITIES:]
    if rest.size:
        st.caption("Others: " + " · ".join(f"{md(names[i])} {proba[i]:.2f}" for i in rest))
