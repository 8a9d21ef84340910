"""What lives where: projects once per server process, choices once per browser tab.

``st.cache_resource`` holds each open ``Project`` (and so its data pool) once per
process, shared by every browser session; ``st.session_state`` holds the tab's own
choices: the current project and the annotator's name.
"""

from __future__ import annotations

import contextlib

import streamlit as st

from al_core import ALError, SessionConfig
from al_core.allocator import give_back_free_memory
from al_core.errors import ProjectExistsError, ProjectNotFoundError
from al_core.projects.location import database_url, project_exists, where
from al_core.projects.project import Project
from al_core.projects.sources import DataSource
from al_core.projects.store import SUFFIX, project_path, safe_name

from .auth import identity, sign_in_on
from .messages import show_error

DEFAULT_PROJECT = "tutorial"
"""Created on first run with the tutorial's settings, so the app opens ready to label."""

PROJECT_KEY = "project"
ANNOTATOR_KEY = "annotator"


@st.cache_resource(show_spinner="Opening the project…", max_entries=16)
def _open(name: str, identity: str) -> Project:
    # The identity is part of the key: a project file deleted and created anew by
    # another process (another inode) is opened afresh instead of reusing a stale handle.
    project = Project.open(name)
    give_back_free_memory()  # opening a large pool freed tens of MB of temporaries
    return project


def open_project(name: str) -> Project:
    """The process-wide ``Project`` for a name (opened and replayed once).

    Only a project directly inside the projects folder (or in the project database) can
    be opened, whatever the URL or a form says (see ``store.project_path``).
    """
    if database_url():
        return _open(safe_name(name), where())
    path = project_path(name)
    try:
        inode = path.stat().st_ino
    except OSError:
        raise ProjectNotFoundError(f"there is no project named {name!r}") from None
    return _open(path.name[: -len(SUFFIX)], f"{path}#{inode}")


def ensure_default_project() -> None:
    """Create the tutorial project with the reference settings if it does not exist."""
    if not project_exists(DEFAULT_PROJECT):
        with contextlib.suppress(ProjectExistsError):  # another server was quicker
            Project.create(
                DEFAULT_PROJECT, DataSource("builtin", "tutorial"), SessionConfig()
            ).close()


def _remembered(key: str) -> str | None:
    # The tab's choice lives in session state and is mirrored in the URL, so a reload
    # (a new Streamlit session) or a bookmark comes back to the same project and name.
    if key not in st.session_state and st.query_params.get(key):
        st.session_state[key] = st.query_params[key]
    value = st.session_state.get(key)
    if value and st.query_params.get(key) != value:
        st.query_params[key] = value
    return value


def current_project() -> Project:
    """The project this browser tab works on (the tutorial project by default)."""
    name = _remembered(PROJECT_KEY) or DEFAULT_PROJECT
    try:
        return open_project(name)
    except ProjectNotFoundError:
        # Created on first use only: every redraw opens the project, and asking whether
        # it exists first would be a database query each time on a team server.
        if name != DEFAULT_PROJECT:
            raise
        ensure_default_project()
        return open_project(name)


def project_or_message() -> Project | None:
    """The tab's project with others' new labels applied; None once the reason it cannot
    be opened has been shown."""
    try:
        project = current_project()
        project.refresh()
    except ALError as exc:
        show_error(exc)
        return None
    return project


def set_project(name: str) -> None:
    st.session_state[PROJECT_KEY] = name
    st.query_params[PROJECT_KEY] = name


def annotator() -> str | None:
    """Who is at the keyboard: the signed-in identity, else the name typed in this tab."""
    if sign_in_on():
        return identity()  # never typed, never from the URL
    return _remembered(ANNOTATOR_KEY)


def set_annotator(name: str) -> None:
    if sign_in_on():
        return
    st.session_state[ANNOTATOR_KEY] = name
    st.query_params[ANNOTATOR_KEY] = name


def folder_label() -> str:
    return where()
