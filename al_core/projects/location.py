"""Where projects live: SQLite files in a folder (the default) or a PostgreSQL database.

``AL_DATABASE_URL=postgresql://...`` puts every project in that database (see
``pgstore``); without it, a project is a file in the projects folder (see ``store``).
Everything above this module opens, creates and lists projects through it, and never
asks which store it got.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from al_core.errors import ConfigError
from al_core.projects import store as sqlite_store
from al_core.projects.store import ProjectStore, Store, safe_name

URL_VARIABLE = "AL_DATABASE_URL"


def database_url() -> str | None:
    """The PostgreSQL URL projects live in, or None for SQLite files.

    Raises
    ------
    ConfigError
        If ``AL_DATABASE_URL`` is set to something that is not a PostgreSQL URL.
    """
    url = os.environ.get(URL_VARIABLE, "").strip()
    if not url:
        return None
    if not url.startswith(("postgresql://", "postgres://")):
        raise ConfigError(
            f"{URL_VARIABLE} must be a PostgreSQL URL such as "
            "postgresql://user:password@host:5432/labels, or be unset to keep projects in "
            "SQLite files"
        )
    return url


def _database(folder: str | Path | None, url: str | None) -> str | None:
    """The database to use: ``url``; else none when a folder is named; else the setting."""
    return url or (None if folder else database_url())


def open_store(name: str, folder: str | Path | None = None, url: str | None = None) -> ProjectStore:
    """The store of an existing project (``url``: a database; default from the setting)."""
    url = _database(folder, url)
    if url:
        from al_core.projects.pgstore import PgStore

        return PgStore(url, safe_name(name))
    return Store(sqlite_store.project_path(name, folder))


def create_store(
    name: str,
    meta: dict[str, Any],
    content: bytes | None,
    content_id: tuple[str, str] | None,
    folder: str | Path | None = None,
    url: str | None = None,
) -> ProjectStore:
    """Create a project's store with its settings (and uploaded file); returns it open.

    ``content_id``: ``(hash, file name)`` of ``content``.
    """
    url = _database(folder, url)
    if url:
        from al_core.projects.pgstore import create_schema

        rows = [(k, json.dumps(v)) for k, v in meta.items()]
        blob = None if content is None or content_id is None else (*content_id, content)
        return create_schema(url, safe_name(name), rows, blob)
    from al_core.projects.files import create_file

    return create_file(sqlite_store.project_path(name, folder), meta, content, content_id)


def project_names(folder: str | Path | None = None, url: str | None = None) -> list[str]:
    """Names of the projects, sorted."""
    url = _database(folder, url)
    if url:
        from al_core.projects.pgstore import project_names as names_in

        return names_in(url)
    return sqlite_store.project_names(folder)


def project_exists(name: str, folder: str | Path | None = None) -> bool:
    if _database(folder, None):
        return safe_name(name) in project_names(folder)
    return sqlite_store.project_path(name, folder).exists()  # one stat, not a listing


def where() -> str:
    """Where projects are kept, for people (no password)."""
    url = database_url()
    if url:
        from al_core.projects.pgstore import redact

        return redact(url)
    return str(sqlite_store.projects_dir().resolve())
