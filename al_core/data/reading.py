"""Reading a CSV or Parquet file into a checked ``pandas.DataFrame``.

The delimiter, encoding and decimal commas of a CSV are detected; a Parquet file is
checked for size before it is read. A file that cannot be read raises ``DatasetError``
with what to do about it; what its columns are worth as features is ``tabular``'s.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from al_core.data.decimals import decimal_comma_numbers
from al_core.data.textfile import decode_text, sniff_delimiter
from al_core.errors import DatasetError


def read_frame(data: bytes, name: str = "file", decimal_comma: bool = True) -> pd.DataFrame:
    """Parse CSV (delimiter and encoding detected) or Parquet bytes into a DataFrame;
    ``decimal_comma``: numbers such as ``1,5`` in a file not separated by commas are
    numbers (``al_core.data.decimals``).

    Raises
    ------
    DatasetError
        Empty, binary, unparsable or ragged files; duplicate or missing column names.
    """
    if data[:4] == b"PAR1":
        return parquet_frame(io.BytesIO(data), name)
    text, encoding = decode_text(data, name)
    delimiter = sniff_delimiter(text)
    try:
        header = next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), [])
    except csv.Error as exc:
        raise DatasetError(f"{name}: the header row cannot be read as CSV ({exc}).") from exc
    _check_columns([h.strip() for h in header], name)
    try:
        frame = pd.read_csv(io.StringIO(text, newline=""), sep=delimiter, skipinitialspace=True)
    except pd.errors.ParserError as exc:
        raise DatasetError(
            f"{name}: some rows have more cells than the header ({exc}). "
            "Check for stray delimiters or unquoted text containing them."
        ) from exc
    except pd.errors.EmptyDataError as exc:
        raise DatasetError(
            f"{name}: the file is empty. Upload a file with a header row and data."
        ) from exc
    frame.columns = [str(c).strip() for c in frame.columns]
    if decimal_comma and delimiter != ",":
        frame = decimal_comma_numbers(frame)
    if frame.empty:
        raise DatasetError(
            f"{name}: the file has a header but no rows of data. Add rows and try again."
        )
    frame.attrs["encoding"] = encoding  # text columns say so when it was not UTF-8
    return frame


def parquet_frame(source, name: str) -> pd.DataFrame:
    """A Parquet file (a path, or a buffer of its bytes) as a checked DataFrame."""
    _check_parquet_size(source, name)
    try:
        frame = pd.read_parquet(source)
    except Exception as exc:  # pyarrow raises many types for a damaged file
        raise DatasetError(f"{name}: the Parquet file could not be read ({exc}).") from exc
    frame.columns = [str(c) for c in frame.columns]
    _decode_binary_columns(frame, name)
    _check_columns(list(frame.columns), name)
    if frame.empty:
        raise DatasetError(f"{name}: the file has column names but no rows of data.")
    return frame


def is_parquet_path(source) -> bool:
    if isinstance(source, (bytes, bytearray, memoryview)):
        return False
    try:
        with open(source, "rb") as f:
            return f.read(4) == b"PAR1"
    except OSError:
        return False  # read_source reports it


def file_columns(path: str | Path) -> list[str]:
    """The column names of a CSV or Parquet file, read from its header alone.

    Raises
    ------
    DatasetError
        If the file cannot be read, or its header is not a table's.
    """
    path = Path(path)
    try:
        if is_parquet_path(path):
            return [str(c) for c in pq.read_schema(path).names]
        with open(path, "rb") as f:
            head = f.read(65536)
    except OSError as exc:
        raise DatasetError(f"cannot read {str(path)!r}: {exc.strerror or exc}") from exc
    except Exception as exc:  # pyarrow raises many types for a damaged footer
        raise DatasetError(f"{path.name}: the Parquet file could not be read ({exc}).") from exc
    text, _ = decode_text(head, path.name)
    header = next(csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(text)), [])
    columns = [h.strip() for h in header]
    _check_columns(columns, path.name)
    return columns


def max_table_bytes() -> int:
    """The most memory a table may take once read: ``$AL_MAX_TABLE_MB`` (default 2000)."""
    try:
        return int(float(os.environ.get("AL_MAX_TABLE_MB", "2000")) * 1_000_000)
    except ValueError:
        return 2_000_000_000


def _check_parquet_size(source, name: str) -> None:
    """Refuse, from its metadata alone, a Parquet file that would not fit once read.

    Parquet compresses well: a file of under a megabyte can hold gigabytes of zeros (a
    decompression bomb). Nothing is decompressed before this check.
    """
    try:
        meta = pq.ParquetFile(source).metadata
    except Exception as exc:  # pyarrow raises many types for a damaged footer
        raise DatasetError(f"{name}: the Parquet file could not be read ({exc}).") from exc
    uncompressed = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    cells = meta.num_rows * meta.num_columns * 8  # at least 8 bytes a cell once in memory
    need, limit = max(uncompressed, cells), max_table_bytes()
    if need > limit:
        raise DatasetError(
            f"{name}: the Parquet file holds {meta.num_rows:,} rows x {meta.num_columns} "
            f"columns, about {need / 1e6:,.0f} MB once read, over the limit of "
            f"{limit / 1e6:,.0f} MB (AL_MAX_TABLE_MB). Use a smaller file or raise the limit."
        )


def _decode_binary_columns(frame: pd.DataFrame, name: str) -> None:
    """Columns of raw bytes become text; bytes that are not UTF-8 text are refused."""
    for column in frame.columns:
        values = frame[column]
        first = values.first_valid_index()
        # A Parquet column has one type: its first value says whether it holds bytes.
        if values.dtype != object or first is None or not isinstance(values[first], bytes):
            continue
        try:
            frame[column] = values.map(lambda v: v.decode("utf-8") if isinstance(v, bytes) else v)
        except UnicodeDecodeError:
            raise DatasetError(
                f"{name}: column {column!r} holds binary data, not text. Remove it from the "
                "file, or store it as text (UTF-8), and upload again."
            ) from None


def _check_columns(columns: list[str], name: str) -> None:
    if not columns or all(not c for c in columns):
        raise DatasetError(f"{name}: the file is empty. Upload a file with a header row and data.")
    seen, dupes = set(), []
    for c in columns:
        if c in seen and c not in dupes:
            dupes.append(c)
        seen.add(c)
    if dupes:
        raise DatasetError(
            f"{name}: column names appear more than once: {', '.join(map(repr, dupes))}. "
            "Rename them so that every column has its own name."
        )
