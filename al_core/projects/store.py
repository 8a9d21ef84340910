"""The SQLite file behind a project: schema, connection settings and error translation.

One project is one file. Writes are durable before they return (WAL journal with
``synchronous=FULL``), several processes may write (``BEGIN IMMEDIATE`` serializes
them, ``busy_timeout`` waits for the lock), and every SQLite failure reaches callers as
a typed ``ProjectError`` saying what happened and what to do.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sqlite3
from pathlib import Path
from typing import Any, Protocol

from al_core.errors import DamagedProjectError, ProjectError, ProjectNotFoundError, StorageError

SCHEMA_VERSION = 4
"""Bumped whenever the tables change; a newer file is refused by an older engine, an
older one is brought up to date when it is opened (see ``_upgrade``).

1: the first schema. 2: ``budget`` events (the label budget changed on an open project).
3: ``points``, the learning-curve point each event made, so opening a project refits once.
4: ``adjudicate`` events (a reviewer's final label for a row).
"""


class Connection(Protocol):
    """What the project code needs of a connection: sqlite3's, or ``pgstore``'s wrapper."""

    def execute(self, sql: str, parameters: Any = ..., /) -> Any: ...

    def executemany(self, sql: str, parameters: Any, /) -> Any: ...


class ProjectStore(Protocol):
    """A project's storage: ``Store`` (a SQLite file) or ``pgstore.PgStore``."""

    errors: type[Exception] | tuple[type[Exception], ...]

    @property
    def name(self) -> str: ...

    @property
    def key(self) -> str: ...

    def translate(self, exc: Exception) -> ProjectError: ...

    def write(self) -> contextlib.AbstractContextManager[Connection]: ...

    def reading(self) -> contextlib.AbstractContextManager[Connection]: ...

    def read(self, sql: str, params: Any = ()) -> list[tuple]: ...

    def meta(self) -> dict[str, str]: ...

    def close(self) -> None: ...


APPLICATION_ID = 0x414C4C42  # "ALLB": marks a SQLite file as one of our projects

SUFFIX = ".alproj"

_EVENTS = """
CREATE TABLE IF NOT EXISTS {name} (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL CHECK (
        kind IN ('label', 'skip', 'revisit', 'undo', 'budget', 'adjudicate')
    ),
    row_id INTEGER,
    label INTEGER,
    annotator TEXT NOT NULL,
    ts TEXT NOT NULL,
    model_version INTEGER,
    strategy TEXT,
    score REAL,
    target INTEGER
);
"""

_POINTS = """
CREATE TABLE IF NOT EXISTS points (
    seq INTEGER PRIMARY KEY,
    point TEXT NOT NULL,
    predictions BLOB
);
"""

_SCHEMA = (
    """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS blobs (hash TEXT PRIMARY KEY, name TEXT NOT NULL, content BLOB NOT NULL);
"""
    + _EVENTS.format(name="events")
    + """
CREATE INDEX IF NOT EXISTS events_by_annotator ON events (annotator, seq);
"""
    + _POINTS
    + """
CREATE TABLE IF NOT EXISTS leases (
    row_id INTEGER PRIMARY KEY,
    annotator TEXT NOT NULL,
    expires REAL NOT NULL,
    model_version INTEGER,
    score REAL,
    rank INTEGER NOT NULL DEFAULT 0
);
"""
)

_NAME_OK = re.compile(r"[^A-Za-z0-9 _.-]+")


def projects_dir(folder: str | Path | None = None) -> Path:
    """The projects folder: ``folder``, else ``$AL_PROJECTS_DIR``, else ``./projects``."""
    return Path(folder or os.environ.get("AL_PROJECTS_DIR") or "projects")


def safe_name(name: str) -> str:
    """A project name that is safe as a file name inside the projects folder.

    Characters other than letters, digits, space, ``_``, ``-`` and ``.`` become ``-``;
    leading dots and separators go, so no name can climb out of the folder.

    Raises
    ------
    ProjectError
        If nothing usable is left of the name.
    """
    cleaned = _NAME_OK.sub("-", str(name)).strip(" .-")[:64].strip(" .-")
    if not cleaned:
        raise ProjectError(
            f"{name!r} cannot be a project name; use letters, digits, spaces, '-' or '_'"
        )
    return cleaned


def project_path(name: str, folder: str | Path | None = None) -> Path:
    """The file of the project called ``name``: always directly inside the projects folder.

    A project is named, never located: the name is sanitized as ``create`` does (so
    ``../x``, ``/etc/passwd``, NUL bytes or look-alike slashes cannot leave the folder),
    and a file there that is a link to somewhere else is refused.

    Raises
    ------
    ProjectError
        If nothing usable is left of the name.
    ProjectNotFoundError
        If the file is a symbolic link (it could point outside the folder).
    """
    root = projects_dir(folder)
    path = root / f"{safe_name(str(name))}{SUFFIX}"
    if path.is_symlink() or (path.exists() and path.resolve().parent != root.resolve()):
        raise ProjectNotFoundError(
            f"there is no project named {str(name)!r} (its file is a link, which is not opened)"
        )
    return path


def project_names(folder: str | Path | None = None) -> list[str]:
    """Names of the projects in the folder, sorted."""
    root = projects_dir(folder)
    if not root.exists():
        return []
    return sorted(p.name[: -len(SUFFIX)] for p in root.glob(f"*{SUFFIX}"))


def translate(exc: sqlite3.Error, path: Path) -> ProjectError:
    """A typed, actionable error for a SQLite failure on ``path``."""
    code = getattr(exc, "sqlite_errorname", "")
    where = f"project file {str(path)!r}"
    if code.startswith("SQLITE_FULL"):
        return StorageError(f"the disk holding {where} is full; free space, then try again")
    if code.startswith("SQLITE_READONLY"):
        return StorageError(f"{where} is read-only; make it writable, then try again")
    if code.startswith("SQLITE_BUSY") or code.startswith("SQLITE_LOCKED"):
        return StorageError(f"{where} is locked by another program; try again in a moment")
    if code.startswith(("SQLITE_NOTADB", "SQLITE_CORRUPT")):
        return ProjectError(f"{where} is not a project or is damaged ({exc})")
    if code.startswith("SQLITE_CANTOPEN"):
        return StorageError(
            f"{where} cannot be opened; check that its folder exists and is writable"
        )
    return StorageError(f"{where} could not be read or written ({exc})")


class Store:
    """An open project file (the embedded store; ``pgstore`` is the team server's).

    Both stores offer the same few things to the code above them: ``write()`` (a
    serialized write transaction, durable on exit), ``reading()`` (a connection to read
    from), ``read``, ``meta``, ``close``, ``name``, ``key`` (unique per project, for
    caches), and ``errors`` / ``translate`` (the driver's errors and their typed,
    actionable form). Connections take ``?`` parameters in both.

    Parameters
    ----------
    path : Path
    create : bool
        Create the file and its tables (the caller checked it does not exist yet).
    """

    errors: type[Exception] | tuple[type[Exception], ...] = sqlite3.Error

    def __init__(self, path: Path, create: bool = False) -> None:
        self.path = path
        if not create and not path.exists():
            raise ProjectNotFoundError(
                f"there is no project named {path.name[: -len(SUFFIX)]!r} in "
                f"{str(path.parent)!r} (the folder is set by AL_PROJECTS_DIR)"
            )
        try:
            if create:
                path.parent.mkdir(parents=True, exist_ok=True)
            self.conn = sqlite3.connect(
                path, timeout=10.0, isolation_level=None, check_same_thread=False
            )
            if not create:  # before anything that writes: a foreign file stays untouched
                self._check_application_id()
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=FULL")
            self._inode = path.stat().st_ino
            if create:
                self.conn.execute(f"PRAGMA application_id={APPLICATION_ID}")
                self.conn.executescript(_SCHEMA)
            else:
                self._check_version()
        except sqlite3.Error as exc:
            raise translate(exc, path) from exc
        except OSError as exc:
            raise StorageError(f"project file {str(path)!r} cannot be opened ({exc})") from exc

    def _check_application_id(self) -> None:
        (app_id,) = self.conn.execute("PRAGMA application_id").fetchone()
        if app_id != APPLICATION_ID:
            self.conn.close()
            raise ProjectError(f"{str(self.path)!r} is a SQLite file but not a labeling project")

    def _check_intact(self) -> None:
        # SQLite reads a damaged page without complaint until it trips over it; a project
        # must be refused whole, never half-read or exported as if nothing happened.
        problems = [str(r[0]) for r in self.conn.execute("PRAGMA quick_check").fetchall()]
        if problems != ["ok"]:
            raise DamagedProjectError(
                f"{str(self.path)!r} is damaged ({'; '.join(problems[:3])}). Restore it from a "
                "backup; `sqlite3 FILE .recover` rescues what is still readable"
            )

    def _check_version(self) -> None:
        self._check_intact()
        raw = self.meta().get("schema_version", "0")
        try:
            version = json.loads(raw)
        except ValueError:
            version = raw
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise DamagedProjectError(
                f"{str(self.path)!r} is damaged: its schema version {raw!r} is not one this "
                "app ever wrote; restore the file from a backup"
            )
        if version > SCHEMA_VERSION:
            raise ProjectError(
                f"{str(self.path)!r} was written by a newer version (schema {version}, this "
                f"one reads up to {SCHEMA_VERSION}); upgrade the app to open it"
            )
        if version < SCHEMA_VERSION:
            self._upgrade(version)

    def _upgrade(self, version: int) -> None:
        """Bring an older project file up to ``SCHEMA_VERSION``, in one transaction."""
        with self.write() as conn:
            if version < 4:  # the events table gains the 'budget' and 'adjudicate' kinds
                conn.execute(_EVENTS.format(name="events_v2"))
                conn.execute("INSERT INTO events_v2 SELECT * FROM events")
                conn.execute("DROP TABLE events")
                conn.execute("ALTER TABLE events_v2 RENAME TO events")
                conn.execute(
                    "CREATE INDEX IF NOT EXISTS events_by_annotator ON events (annotator, seq)"
                )
            if version < 3:  # the learning curve's points are kept with their events
                conn.execute(_POINTS)
            conn.execute(
                "UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION),)
            )

    @contextlib.contextmanager
    def write(self):
        """A write transaction that holds the file's write lock; durable on exit."""
        try:
            self._check_still_there()
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
                self._check_still_there()
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")
        except sqlite3.Error as exc:
            raise translate(exc, self.path) from exc

    @property
    def name(self) -> str:
        """The project's name."""
        return self.path.name[: -len(SUFFIX)]

    @property
    def key(self) -> str:
        """Unique per project and per file: a file deleted and made anew is another key."""
        return f"{self.path}#{self._inode}"

    def translate(self, exc: Exception) -> ProjectError:
        return (
            translate(exc, self.path) if isinstance(exc, sqlite3.Error) else ProjectError(str(exc))
        )

    @contextlib.contextmanager
    def reading(self):
        """A connection to read from (the caller holds the project's lock)."""
        yield self.conn

    def read(self, sql: str, params=()) -> list[tuple]:
        try:
            return self.conn.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise translate(exc, self.path) from exc

    def _check_still_there(self) -> None:
        # SQLite keeps writing to a deleted file's inode: that would acknowledge labels
        # that no one can ever read back.
        try:
            same = self.path.stat().st_ino == self._inode
        except OSError:
            same = False
        if not same:
            raise StorageError(
                f"project file {str(self.path)!r} was deleted or replaced while open; "
                "labels given from now on cannot be saved. Restore the file or reopen the project"
            )

    def meta(self) -> dict[str, str]:
        return dict(self.read("SELECT key, value FROM meta"))

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self.conn.close()
