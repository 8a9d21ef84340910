"""Label page: the sample the model is least sure about, and one button per class.

Everything that changes on a label lives in one fragment (``labeling``), so a click or
key press reruns only the card and the sidebar chart, never the whole page.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from al_core import DONE, TEST, ALError
from al_core.learning.explain import feature_context
from al_core.projects.oracle import ORACLE, oracle_labels
from al_core.projects.project import Project
from al_ui.charts import digit_figure
from al_ui.messages import STRATEGY_LABELS, md, show_error, why_chosen
from al_ui.sidebar import sidebar_panel
from al_ui.state import annotator, project_or_message, set_annotator

FLASH = "label_flash"  # (kind, text) shown once after a callback


def shortcut_for(position: int) -> str | None:
    """Key of the k-th class button (1-9, then 0 for the tenth); None after that."""
    if position < 9:
        return str(position + 1)
    return "0" if position == 9 else None


# ------------------------------------------------------------------------ callbacks
def _do(action, *args) -> None:
    try:
        message = action(*args)
        if message:
            st.session_state[FLASH] = ("toast", message)
    except Exception as exc:  # shown on the next run by show_error
        st.session_state[FLASH] = ("error", exc)


def _label(project: Project, row: int, label: int) -> str:
    saved = project.label(annotator(), row, label)
    name = md(project.dataset.class_names[label])
    extra = " (someone labeled it first: kept as a conflict)" if saved.conflict else ""
    return f"Saved: sample {row} is “{name}”{extra}"


def _skip(project: Project, row: int) -> str:
    project.skip(annotator(), row)
    return f"Skipped sample {row}; it waits on the Data page"


def _undo(project: Project) -> str:
    event = project.undo(annotator())
    return f"Undid your {event.kind} of sample {event.row_id}"


def _simulate(project: Project, n: int) -> str:
    done = oracle_labels(project, int(n), presenter=annotator())
    return f"The simulated oracle labeled {done} samples"


# --------------------------------------------------------------------------- pieces
def ask_name() -> None:
    st.subheader("Who is labeling?")
    st.write("Your name is saved with every label you give, so a team can see who labeled what.")
    with st.form("annotator_form", border=False):
        name = st.text_input("Your name", key="annotator_input", max_chars=80)
        if st.form_submit_button("Start labeling", type="primary", key="annotator_start"):
            if name.strip():
                set_annotator(name.strip())
                st.rerun()
            st.warning("Enter a name first.")


def _progress(project: Project) -> None:
    s = project.session
    budget = s.config.budget
    cols = st.columns(4)
    if s.phase == TEST:
        cols[0].metric("Test set", f"{s.n_test_labeled} / {s.n_test}")
    else:
        cols[0].metric("Labels given", f"{s.n_queried}" + (f" / {budget}" if budget else ""))
    cols[1].metric("Rows left in pool", f"{s.n_unlabeled:,}")
    cols[2].metric("Test accuracy", "—" if s.accuracy is None else f"{s.accuracy:.3f}")
    cols[3].metric("Skipped", f"{s.skipped_ids.size}")
    if s.phase != TEST and budget:
        st.progress(min(s.n_queried / budget, 1.0), text=f"{s.n_queried} of {budget} labels")


def _end_state(project: Project) -> None:
    s = project.session
    reason = "The pool is empty" if s.n_unlabeled == 0 else "The labeling budget is used up"
    first = next((p for p in s.history if p.accuracy is not None), None)
    st.success(f"**{reason}.** Thank you!", icon=":material/task_alt:")
    c1, c2, c3 = st.columns(3)
    c1.metric("Final test accuracy", "—" if s.accuracy is None else f"{s.accuracy:.3f}")
    if first is not None and s.accuracy is not None:
        gain = s.accuracy - first.accuracy
        c2.metric("Started at", f"{first.accuracy:.3f}", delta=f"{gain:+.3f}" if gain else None)
    c3.metric("Labels used", f"{s.n_labeled}")
    st.write(
        "Download the labels on the **Data** page, or raise the budget by creating a new "
        "project on the **Setup** page. Undo still works if the last label was a mistake."
    )
    st.button("Undo my last action", key="undo", shortcut="u", on_click=_do, args=(_undo, project))


def _feature_table(project: Project, row: int) -> None:
    s = project.session
    frame = feature_context(project.dataset, s.labels, s.train_ids, row)
    z_cols = [c for c in frame.columns if c.startswith("z: ")]
    if frame["spread"].isna().all():
        frame = frame.drop(columns="spread")
    top = set(frame["spread"].nlargest(3).index) if "spread" in frame else set()

    def mark(r: pd.Series):
        style = "background-color: rgba(0, 121, 107, 0.14); font-weight: 600"
        return [style if r.name in top else ""] * len(r)

    formats = {c: "{:+.2f}" for c in z_cols} | ({"spread": "{:.2f}"} if "spread" in frame else {})
    styled = frame.style.apply(mark, axis=1).format(formats, na_rep="—")
    styled = styled.format(
        lambda v: f"{v:.4g}" if isinstance(v, float | np.floating) else str(v), subset=["value"]
    )
    st.dataframe(
        styled,
        hide_index=True,
        height=min(38 + 35 * len(frame), 420),
        column_config={
            "spread": st.column_config.NumberColumn(
                "spread", help="How differently the classes see this value (max − min |z|)"
            )
        },
    )
    if z_cols:
        st.caption(
            "z: how many standard deviations the value lies from the labeled samples of each "
            "class. Highlighted: the features where the classes disagree most."
        )


def _card(project: Project, query) -> None:
    s, data = project.session, project.dataset
    row = int(query.ids[0])
    proba = s.predict_proba([row])[0]
    left, right = st.columns([3, 2], gap="large")
    with left:
        st.markdown(f"### Sample #{row}")
        if data.images is not None:
            st.plotly_chart(
                digit_figure(data.images[row]), key="digit", config={"staticPlot": True}
            )
            with st.expander(f"Feature values ({data.n_features})"):
                _feature_table(project, row)
        else:
            _feature_table(project, row)
    with right:
        st.markdown("**Model's probabilities**")
        if np.isnan(proba).any():
            st.caption("No model yet.")
        else:
            _probabilities(list(data.class_names), proba)
        score = float(query.scores[0])
        if query.kind == "test":
            st.markdown("**Role** held-out test set")
        elif query.kind == "cold_start":
            st.markdown("**Picked for** coverage (cold start)")
        else:
            strategy = STRATEGY_LABELS.get(query.strategy, query.strategy)
            uncertainty = "—" if np.isnan(score) else f"{score:.3f}"
            st.markdown(f"**Uncertainty** {uncertainty} &nbsp;·&nbsp; **Strategy** {strategy}")
        n_test = s.n_test
        st.info(why_chosen(query, proba, s.n_unlabeled, n_test), icon=":material/help:")
    _buttons(project, row)


def _probabilities(names: list[str], proba: np.ndarray) -> None:
    # Native bars, not a chart: they redraw in a fraction of the time on every label.
    top = int(np.argmax(proba))
    for i, (name, p) in enumerate(zip(names, proba, strict=True)):
        text = f"**{md(name)}** {p:.2f}" if i == top else f"{md(name)} {p:.2f}"
        st.progress(float(np.clip(p, 0.0, 1.0)), text=text)


def _buttons(project: Project, row: int) -> None:
    names = project.dataset.class_names
    st.markdown("**Your label**")
    with st.container(horizontal=True, gap="small"):
        for i, name in enumerate(names):
            st.button(
                md(name),
                key=f"label_{i}",
                type="primary",
                shortcut=shortcut_for(i),
                on_click=_do,
                args=(_label, project, row, i),
            )
        st.button(
            "Skip",
            key="skip",
            shortcut="s",
            icon=":material/skip_next:",
            on_click=_do,
            args=(_skip, project, row),
        )
        st.button(
            "Undo",
            key="undo",
            shortcut="u",
            icon=":material/undo:",
            on_click=_do,
            args=(_undo, project),
        )


def _simulate_panel(project: Project) -> None:
    if not project.dataset.fully_labeled or project.session.phase == TEST:
        return
    with st.expander("Demo: let the simulated oracle label for you"):
        st.caption(
            "The dataset's own labels answer the next queries, exactly as a person would "
            f"click. They are saved under the name “{ORACLE}”."
        )
        c1, c2 = st.columns([1, 2], vertical_alignment="bottom")
        n = c1.number_input("Samples", 1, 500, 5, key="simulate_count")
        c2.button(
            f"Simulate {n} labels", key="simulate", on_click=_do, args=(_simulate, project, n)
        )


# ----------------------------------------------------------------------------- page
@st.fragment
def labeling() -> None:
    project = project_or_message()
    if project is None:
        return
    _labeling_body(project)
    # Drawn after the card: the chart is the heaviest thing on the page to redraw, and
    # the next sample should not wait for it.
    sidebar_panel(project)


def _labeling_body(project: Project) -> None:
    st.markdown(f"#### Labeling *{md(project.name)}* as {md(annotator())}")
    flash = st.session_state.pop(FLASH, None)
    if flash and flash[0] == "toast":
        st.toast(flash[1], icon=":material/check_circle:")
    elif flash:
        show_error(flash[1])
    _progress(project)
    s = project.session
    if s.fit_error:
        st.warning(
            f"**The model could not be trained on the labels so far** ({md(s.fit_error)}). "
            "Until it can, samples are picked to cover the data; keep labeling.",
            icon=":material/model_training:",
        )
    if s.phase == DONE:
        _end_state(project)
        return
    if s.phase == TEST:
        st.warning(
            f"**Test set first.** This data has too few labels to measure accuracy, so the "
            f"first {s.n_test} samples are drawn at random to form a held-out test "
            "set. They never train the model; active learning starts right after.",
            icon=":material/fact_check:",
        )
    try:
        query = project.next_for(annotator())
    except ALError as exc:
        show_error(exc)
        return
    with st.container(border=True):
        _card(project, query)
    _simulate_panel(project)


def page() -> None:
    if not annotator():
        if project := project_or_message():
            sidebar_panel(project)
        ask_name()
        return
    labeling()


page()
