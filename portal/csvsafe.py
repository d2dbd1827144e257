"""Formula-safe CSV: every CSV the portal writes goes through here, and its readers undo it.

A spreadsheet treats a cell that starts with `=`, `+`, `-`, `@`, tab or carriage return as a
formula (CSV/formula injection: a display name like `=HYPERLINK(...)` typed by anyone would run in
the partner's Excel). The portal writes such cells with a leading `'`, which Excel shows as text
and hides; when it reads a CSV it removes one `'` that is followed by one of those characters, so
its own files (the template, annotated uploads, results, password downloads, exports) round-trip.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from typing import Final

FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")
# Excel opens a UTF-8 CSV as UTF-8 only when it starts with a byte-order mark; without one it
# guesses the ANSI code page and shows "BjÃ¶rn". Python's "utf-8-sig" codec writes that mark.
ENCODING: Final = "utf-8-sig"
# RFC 4180 line ends, which Excel on Windows and macOS and every csv library read alike; the
# csv module's default too, stated here so no caller changes it by accident.
LINE_END: Final = "\r\n"
_CHUNK_CHARACTERS: Final = 64 * 1024


def safe_cell(value: str) -> str:
    """The cell as the portal writes it: a leading `'` when a spreadsheet would see a formula."""
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def unsafe_cell(value: str) -> str:
    """The cell as the portal reads it: one leading `'` removed when it guards a formula start."""
    if value.startswith("'") and value[1:2] and value[1:2] in FORMULA_STARTS:
        return value[1:]
    return value


def csv_stream(rows: Iterable[Sequence[str]]) -> Iterator[bytes]:
    """The CSV in chunks of about 64 kB, written as the rows come (constant memory whatever the
    number of rows), every cell made formula-safe: UTF-8 with BOM, CRLF line ends."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=LINE_END)
    yield codecs.BOM_UTF8
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
        if buffer.tell() >= _CHUNK_CHARACTERS:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode("utf-8")


def csv_bytes(rows: Iterable[Sequence[str]]) -> bytes:
    """A whole CSV file (`csv_stream`, joined), for what is small and bounded."""
    return b"".join(csv_stream(rows))
