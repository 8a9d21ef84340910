"""What a labeling project produces besides labels: a prediction for every row, and the
trained model as a file.

``predictions_frame`` gives every row of the pool (or of a new file with the same
columns) its human label if any, the model's class, its probabilities and its
uncertainty. ``save_model`` writes the whole pipeline (the file's column encoding, then
the classifier) in skops format, which loads without running code from the file.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from al_core.data.datasets import MISSING_LABEL
from al_core.data.encoding import features_of_new_rows
from al_core.data.matrix import Matrix, row_slice
from al_core.data.reading import read_frame
from al_core.data.textfile import read_source
from al_core.errors import NotEnoughLabelsError
from al_core.learning.models import full_proba
from al_core.projects.eventlog import DATASET_ANNOTATOR
from al_core.projects.project import Project

CHUNK = 65_536  # rows predicted at once: memory stays flat on a large pool


def _model(project: Project):
    model = project.session.model
    if model is None:
        raise NotEnoughLabelsError(
            "there is no trained model yet: label rows of at least two classes first"
        )
    return model


def _predict(model, X: Matrix, n_classes: int) -> np.ndarray:
    n = X.shape[0]
    return (
        np.concatenate(
            [full_proba(model, row_slice(X, i, i + CHUNK), n_classes) for i in range(0, n, CHUNK)]
        )
        if n
        else np.zeros((0, n_classes))
    )


def predictions_frame(project: Project, data: str | Path | bytes | None = None) -> pd.DataFrame:
    """One row per pool row (or per row of ``data``, a new file with the same columns).

    Columns: ``row_id``, the file's id column (when it has one), ``label`` and
    ``labeled_by`` (pool rows only; empty where no one labeled it), ``predicted``,
    ``p:<class>`` for every class, and ``uncertainty`` (1 - the top probability).

    Raises
    ------
    NotEnoughLabelsError
        Before any model could be trained.
    DatasetError
        If ``data`` misses a feature column or has columns the project's file did not.
    """
    dataset = project.dataset
    names = np.asarray(dataset.class_names, dtype=object)
    with project.reading():
        model = _model(project)
        if data is None:
            X, raw = dataset.X, dataset.raw
            labels = project.session.labels.copy()
            who = _labelers(project, labels)
        else:
            content, name = read_source(data, None, None)
            raw = read_frame(content, name, project.source.decimal_comma)
            X, labels, who = features_of_new_rows(dataset, raw, name), None, None
        proba = _predict(model, X, dataset.n_classes)
    frame = pd.DataFrame({"row_id": np.arange(X.shape[0])})
    if dataset.id_column and raw is not None and dataset.id_column in raw.columns:
        frame[dataset.id_column] = raw[dataset.id_column].to_numpy()
    if labels is not None and who is not None:
        given = np.full(labels.size, None, dtype=object)
        known = labels != MISSING_LABEL
        given[known] = names[labels[known]]
        frame["label"] = given
        frame["labeled_by"] = who
    frame["predicted"] = names[proba.argmax(axis=1)] if len(proba) else []
    for i, name in enumerate(dataset.class_names):
        frame[f"p:{name}"] = proba[:, i]
    frame["uncertainty"] = 1.0 - proba.max(axis=1) if len(proba) else []
    return frame


def _labelers(project: Project, labels: np.ndarray) -> np.ndarray:
    """Who gave each row its label now: the reviewer who decided, else the labeler."""
    who = np.full(labels.size, None, dtype=object)
    who[labels != MISSING_LABEL] = DATASET_ANNOTATOR
    log = project.log
    for row in log.labeled_rows():
        decision, event = log.decision(row), log.label_event(row)
        chosen = decision or event
        if chosen is not None:
            who[row] = chosen.annotator
    return who


def model_pipeline(project: Project):
    """The trained model with the file's column encoding in front (a ``Pipeline``).

    For a built-in dataset there is no encoding: the model takes its feature columns.
    """
    with project.reading():
        model = _model(project)
        transformer = project.dataset.transformer
    if transformer is None:
        return model
    return Pipeline([("columns", transformer), ("model", model)])


def save_model(project: Project, path: str | Path) -> Path:
    """Write the trained pipeline in skops format (never pickle); returns the path."""
    import skops.io as sio

    path = Path(path)
    sio.dump(model_pipeline(project), path)
    return path
