"""Where a project's data comes from, and the hash that proves it has not changed.

A ``DataSource`` is the recipe (a built-in and its seed, or a stored file and its
column choices); ``dataset_hash`` fingerprints what the recipe produced, so a project
never silently trains on different data than it was labeled on.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import pyarrow as pa

from al_core.data.datasets import Dataset, load_builtin
from al_core.data.encoding import without_numeric_features
from al_core.data.matrix import as_pool, fingerprint
from al_core.errors import DatasetError

FLOAT32_ABOVE = 100_000
"""Pools with more rows are stored as float32 unless the source says otherwise."""


@dataclass(frozen=True)
class DataSource:
    """How to rebuild a project's dataset.

    Attributes
    ----------
    kind : {"builtin", "file", "server"}
        A built-in; a file copied into the project; or a file that stays where it is on
        the server (for pools too large to copy: ``name`` is its absolute path, and it
        must not move or change).
    name : str
        Built-in name, the uploaded file's name, or the server file's path.
    seed : int
        ``random_state`` of generated built-ins.
    float32 : bool or None
        Store the pool as float32; None (the default for new projects): float32 above
        ``FLOAT32_ABOVE`` rows, where it halves the memory and the time to score the pool,
        float64 below (a project saved before this choice existed says False).
    label_column, feature_columns, class_names, allow_many_classes, text_columns
        The loader's options for a file (see ``al_core.data.tabular.load_table``).
    decimal_comma : bool
        Read ``1,5`` in a file not separated by commas as a number; a project saved
        before this reading existed says False, so its data hashes as it did.
    """

    kind: str
    name: str
    seed: int = 42
    float32: bool | None = None
    label_column: str | None = None
    feature_columns: tuple[str, ...] | None = None
    class_names: tuple[str, ...] | None = None
    allow_many_classes: bool = False
    text_columns: tuple[str, ...] | None = None
    decimal_comma: bool = True

    def __post_init__(self) -> None:
        if self.kind not in ("builtin", "file", "server"):
            raise DatasetError(f"unknown data source kind {self.kind!r}")
        if self.kind == "server" and not Path(self.name).is_absolute():
            raise DatasetError(f"a file on the server is named by its full path, not {self.name!r}")

    def load(self, content: bytes | None = None) -> Dataset:
        """Build the dataset; ``content`` holds the file's bytes for a file source."""
        dataset = self._load(content)
        if self.float32 is None and dataset.n_samples > FLOAT32_ABOVE:
            # A large pool: float32, and the file's numeric feature columns are not kept
            # beside the features (the card reads them back from the features).
            large = replace(
                dataset, X=as_pool(dataset.X, np.float32), raw=without_numeric_features(dataset)
            )
            del dataset
            # Arrow's allocator keeps freed memory for reuse; the file's columns it held
            # while reading would stay resident beside the pool for the server's life.
            pa.default_memory_pool().release_unused()
            return large
        return dataset

    def _load(self, content: bytes | None) -> Dataset:
        dtype = np.float32 if self.float32 else np.float64
        if self.kind == "builtin":
            return load_builtin(self.name, seed=self.seed, dtype=dtype)
        source: Path | bytes | None = Path(self.name) if self.kind == "server" else content
        if source is None:
            raise DatasetError(f"the file {self.name!r} of this project is missing")
        from al_core.data.tabular import load_table

        return load_table(
            source,
            label_column=self.label_column,
            feature_columns=list(self.feature_columns) if self.feature_columns else None,
            class_names=list(self.class_names) if self.class_names else None,
            name=Path(self.name).name,
            allow_many_classes=self.allow_many_classes,
            dtype=dtype,
            text_columns=list(self.text_columns) if self.text_columns else None,
            decimal_comma=self.decimal_comma,
        )

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> DataSource:
        d = dict(d)
        d.setdefault("decimal_comma", False)  # saved before 1,5 was read as a number
        for key in ("feature_columns", "class_names", "text_columns"):
            if d.get(key) is not None:
                d[key] = tuple(d[key])
        return cls(**d)


def content_hash(content: bytes) -> str:
    """SHA-256 of a file's bytes (hex)."""
    return hashlib.sha256(content).hexdigest()


def dataset_hash(dataset: Dataset) -> str:
    """SHA-256 over features, ground truth and class names (hex)."""
    h = hashlib.sha256()
    fingerprint(h, dataset.X)
    if dataset.y is not None:
        h.update(np.ascontiguousarray(dataset.y, dtype=np.int64).tobytes())
    h.update("\x1f".join(dataset.class_names).encode())
    return h.hexdigest()
