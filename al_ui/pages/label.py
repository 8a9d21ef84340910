"""Label page: the sample the model is least sure about, and one button per class.

Everything that changes on a label lives in one fragment (``labeling``), so a click or
key press reruns only the card and the sidebar chart, never the whole page.
"""

from __future__ import annotations

import html

import numpy as np
import streamlit as st

from al_core import DONE, TEST, ALError, ConfigError, StaleActionError
from al_core.learning.intervals import within_noise
from al_core.projects.oracle import ORACLE, oracle_labels
from al_core.projects.project import Project
from al_ui.auth import is_admin
from al_ui.card import probability_bars, sample_view
from al_ui.keys import CardButtons, shortcut_keys
from al_ui.messages import STRATEGY_LABELS, md, show_error, why_chosen
from al_ui.sidebar import sidebar_panel
from al_ui.state import annotator, project_or_message
from al_ui.who import ask_name

FLASH = "label_flash"  # (kind, text) shown once after a callback


# ------------------------------------------------------------------------ callbacks
def _do(action, *args) -> None:
    try:
        message = action(*args)
        if message:
            st.session_state[FLASH] = ("done", message)
    except StaleActionError as exc:  # a second, fast key press: nothing was saved
        st.session_state[FLASH] = ("stale", f"Ignored a key press: {exc}")
    except Exception as exc:  # shown on the next run by show_error
        st.session_state[FLASH] = ("error", exc)


def _label(project: Project, row: int, label: int) -> str:
    saved = project.label(annotator(), row, label, on_screen=True)
    name = md(project.dataset.class_names[label])
    extra = " (it differs from an earlier label: sent to review)" if saved.conflict else ""
    return f"Saved: sample {row} is “{name}”{extra}"


def _skip(project: Project, row: int) -> str:
    project.skip(annotator(), row, on_screen=True)
    return f"Skipped sample {row}; it waits on the Data page"


def _undo(project: Project, shown_row: int | None = None) -> str:
    event = project.undo(annotator(), shown_row)
    return f"Undid your {event.kind} of sample {event.row_id}"


def _set_budget(project: Project) -> str:
    budget = st.session_state.get("new_budget")
    if not isinstance(budget, int):
        raise ConfigError("enter the new budget as a whole number of labels")
    project.set_budget(annotator(), budget)
    return f"The budget is now {budget} labels"


def _simulate(project: Project, n: int) -> str:
    done = oracle_labels(project, int(n), presenter=annotator())
    return f"The simulated oracle labeled {done} samples"


# --------------------------------------------------------------------------- pieces
def _progress(project: Project, done_now: str | None = None) -> None:
    """One line of figures and a thin bar: the card, not the counts, gets the screen.

    ``done_now``: what the last key press did ("Saved: ..."), at the head of the line.
    Not a toast: a toast's pop-up took the browser 10-12 ms of every key press.
    """
    s = project.session
    budget = s.config.budget
    acc = "—" if s.accuracy is None else f"{s.accuracy:.3f}"
    if s.phase == TEST:
        done = f"Test set {s.n_test_labeled} / {s.n_test}"
    else:
        done = f"Labels given {s.n_queried}" + (f" / {budget}" if budget else "")
    st.caption(
        (f":material/check_circle: **{done_now}** · " if done_now else "")
        + f"{done} · rows left in pool {s.n_unlabeled:,} · test accuracy {acc} · "
        f"skipped {s.skipped_ids.size}"
    )
    if s.phase != TEST and budget:
        st.progress(min(s.n_queried / budget, 1.0))


def _end_state(project: Project) -> None:
    s = project.session
    reason = "The pool is empty" if s.n_unlabeled == 0 else "The labeling budget is used up"
    first = next((p for p in s.history if p.accuracy is not None), None)
    st.success(f"**{reason}.** Thank you!", icon=":material/task_alt:")
    c1, c2, c3 = st.columns(3)
    c1.metric("Final test accuracy", "—" if s.accuracy is None else f"{s.accuracy:.3f}")
    if first is not None and first.accuracy is not None and s.accuracy is not None:
        gain = s.accuracy - first.accuracy
        noise = within_noise(first.accuracy, s.accuracy, s.n_evaluated)
        c2.metric(
            "Started at",
            f"{first.accuracy:.3f}",
            delta="within noise" if noise else f"{gain:+.3f}",
            delta_color="off" if noise else "normal",
            help=f"A change smaller than the noise of {s.n_evaluated} test rows is not a gain.",
        )
    c3.metric("Labels used", f"{s.n_labeled}")
    st.write(
        "Download the labels on the **Data** page, or raise the budget below to go on "
        "labeling this project. Undo still works if the last label was a mistake."
    )
    if s.n_unlabeled and is_admin():
        c1, c2 = st.columns([1, 2], vertical_alignment="bottom")
        c1.number_input(
            "New label budget",
            min_value=1,
            value=s.n_queried + 20,
            step=10,
            key="new_budget",
            help=f"{s.n_queried} labels were given; the budget must be at least that.",
        )
        c2.button(
            "Raise the budget and go on",
            key="raise_budget",
            type="primary",
            on_click=_do,
            args=(_set_budget, project),
        )
    st.button(
        "Undo my last action", key="undo_end", shortcut="u", on_click=_do, args=(_undo, project)
    )


def _card(project: Project, query) -> None:
    """The sample's id and the buttons first, so they are on screen before anything else.

    The buttons are keyed by the row they label: a key press that reaches the page
    after this sample was replaced finds no button of the new sample under its old key,
    and the engine refuses it (``on_screen``) instead of labeling a row nobody saw.
    """
    s, data = project.session, project.dataset
    row = int(query.ids[0])
    _buttons(project, row)
    proba = s.predict_proba([row])[0]
    left, right = st.columns([3, 2], gap="large")
    with right:
        st.markdown("**Model's probabilities**")
        if np.isnan(proba).any():
            st.caption("No model yet.")
        else:
            probability_bars(list(data.class_names), proba)
        score = float(query.scores[0])
        if query.kind == "test":
            st.markdown("**Role** held-out test set")
        elif query.kind == "cold_start":
            st.markdown("**Picked for** coverage (cold start)")
        elif query.kind == "overlap":
            st.markdown("**Picked for** agreement (a second, blind label)")
        else:
            strategy = STRATEGY_LABELS.get(query.strategy, query.strategy)
            uncertainty = "—" if np.isnan(score) else f"{score:.3f}"
            st.markdown(f"**Uncertainty** {uncertainty} &nbsp;·&nbsp; **Strategy** {strategy}")
        st.caption(why_chosen(query, proba, s.n_unlabeled, s.n_test))
    with left:
        sample_view(project, row)


def _buttons(project: Project, row: int) -> None:
    names = project.dataset.class_names
    card = CardButtons(row)
    for i, (name, key) in enumerate(zip(names, shortcut_keys(names), strict=True)):
        card.button(
            md(name),
            key=f"label_{row}_{i}",
            type="primary",
            shortcut=key,
            on_click=_do,
            args=(_label, project, row, i),
        )
    card.button(
        "Skip",
        key=f"skip_{row}",
        shortcut="s",
        icon=":material/skip_next:",
        on_click=_do,
        args=(_skip, project, row),
    )
    card.button(
        "Undo",
        key=f"undo_{row}",
        shortcut="u",
        icon=":material/undo:",
        on_click=_do,
        args=(_undo, project, row),
    )
    row_name = project.dataset.row_name(row)
    title = (
        f"Sample #{row}"
        if row_name is None
        else f"Sample {html.escape(str(row_name))} · row #{row}"
    )
    card.draw(title, "The sample shown; the keys on the buttons label it.")


def _simulate_panel(project: Project) -> None:
    if not project.dataset.fully_labeled or project.session.phase == TEST or not is_admin():
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
REFRESH_EVERY = "5s"
"""How often an idle page redraws itself, so other annotators' labels and the chart
they moved appear without anyone clicking."""


@st.fragment(run_every=REFRESH_EVERY)
def labeling() -> None:
    project = project_or_message()
    if project is None:
        return
    _labeling_body(project)
    # Drawn after the card: the chart is the heaviest thing on the page to redraw, and
    # the next sample should not wait for it.
    sidebar_panel(project)


def _labeling_body(project: Project) -> None:
    # The card comes first: its title and buttons reach the browser in the run's first
    # messages, ahead of a render pass of the whole page; the heading and the progress
    # line above it are filled in right after.
    top = st.container()
    s = project.session
    flash = st.session_state.pop(FLASH, None)
    query, error = None, None
    if s.phase != DONE:
        try:
            query = project.next_for(annotator(), look_ahead=True)
        except ALError as exc:
            error = exc
    if query is not None:
        with st.container(border=True, key="card"):
            _card(project, query)
    with top:
        st.markdown(f"##### Labeling *{md(project.name)}* as {md(annotator())}")
        if flash and flash[0] == "stale":
            st.toast(md(flash[1]), icon=":material/block:")
        elif flash and flash[0] != "done":
            show_error(flash[1])
        _progress(project, flash[1] if flash and flash[0] == "done" else None)
        if s.fit_error:
            st.warning(
                f"**The model could not be trained on the labels so far** ({md(s.fit_error)}). "
                "Until it can, samples are picked to cover the data; keep labeling.",
                icon=":material/model_training:",
            )
        if s.phase == DONE:
            _end_state(project)
        elif error is not None:
            show_error(error)
    if query is None:
        return
    if s.phase == TEST:
        st.info(
            f"**Test set first.** This data has too few labels to measure accuracy, so the "
            f"first {s.n_test} samples are drawn at random to form a held-out test "
            "set. They never train the model; active learning starts right after.",
            icon=":material/fact_check:",
        )
    _simulate_panel(project)


def page() -> None:
    if not annotator():
        if project := project_or_message():
            sidebar_panel(project)
        ask_name()
        return
    labeling()


page()
