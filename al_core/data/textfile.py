"""Getting text out of an uploaded file: size limit, binary sniffing, encoding, delimiter."""

from __future__ import annotations

import csv
from pathlib import Path

from al_core.errors import DatasetError

ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")
"""Tried in order; latin-1 decodes any bytes, so control characters decide "binary"."""

DELIMITERS = ",;\t|"

_MAGIC = {
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"%PDF": "a PDF document",
    b"PK\x03\x04": "a ZIP archive or an Excel/OpenDocument spreadsheet",
    b"\xd0\xcf\x11\xe0": "an old Excel/Word document",
    b"\x1f\x8b": "a gzip archive",
}


def read_source(source, name: str | None, max_bytes: int | None) -> tuple[bytes, str]:
    """The bytes of a path or of bytes, with a display name; enforces ``max_bytes``."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        name = name or "uploaded file"
    else:
        path = Path(source)
        name = name or path.stem
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise DatasetError(f"cannot read {str(path)!r}: {exc.strerror or exc}") from exc
        if max_bytes is not None and size > max_bytes:
            raise DatasetError(_too_big(name, size, max_bytes))
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise DatasetError(f"cannot read {str(path)!r}: {exc.strerror or exc}") from exc
    if max_bytes is not None and len(data) > max_bytes:
        raise DatasetError(_too_big(name, len(data), max_bytes))
    return data, name


def _too_big(name: str, size: int, limit: int) -> str:
    return (
        f"{name}: the file is {size / 1e6:.1f} MB, over the limit of {limit / 1e6:.1f} MB. "
        "Use a smaller file or raise the limit in the configuration."
    )


def decode_text(data: bytes, name: str) -> tuple[str, str]:
    """Decode bytes as text, trying common encodings; refuse binary files.

    Returns the text and the encoding that decoded it (one of ``ENCODINGS``).
    """
    if not data.strip():
        raise DatasetError(f"{name}: the file is empty. Upload a file with a header row and data.")
    for magic, what in _MAGIC.items():
        if data.startswith(magic):
            raise DatasetError(
                f"{name}: this is {what}, not a CSV or Parquet file. Export the data as CSV "
                "(comma-separated text) and upload that."
            )
    if b"\x00" in data[:65536]:
        raise DatasetError(
            f"{name}: the file holds binary data (or UTF-16 text), not CSV text. Save it as "
            "CSV with UTF-8 encoding and upload that."
        )
    for encoding in ENCODINGS:
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    sample = text[:65536]
    control = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\r\n\t")
    if control > 0.01 * len(sample):
        raise DatasetError(
            f"{name}: the file does not look like text. Upload a CSV (comma-separated text) "
            "or a Parquet file."
        )
    return text, encoding


def sniff_delimiter(text: str) -> str:
    """The delimiter of CSV text among ``DELIMITERS`` (comma when unsure)."""
    sample = "\n".join(text[:65536].splitlines()[:50])
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        first = sample.splitlines()[0] if sample else ""
        counts = {d: first.count(d) for d in DELIMITERS}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] > 0 else ","
