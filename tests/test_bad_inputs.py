"""Every bad input the issue lists, through the loader: a dataset with a note saying what
was done, or a ``DatasetError`` saying what is wrong and what to do. Never another
exception. Files are generated here, not committed."""

import io

import numpy as np
import pandas as pd
import pytest

from al_core import DatasetError, TooManyClassesError, load_table


def csv(frame, **kw) -> bytes:
    return frame.to_csv(index=False, **kw).encode()


def xlsx_like() -> bytes:
    return b"PK\x03\x04\x14\x00\x06\x00" + bytes(500)  # what an .xlsx renamed .csv starts with


GOOD = pd.DataFrame({"a": [1.0, 2, 3, 4, 5, 6], "b": [6.0, 5, 4, 3, 2, 1], "y": list("xyxyxy")})
CASES = {
    # name: (bytes, loader kwargs, ("error" | "note" | "ok"), text expected in message/note)
    "empty file": (b"", {}, "error", "the file is empty"),
    "header only": (b"a,b,y\n", {}, "error", "header but no rows"),
    "non-UTF-8 bytes": ("a,b,y\n1,2,café\n3,4,thé\n".encode("cp1252"), {}, "ok", ""),
    "semicolon delimiter": (csv(GOOD, sep=";"), {}, "ok", ""),
    "tab delimiter": (csv(GOOD, sep="\t"), {}, "ok", ""),
    "ragged rows": (b"a,b,y\n1,2,x\n3,4,y,9,9\n", {}, "error", "more cells than the header"),
    "duplicate column names": (b"a,a,y\n1,2,x\n3,4,y\n", {}, "error", "more than once"),
    "no usable feature column": (
        b"id,notes\nu1,\nu2,\nu3,\n",
        {},
        "error",
        "no column can be used",
    ),
    "a column entirely missing": (b"a,b,y\n1,,x\n2,,y\n3,,x\n", {}, "note", "every cell is empty"),
    "infinite values": (b"a,b,y\n1,inf,x\n2,3,y\n3,-inf,x\n4,1,y\n", {}, "note", "infinite"),
    "numeric column with text cells": (
        b"a,b,y\n1,1,x\n2,2,y\n3,oops,x\n4,4,y\n5,5,x\n6,6,y\n7,7,x\n8,8,y\n9,9,x\n10,10,y\n11,11,x\n",
        {},
        "note",
        "non-numeric cells",
    ),
    "label column with one class": (
        b"a,y\n1,x\n2,x\n3,x\n",
        {"label_column": "y"},
        "error",
        "only one class",
    ),
    "id-like label column": (
        csv(pd.DataFrame({"a": np.arange(60.0) % 7, "y": np.arange(60) * 1.37})),
        {"label_column": "y"},
        "ask",
        "looks like an id or a measurement",
    ),
    "an image renamed .csv": (b"\x89PNG\r\n\x1a\n" + bytes(300), {}, "error", "PNG image"),
    "a spreadsheet renamed .csv": (xlsx_like(), {}, "error", "spreadsheet"),
    "over the size limit": (csv(GOOD), {"max_bytes": 20}, "error", "over the limit"),
    "HTML and script in names and cells": (
        b"<b>a</b>,b,<script>y</script>\n1,2,<i>x</i>\n3,4,z\n5,6,<i>x</i>\n",
        {},
        "ok",
        "",
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_every_bad_input_ends_in_a_dataset_or_a_clear_error(name):
    content, kwargs, outcome, text = CASES[name]
    kwargs = {"class_names": None if "label_column" in kwargs else ["p", "q"], **kwargs}
    if outcome in ("error", "ask"):
        kind = TooManyClassesError if outcome == "ask" else DatasetError
        with pytest.raises(kind, match=text) as info:
            load_table(content, **kwargs)
        message = str(info.value)
        assert len(message) > 30 and "Traceback" not in message
        return
    data = load_table(content, **kwargs)
    assert np.isfinite(data.X).all() and data.n_samples > 0
    if outcome == "note":
        assert any(text in n.problem for n in data.notes), data.notes


def test_html_in_names_is_kept_as_plain_text():
    content = CASES["HTML and script in names and cells"][0]
    data = load_table(content, label_column="<script>y</script>")
    assert "<i>x</i>" in data.class_names and "<b>a</b>" in data.feature_names


def test_parquet_that_is_damaged_is_refused():
    buf = io.BytesIO()
    GOOD.to_parquet(buf)
    with pytest.raises(DatasetError, match="Parquet file could not be read"):
        load_table(buf.getvalue()[:-40])
