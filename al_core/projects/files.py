"""Making a project file, and reading back its settings and data.

A new project is written whole under a hidden temporary name in the projects folder,
made durable, and only then linked under its real name: a crash while creating leaves
no half-made project behind that would block the name or be listed.
"""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from dataclasses import asdict
from pathlib import Path
from typing import Any

from al_core.data.datasets import Dataset
from al_core.errors import DataMismatchError, ProjectError, ProjectExistsError
from al_core.learning.config import SessionConfig
from al_core.projects.event_rows import now
from al_core.projects.sources import DataSource, content_hash, dataset_hash
from al_core.projects.store import SCHEMA_VERSION, ProjectStore, Store

CREATING = ".creating"
"""Suffix of a project file still being written (never listed, never opened)."""


def create_file(
    path: Path,
    meta: dict[str, Any],
    content: bytes | None,
    content_id: tuple[str, str] | None,
) -> Store:
    """Write a complete project file at ``path`` and open it.

    ``meta``: the settings (see ``project_meta``); ``content`` the uploaded file and
    ``content_id`` its ``(hash, file name)``.

    Raises
    ------
    ProjectExistsError
        If ``path`` exists (it is never overwritten).
    ProjectError
        If the folder cannot be written.
    """
    if path.exists():
        raise _exists(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ProjectError(f"cannot create {str(path)!r}: {exc.strerror}") from exc
    temp = path.with_name(f".{path.stem}.{uuid.uuid4().hex}{CREATING}")
    try:
        store = Store(temp, create=True)
        try:
            with store.write() as conn:
                conn.executemany(
                    "INSERT INTO meta (key, value) VALUES (?, ?)",
                    [(k, json.dumps(v)) for k, v in meta.items()],
                )
                if content is not None and content_id is not None:
                    conn.execute(
                        "INSERT INTO blobs (hash, name, content) VALUES (?, ?, ?)",
                        (*content_id, content),
                    )
        finally:
            store.close()  # checkpoints the WAL into the file itself
        with open(temp, "rb") as f:
            os.fsync(f.fileno())
        try:
            os.link(temp, path)  # fails if the name was taken meanwhile: never overwrites
        except FileExistsError:
            raise _exists(path) from None
        except OSError as exc:
            raise ProjectError(f"cannot create {str(path)!r}: {exc.strerror}") from exc
        _fsync_folder(path.parent)
    finally:
        for leftover in (temp, Path(f"{temp}-wal"), Path(f"{temp}-shm")):
            with contextlib.suppress(OSError):
                leftover.unlink()
    return Store(path)


def project_meta(
    source: DataSource, config: SessionConfig, dataset: Dataset, lease_seconds: float
) -> dict[str, Any]:
    """The settings a new project is created with (the same in either store)."""
    return {
        "schema_version": SCHEMA_VERSION,
        "created": now(),
        "source": source.to_dict(),
        "config": asdict(config),
        "class_names": list(dataset.class_names),
        "data_hash": dataset_hash(dataset),
        "lease_seconds": lease_seconds,
    }


def read_settings(store: ProjectStore) -> tuple[Dataset, SessionConfig, dict[str, Any]]:
    """The dataset, the session settings and the raw settings of an open project file.

    Raises
    ------
    DataMismatchError
        If the stored file is damaged or the data no longer hashes as it did.
    KeyError, TypeError, ValueError
        If a setting is missing or malformed (the caller reports the file as unreadable).
    """
    meta = {k: json.loads(v) for k, v in store.meta().items()}
    source = DataSource.from_dict(meta["source"])
    content = None
    if source.kind == "file":
        rows = store.read("SELECT hash, content FROM blobs LIMIT 1")
        if not rows or content_hash(rows[0][1]) != rows[0][0]:
            raise DataMismatchError(f"the data file stored in project {store.name!r} is damaged")
        content = rows[0][1]
    dataset = source.load(content)
    if dataset_hash(dataset) != meta["data_hash"]:
        raise DataMismatchError(
            f"the data of project {store.name!r} is no longer what it was labeled "
            "on (a library update may have changed it); its labels are safe, but it "
            "cannot be opened with this data"
        )
    return dataset, SessionConfig(**meta["config"]), meta


def _exists(path: Path) -> ProjectExistsError:
    return ProjectExistsError(
        f"a project named {path.stem!r} already exists; open it or choose another name"
    )


def _fsync_folder(folder: Path) -> None:
    # The new name is durable only once the folder's entry is on disk.
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
