"""Which words of a text pushed the model towards which class: the highlights of the card.

For a linear model the decision for class ``c`` is a sum over features of
``coef[c, j] * x[j]``; a word's share in it is its coefficient times its TF-IDF weight in
this row. With two classes a positive share pushes towards the second class and a
negative one towards the first. With more, shares are compared after subtracting their
mean over the classes (softmax ignores what all classes share), and a word is given to
the class it pushes most. Other models give no per-word shares: no highlights.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from sklearn.base import ClassifierMixin

from al_core.data.datasets import Dataset
from al_core.data.encoding import text_block
from al_core.data.matrix import dense_rows
from al_core.data.text import MAX_TEXT_CHARS, TOKEN_PATTERN, word_columns

_WORD = re.compile(TOKEN_PATTERN)


@dataclass(frozen=True)
class Highlight:
    """One word of the text and its push.

    Attributes
    ----------
    start, end : int
        Its place in the text (``text[start:end]``).
    klass : int
        The class index it pushes towards.
    weight : float
        How hard, in the decision's units (coefficient x TF-IDF weight), > 0.
    """

    start: int
    end: int
    klass: int
    weight: float


def has_word_shares(model: ClassifierMixin | None) -> bool:
    """True for a fitted model whose decision is a sum over features (``coef_``)."""
    return model is not None and getattr(model, "coef_", None) is not None


def word_highlights(
    dataset: Dataset, model: ClassifierMixin | None, row_id: int, column: str
) -> list[Highlight]:
    """The words of one text cell that push the model, in text order.

    Parameters
    ----------
    dataset : Dataset with ``column`` among its ``text_columns``
    model : fitted classifier, or None
        Its ``classes_`` are class indices of ``dataset``.
    row_id : int
    column : str

    Returns
    -------
    list of Highlight; empty without a linear model, or for an empty cell.
    """
    if not has_word_shares(model) or dataset.raw is None or dataset.transformer is None:
        return []
    assert model is not None
    value = text_of(dataset, row_id, column)
    if not value:
        return []
    matches = list(_WORD.finditer(value[:MAX_TEXT_CHARS]))
    if not matches:
        return []
    encoder, offset = text_block(dataset.transformer, column)
    local = word_columns(encoder, [m.group() for m in matches])
    known = local >= 0
    if not known.any():
        return []
    features = np.unique(local[known]) + offset
    x = dense_rows(dataset.X, np.asarray([row_id]), features)[0]
    coef = np.asarray(model.coef_, dtype=np.float64)[:, features]
    classes = np.asarray(model.classes_, dtype=np.int64)
    share = coef * x  # (n_coef_rows, n_words)
    if share.shape[0] == 1:  # two classes: one row of coefficients, for the second
        toward = np.where(share[0] >= 0, classes[1], classes[0])
        push = np.abs(share[0])
    else:
        centered = share - share.mean(axis=0)
        toward = classes[centered.argmax(axis=0)]
        push = centered.max(axis=0)
    by_feature = {
        int(f): (int(t), float(p)) for f, t, p in zip(features, toward, push, strict=True)
    }
    out = []
    for m, j in zip(matches, local, strict=True):
        if j < 0:
            continue
        klass, weight = by_feature[int(j) + offset]
        if weight > 0:
            out.append(Highlight(m.start(), m.end(), klass, weight))
    return out


def text_of(dataset: Dataset, row_id: int, column: str) -> str:
    """The cell as text ('' when empty)."""
    if dataset.raw is None:
        return ""
    value = dataset.raw.iloc[row_id][column]
    return value if isinstance(value, str) else ""
