"""Typed errors raised by the engine.

The UI and the CLI turn these into messages; the engine never writes UI text and
callers never need to match on error strings, only on these classes.
"""

from __future__ import annotations


class ALError(Exception):
    """Base class of every error the engine raises on purpose."""


class DatasetError(ALError, ValueError):
    """A dataset or data file cannot be used as it is."""


class TooManyClassesError(DatasetError):
    """The label column has so many distinct values it looks like an id or a measurement.

    Load again with ``allow_many_classes=True`` if it really holds class labels.
    """

    def __init__(self, column: str, n_classes: int, n_rows: int) -> None:
        super().__init__(
            f"label column {column!r} has {n_classes} distinct values in {n_rows} labeled rows; "
            "it looks like an id or a measurement, not a class. Choose another label column, "
            "or confirm that these really are classes."
        )
        self.column, self.n_classes = column, n_classes


class ConfigError(ALError, ValueError):
    """A setting (fraction, budget, strategy, model name, ...) is out of range."""


class NotEnoughLabelsError(ALError):
    """An operation needs more labels than the session has (e.g. evaluation)."""


class PoolExhaustedError(ALError):
    """More rows were asked for than the unlabeled pool still holds."""


class AlreadyLabeledError(ALError):
    """A row that already has a label was labeled again through the session."""


class NothingToUndoError(ALError):
    """Undo was asked for, but there is no action of that annotator to take back."""


class StaleActionError(ALError):
    """A label, skip or undo named a sample that is no longer the one on the person's screen.

    Raised when a key press arrives after the sample it was meant for was labeled,
    skipped or handed to someone else; nothing is saved.
    """


class ModelFitError(ALError):
    """The model could not be fitted on the labeled rows."""


class ProjectError(ALError):
    """A project file cannot be opened, read or written."""


class ProjectExistsError(ProjectError):
    """A project with that name already exists."""


class ProjectNotFoundError(ProjectError):
    """No project with that name exists."""


class DamagedProjectError(ProjectError):
    """A project file holds values it could not have written (damaged or tampered with)."""


class DataMismatchError(ProjectError):
    """The project's data no longer matches the hash stored with it."""


class StorageError(ProjectError):
    """The project could not be written (read-only, locked, deleted, disk full)."""


class DatabaseUnavailableError(StorageError):
    """The project database does not answer (down, restarting, or a wrong address)."""
