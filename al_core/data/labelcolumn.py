"""The label column of a file: its values as class indices, and the limits on classes."""

from __future__ import annotations

import numpy as np
import pandas as pd

from al_core.data.datasets import MISSING_LABEL
from al_core.errors import DatasetError, TooManyClassesError

MAX_CLASSES = 200
"""The most classes a project may have. Every label refits the model while others wait
to save theirs; with 10,000 classes one refit took a minute. Even with
``allow_many_classes`` more are refused, with a message."""


def read_labels(
    frame: pd.DataFrame, column: str, class_names, allow_many: bool
) -> tuple[np.ndarray, tuple[str, ...]]:
    """Class indices per row (``MISSING_LABEL`` where empty) and the class names.

    Raises
    ------
    DatasetError, TooManyClassesError
    """
    if column not in frame.columns:
        raise DatasetError(
            f"there is no column {column!r}; the columns are: {', '.join(map(str, frame.columns))}"
        )
    raw = frame[column]
    known = raw.notna() & (raw.astype(str).str.strip() != "")
    text = raw[known].astype(str).str.strip()
    found = sorted(text.unique(), key=_natural_key)
    if class_names:
        names = [str(c) for c in class_names]
        unknown = sorted(set(found) - set(names))
        if unknown:
            raise DatasetError(
                f"label column {column!r} holds values that are not among the classes "
                f"{names}: {unknown[:5]}. Add them to the class names or fix the file."
            )
    else:
        names = found
        if len(names) < 2 and known.all():
            raise DatasetError(
                f"label column {column!r} has only one class ({names[0] if names else 'none'}); "
                "a classifier needs at least two. Choose another label column, or load the "
                "file without one and enter the class names."
            )
        if len(names) < 2:
            raise DatasetError(
                f"label column {column!r} has labels of fewer than two classes; enter the "
                "class names by hand."
            )
        many = len(names) > max(20, 0.5 * known.sum())
        if many and not allow_many:
            raise TooManyClassesError(column, len(names), int(known.sum()))
    check_class_count(len(names), column)
    index = {n: i for i, n in enumerate(names)}
    y = np.full(len(frame), MISSING_LABEL, dtype=np.int64)
    y[known.to_numpy()] = text.map(index).to_numpy()
    return y, tuple(names)


def check_class_count(n_classes: int, where: str) -> None:
    if n_classes > MAX_CLASSES:
        raise DatasetError(
            f"{where!r} has {n_classes} classes; a project takes at most {MAX_CLASSES} (each "
            "label refits the model while the others wait). Group rare classes together, "
            "or choose another label column."
        )


def _natural_key(value: str):
    try:
        return (0, float(value), value)
    except ValueError:
        return (1, 0.0, value)
