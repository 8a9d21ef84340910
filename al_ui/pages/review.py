"""Review page: conflicts and likely label mistakes, one at a time, settled by a reviewer.

The queue is computed once per change of the project's log (cross-validation takes a
moment) and the page runs in a fragment, so a decision reruns only the card.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from al_core import ALError, StaleActionError
from al_core.projects.eventlog import label_of
from al_core.projects.project import Project
from al_core.review.queue import ReviewQueue, review_queue
from al_ui.auth import admins_only
from al_ui.card import probability_bars, sample_view
from al_ui.keys import CardButtons, shortcut_keys
from al_ui.messages import md, show_error
from al_ui.sidebar import sidebar_panel
from al_ui.state import annotator, project_or_message
from al_ui.who import ask_name

FLASH = "review_flash"
PASSED = "review_passed"  # rows this tab passed over ("Later"), until the queue changes
TOP = 10


@st.cache_data(show_spinner="Ranking the labels (cross-validation)…", max_entries=8)
def _queue(path: str, last_seq: int, top: int, _project: Project) -> ReviewQueue:
    # Keyed by the file and the last event: any label, decision or undo recomputes it.
    return review_queue(_project, top=top)


def _decide(project: Project, row: int, label: int, seen: int) -> None:
    try:
        saved = project.adjudicate(annotator(), row, label, seen=seen)
        name = md(project.dataset.class_names[label])
        what = "changed to" if saved.conflict else "confirmed as"
        st.session_state[FLASH] = ("toast", f"Sample {row} {what} “{name}”")
    except StaleActionError as exc:
        st.session_state[FLASH] = ("stale", exc)
    except ALError as exc:
        st.session_state[FLASH] = ("error", exc)


def _undo(project: Project) -> None:
    try:
        event = project.undo(annotator())
        st.session_state[FLASH] = ("toast", f"Undid your {event.kind} of sample {event.row_id}")
    except ALError as exc:
        st.session_state[FLASH] = ("error", exc)


def _pass(row: int) -> None:
    st.session_state.setdefault(PASSED, set()).add(row)


def _flash() -> None:
    flash = st.session_state.pop(FLASH, None)
    if flash is None:
        return
    kind, what = flash
    if kind == "toast":
        st.toast(what, icon=":material/gavel:")
    elif kind == "stale":
        st.warning(f"**Not saved:** {md(str(what))}", icon=":material/block:")
    else:
        show_error(what)


@st.fragment
def reviewing() -> None:
    project = project_or_message()
    if project is None:
        return
    st.markdown(f"##### Reviewing *{md(project.name)}* as {md(annotator())}")
    _flash()
    sidebar_panel(project)  # in the fragment: a decision can move the accuracy
    queue = _queue(project.store.key, project.log.last_seq, TOP, project)
    passed = st.session_state.get(PASSED, set())
    todo = [item for item in queue.items if item.row_id not in passed]
    n_conflicts = sum(item.reason == "conflict" for item in queue.items)
    c1, c2, c3 = st.columns(3)
    c1.metric("Conflicts", n_conflicts, help="Rows two people labeled differently.")
    c2.metric(
        "Likely mistakes",
        len(queue.items) - n_conflicts,
        help=f"The top {TOP} rows whose label a model trained without them doubts most "
        f"(confident learning, over {queue.n_ranked:,} labeled rows).",
    )
    c3.metric("Left for you", len(todo))
    if queue.note:
        st.caption(f"Note: {md(queue.note)}")
    if not todo:
        st.success("Nothing to review right now.", icon=":material/task_alt:")
        if passed:
            st.button("Show the rows I passed over", key="review_reset", on_click=passed.clear)
        st.button(
            "Undo my last decision",
            key="review_undo_end",
            shortcut="u",
            on_click=_undo,
            args=(project,),
        )
        return
    _card(project, todo[0])


def _card(project: Project, item) -> None:
    names = list(project.dataset.class_names)
    row = item.row_id
    with st.container(border=True, key="review_card"):
        card = CardButtons(row)
        for i, (name, key) in enumerate(zip(names, shortcut_keys(names), strict=True)):
            card.button(
                md(name),
                key=f"review_{row}_{i}",
                type="primary" if i == item.current else "secondary",
                shortcut=key,
                on_click=_decide,
                args=(project, row, i, item.seen),
                help="Final label" + (" (the one it has now)" if i == item.current else ""),
            )
        card.button(
            "Later",
            key=f"review_pass_{row}",
            shortcut="n",
            icon=":material/skip_next:",
            on_click=_pass,
            args=(row,),
        )
        card.button(
            "Undo",
            key=f"review_undo_{row}",
            shortcut="u",
            icon=":material/undo:",
            on_click=_undo,
            args=(project,),
        )
        card.draw(f"Sample #{row}", "The row under review; a class key gives its final label.")
        left, right = st.columns([3, 2], gap="large")
        with right:
            if item.reason == "conflict":
                st.markdown("**Why here** two people gave different labels")
            else:
                st.markdown(
                    f"**Why here** likely mistake: label quality {item.quality:.3f} "
                    "(0: surely wrong, 1: surely right)"
                )
            st.markdown(
                f"**Role** {'held-out test set' if item.role == 'test' else 'training'} · "
                f"**now** {md(names[item.current])}"
            )
            _labels_given(project, item)
            st.markdown("**Model's out-of-fold probabilities**")
            if item.proba is None or not np.isfinite(item.proba).all():
                st.caption("Not ranked (see the note above).")
            else:
                probability_bars(names, item.proba)
                st.caption("From a model trained without this row (5-fold cross-validation).")
        with left:
            sample_view(project, row)


def _labels_given(project: Project, item) -> None:
    """Every label the row was given, who gave it and when, and the decision in force."""
    names = project.dataset.class_names
    rows = [
        {"who": e.annotator, "label": names[label_of(e)], "when (UTC)": _when(e.ts)}
        for e in item.labels
    ]
    if not rows:
        rows.append({"who": "(the data)", "label": names[item.current], "when (UTC)": ""})
    if item.decision is not None:
        d = item.decision
        rows.append(
            {
                "who": f"{d.annotator} (decided)",
                "label": names[label_of(d)],
                "when (UTC)": _when(d.ts),
            }
        )
    st.dataframe(pd.DataFrame(rows), hide_index=True, key=f"review_given_{item.row_id}")


def _when(ts: str) -> str:
    return ts[:19].replace("T", " ")


def page() -> None:
    if not admins_only("review labels and decide conflicts"):
        return
    if not annotator():
        ask_name("Who is reviewing?", "Start reviewing")
        return
    reviewing()


page()
