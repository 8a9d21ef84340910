"""Words for the person: why a sample was picked, and what an engine error means for them.

The engine raises typed errors and returns numbers; this module is the one place that
turns them into sentences.
"""

from __future__ import annotations

import re

import streamlit as st

from al_core import (
    ALError,
    ConfigError,
    DatabaseUnavailableError,
    DataMismatchError,
    DatasetError,
    NothingToUndoError,
    PoolExhaustedError,
    ProjectError,
    ProjectExistsError,
    StorageError,
)
from al_core.learning.query import Query

STRATEGY_LABELS = {
    "least_confidence": "least confidence",
    "margin": "smallest margin",
    "entropy": "highest entropy",
    "random": "random",
}


def why_chosen(query: Query, proba, n_candidates: int, n_test: int) -> str:
    """One sentence on why this sample is shown."""
    if query.kind == "test":
        return (
            f"Part of the test set: {n_test} rows drawn uniformly at random and labeled "
            "first, only to measure accuracy honestly. They never train the model."
        )
    if query.kind == "overlap":
        return (
            "Someone else has labeled this row already; you are shown it blind, without "
            "their label, so that the two labels measure how well the team agrees. Label "
            "it as you see it."
        )
    if query.kind == "cold_start":
        return (
            "No model yet (it needs labels of at least two classes), so this row was picked "
            "to cover the data: it lies far from the rows labeled so far."
        )
    score = float(query.scores[0])
    top = sorted(proba, reverse=True)
    pool = f"the highest among {n_candidates:,} unlabeled rows"
    if query.strategy == "least_confidence":
        return (
            f"The model is least sure about this row: its likeliest class has probability "
            f"{top[0]:.2f} (uncertainty {score:.3f}, {pool})."
        )
    if query.strategy == "margin":
        return (
            f"The two likeliest classes are only {top[0] - top[1]:.3f} apart "
            f"(uncertainty {score:.3f}, {pool})."
        )
    if query.strategy == "entropy":
        return f"The model's class probabilities are the most spread out (entropy {score:.3f}, {pool})."
    return "Picked uniformly at random (the baseline that active learning has to beat)."


def show_error(exc: Exception) -> None:
    """Show an error as a message that says what happened and what to do; no traceback."""
    text = str(exc)
    if isinstance(exc, DatabaseUnavailableError):
        st.error(
            f"**The project database is not answering.** {_cap(text)}. Whatever you did "
            "last was not saved if it is not shown; reload in a moment.",
            icon=":material/cloud_off:",
        )
    elif isinstance(exc, StorageError):
        st.error(
            f"**Not saved.** {_cap(text)}. Every label acknowledged before this one is safe.",
            icon=":material/save:",
        )
    elif isinstance(exc, DataMismatchError):
        st.error(
            f"**This project's data has changed.** {_cap(text)}.", icon=":material/sync_problem:"
        )
    elif isinstance(exc, ProjectExistsError):
        st.warning(f"{_cap(text)}.", icon=":material/folder_copy:")
    elif isinstance(exc, ProjectError):
        st.error(f"**The project cannot be used.** {_cap(text)}.", icon=":material/folder_off:")
    elif isinstance(exc, DatasetError):
        st.error(f"**This file cannot be used.** {_cap(text)}", icon=":material/description:")
    elif isinstance(exc, PoolExhaustedError):
        st.info(
            "Every row left is labeled, skipped, or being labeled by someone else right now. "
            "Revisit skipped rows on the Data page, or wait a moment and reload.",
            icon=":material/hourglass_empty:",
        )
    elif isinstance(exc, NothingToUndoError):
        st.toast("Nothing of yours to undo.", icon=":material/undo:")
    elif isinstance(exc, ConfigError):
        st.error(f"**Check the settings.** {_cap(text)}.", icon=":material/tune:")
    elif isinstance(exc, ALError):
        st.error(_cap(text), icon=":material/error:")
    else:
        st.error(
            f"Something went wrong ({type(exc).__name__}: {text}). Your saved labels are safe; "
            "reload the page to continue.",
            icon=":material/error:",
        )


def _cap(text: str) -> str:
    text = md(text)
    return text[:1].upper() + text[1:] if text else text


_MARKDOWN = re.compile(r"([\\`*_{}\[\]<>()#+\-.!|~$:])")


_AUTOLINK = re.compile(r"(?i)(?<=:)(?=//)|(?=@)|(?<=www)(?=\.)")
"""Where Markdown would start a bare link (``https://``, ``a@b.c``, ``www.``): the page's
renderer finds those after escapes are resolved, so a zero-width space goes there."""


def md(text: object) -> str:
    """``text`` with Markdown (and LaTeX) syntax escaped, for names people typed.

    Class, column, file and annotator names reach the page as the characters typed:
    never as formatting, links, images or HTML.
    """
    return _MARKDOWN.sub(r"\\\1", _AUTOLINK.sub("\u200b", str(text)))


def measured_on(s) -> str:
    """Which test rows an accuracy is measured on, for captions and help texts."""
    if s.n_evaluated < s.n_test:
        return (
            f"a fixed sample of {s.n_evaluated:,} of the {s.n_test:,} test rows "
            "(stratified by class; a larger test set would cost time on every label and "
            "narrow the interval little)"
        )
    return f"{s.n_test:,} test rows"
