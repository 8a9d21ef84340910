"""Free-text columns as features: cleaning the cells, and the vectorizer that reads them.

A text column becomes word features: TF-IDF (scikit-learn's ``TfidfVectorizer``, fitted
once on the whole pool; that is unsupervised, labels play no part) or, above
``HASHING_ROWS`` rows, a ``HashingVectorizer`` followed by TF-IDF weighting, whose memory
does not grow with the vocabulary. Either gives a sparse matrix.

Cells are cleaned first, and every change is reported: binary junk is left out, huge
cells are cut to ``MAX_TEXT_CHARS`` for the model (the file keeps them whole), and a
column with too few words to learn from is refused with the reason.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import (
    HashingVectorizer,
    TfidfTransformer,
    TfidfVectorizer,
)
from sklearn.pipeline import Pipeline

MAX_TEXT_CHARS = 100_000
"""Characters of one cell the model reads; longer cells are cut (and the cut reported)."""

HASHING_ROWS = 200_000
"""Above this many rows a text column is hashed instead of given a vocabulary."""

HASH_FEATURES = 2**18
"""Columns of a hashed text column (collisions stay rare for everyday vocabularies)."""

MAX_VOCABULARY = 50_000
"""The most frequent words kept per text column (TF-IDF)."""

JUNK_SHARE = 0.1
"""A cell where more than this share of characters are control characters, or the
replacement character of undecodable bytes, holds binary data, not text."""

TEXT_MIN_LENGTH = 20
"""A column whose cells average at least this many characters, with many distinct values,
reads as free text (a guess for the form; the person decides)."""

TOKEN_PATTERN = r"(?u)\b\w\w+\b"
"""Words: two or more letters or digits (scikit-learn's default)."""

_WORD = re.compile(TOKEN_PATTERN)
_JUNK = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]")


def looks_like_text(col: pd.Series) -> bool:
    """True when a column holds free text: many distinct, longish strings with spaces."""
    filled = col.dropna()
    if filled.empty or pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
        return False
    text = filled.astype(str)
    if text.nunique() < min(20, max(2, text.size // 2)):
        return False
    return bool(text.str.len().mean() >= TEXT_MIN_LENGTH and text.str.contains(" ").mean() > 0.5)


def clean_texts(col: pd.Series) -> tuple[pd.Series | None, str]:
    """The cells as the vectorizer reads them, and a note of what was changed.

    Returns
    -------
    texts : Series of str, or None
        Empty strings for missing or junk cells, long cells cut to ``MAX_TEXT_CHARS``;
        None when the column cannot be used (the note says why).
    note : str
    """
    n = len(col)
    filled = col.notna()
    if not filled.any():
        return None, "every cell is empty"
    text = col.where(filled, "").astype(str)
    bad = text.map(_is_junk)
    if bad.any() and bad[filled].all():
        return None, "holds binary data, not text, in every filled cell"
    text = text.mask(bad, "")
    notes = []
    if bad.any():
        notes.append(f"{int(bad.sum()):,} cells held binary data, not text; left out")
    long = text.str.len() > MAX_TEXT_CHARS
    if long.any():
        notes.append(
            f"{int(long.sum()):,} cells longer than {MAX_TEXT_CHARS:,} characters: the model "
            f"reads their first {MAX_TEXT_CHARS:,} (the file keeps them whole)"
        )
        text = text.mask(long, text.str.slice(0, MAX_TEXT_CHARS))
    words = text.map(lambda t: _WORD.search(t) is not None).astype(bool)
    if words.sum() < 2:
        return None, "fewer than two rows have a word in them; there is nothing to learn from"
    empty = n - int(words.sum())
    if empty > n / 2:
        notes.append(
            f"no words in {empty:,} of {n:,} rows ({empty / n:.0%}); the model knows those rows "
            "by their other columns only"
        )
    return text, "; ".join(notes)


def _is_junk(value: str) -> bool:
    if not value:
        return False
    sample = value[:4096]
    return len(_JUNK.findall(sample)) > JUNK_SHARE * len(sample)


def text_encoder(n_rows: int, dtype: type = np.float64):
    """The vectorizer for one text column of a pool of ``n_rows`` rows (unfitted)."""
    if n_rows > HASHING_ROWS:
        return Pipeline(
            [
                (
                    "hash",
                    HashingVectorizer(
                        n_features=HASH_FEATURES,
                        alternate_sign=False,
                        norm=None,
                        strip_accents="unicode",
                        token_pattern=TOKEN_PATTERN,
                        dtype=dtype,
                    ),
                ),
                ("tfidf", TfidfTransformer(sublinear_tf=True)),
            ]
        )
    return TfidfVectorizer(
        strip_accents="unicode",
        sublinear_tf=True,
        max_features=MAX_VOCABULARY,
        token_pattern=TOKEN_PATTERN,
        dtype=dtype,
    )


def encoder_words(encoder) -> list[str]:
    """One name per output column of a fitted ``text_encoder``."""
    if isinstance(encoder, TfidfVectorizer):
        return [str(w) for w in encoder.get_feature_names_out()]
    return [f"#{i}" for i in range(HASH_FEATURES)]


def word_columns(encoder, words: list[str]) -> np.ndarray:
    """The output column of each word for a fitted ``text_encoder``; -1 where it has none.

    ``words`` are tokens as they appear in the text; they are normalized as the encoder
    normalizes them (lower case, accents stripped).
    """
    vectorizer = encoder if isinstance(encoder, TfidfVectorizer) else encoder.named_steps["hash"]
    normalize = vectorizer.build_preprocessor()
    if isinstance(vectorizer, TfidfVectorizer):
        vocabulary = vectorizer.vocabulary_
        return np.asarray([vocabulary.get(normalize(w), -1) for w in words], dtype=np.int64)
    if not words:
        return np.zeros(0, dtype=np.int64)
    hashed = vectorizer.transform([normalize(w) for w in words])
    out = np.full(len(words), -1, dtype=np.int64)
    rows = np.repeat(np.arange(hashed.shape[0]), np.diff(hashed.indptr))
    out[rows] = hashed.indices
    return out
