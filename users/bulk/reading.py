"""Turning an uploaded file's bytes into a header and rows of trimmed cells, or refusing it.

What people actually upload is whatever Excel saved: "CSV UTF-8" (UTF-8 with a byte-order mark),
plain "CSV" (Windows-1252), semicolon-separated CSV from European Excel, and now and then the
workbook itself. Each is read or refused here with a message that says what to do; the rules about
columns and values live in `rules.py`.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass
from typing import Final

from portal.csvsafe import unsafe_cell

MAX_FILE_BYTES: Final = 1024 * 1024
COLUMNS: Final = ("First name", "Last name", "Display name", "Email", "Status update")

_SAVE_AS: Final = 'In Excel choose File > Save As > "CSV UTF-8 (Comma delimited) (*.csv)"'
EMPTY: Final = (
    "The file is empty. Download the CSV template, add one user per row, save it as CSV UTF-8 "
    "and upload it again."
)
HEADER_ONLY: Final = (
    "The file has column names but no users. Add one user per row below the column names and "
    "upload it again."
)
XLSX: Final = f"This is an Excel workbook (.xlsx), not a CSV file. {_SAVE_AS} and upload that file."
XLS: Final = (
    f"This is an old Excel workbook (.xls), not a CSV file. {_SAVE_AS} and upload that file."
)
UTF16: Final = f"This file is Unicode Text (UTF-16), not CSV. {_SAVE_AS} and upload that file."
BINARY: Final = f"This is not a text file: it holds binary data. {_SAVE_AS} and upload that file."
TABS: Final = (
    f"The columns are separated by tabs (Excel's Text format), not commas. {_SAVE_AS} and "
    "upload that file."
)
TOO_BIG: Final = (
    "The file is {size}, over the 1 MB limit. An upload takes at most 100 users, which fit in far "
    "less: check that this is the right file, and save it as CSV UTF-8."
)
UNREADABLE: Final = (
    'The file could not be read as CSV ({error}); a quote (") that is never closed is the usual '
    "cause. {save_as} and upload that file."
)

UTF8: Final = "UTF-8"
UTF8_BOM: Final = "UTF-8 with byte-order mark"
CP1252: Final = "Windows-1252"
CP1252_NOTE: Final = (
    'The file is not UTF-8, so it was read as Windows-1252 (what Excel\'s plain "CSV" saves). '
    "If a name looks wrong here, save the file as CSV UTF-8 and upload it again."
)
SEMICOLON_NOTE: Final = (
    "The columns are separated by semicolons (as European Excel saves CSV), so the file was "
    "read with ';'."
)

_XLSX_MAGIC: Final = b"PK\x03\x04"
_XLS_MAGIC: Final = b"\xd0\xcf\x11\xe0"
# C0 control characters other than tab, line feed and carriage return: never in a text file.
_CONTROL: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
_KNOWN: Final = frozenset(name.casefold() for name in COLUMNS)


class FileRefused(Exception):
    """The file cannot be read as a CSV of users; the message says what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Record:
    """One non-blank line of the file: its row number as Excel shows it, and its cells."""

    number: int
    cells: tuple[str, ...]


@dataclass(frozen=True)
class CsvFile:
    header: Record
    records: tuple[Record, ...]
    encoding: str  # UTF8, UTF8_BOM or CP1252
    delimiter: str  # "," or ";"

    @property
    def notes(self) -> tuple[str, ...]:
        """What a person should know about how the file was read (shown in the summary)."""
        notes = []
        if self.encoding == CP1252:
            notes.append(CP1252_NOTE)
        if self.delimiter == ";":
            notes.append(SEMICOLON_NOTE)
        return tuple(notes)


def cell_clean(raw: str) -> str:
    """A cell as the rules see it: surrounding spaces trimmed and the portal's `'` guard removed."""
    return unsafe_cell(raw.strip()).strip()


def csv_file_read(data: bytes) -> CsvFile:
    """Decode and parse an uploaded file (raises FileRefused with a message for the person)."""
    text, encoding = _decode(data)
    delimiter = _sniff_delimiter(text)
    try:
        parsed = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as error:
        raise FileRefused(UNREADABLE.format(error=error, save_as=_SAVE_AS)) from None
    # Row numbers count every record, blank ones too, so they match the row numbers Excel shows.
    # A blank record is an empty line, or one of empty cells (",,,," is how Excel saves a row
    # that was once used).
    records = [
        Record(number, cells)
        for number, raw in enumerate(parsed, start=1)
        if any(cells := tuple(cell_clean(cell) for cell in raw))
    ]
    if not records:
        raise FileRefused(EMPTY)
    if len(records) == 1:
        raise FileRefused(HEADER_ONLY)
    return CsvFile(records[0], tuple(records[1:]), encoding, delimiter)


def _decode(data: bytes) -> tuple[str, str]:
    if len(data) > MAX_FILE_BYTES:
        raise FileRefused(TOO_BIG.format(size=f"{len(data) / MAX_FILE_BYTES:.1f} MB"))
    if data.startswith(_XLSX_MAGIC):
        raise FileRefused(XLSX)
    if data.startswith(_XLS_MAGIC):
        raise FileRefused(XLS)
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise FileRefused(UTF16)
    if data.startswith(codecs.BOM_UTF8):
        encoding, text = UTF8_BOM, _text(data[len(codecs.BOM_UTF8) :], "utf-8")
    else:
        try:
            encoding, text = UTF8, data.decode("utf-8")
        except UnicodeDecodeError:
            # Excel's plain "CSV" is the ANSI code page, Windows-1252 in the west. It leaves five
            # byte values undefined, so a file that fails this too is not text at all.
            encoding, text = CP1252, _text(data, "cp1252")
    if not text.strip():
        raise FileRefused(EMPTY)
    if _CONTROL.search(text):
        raise FileRefused(BINARY)
    return text, encoding


def _text(data: bytes, codec: str) -> str:
    try:
        return data.decode(codec)
    except UnicodeDecodeError:
        raise FileRefused(BINARY) from None


def _sniff_delimiter(text: str) -> str:
    """`,` unless the header's cells are column names when split on `;` (or tab: refused).

    Only the header decides: a comma inside a name on a semicolon file (or the other way round)
    must not tip the choice.
    """
    header = next((line for line in text.splitlines() if line.strip()), "")

    def known(delimiter: str) -> int:
        cells = next(csv.reader([header], delimiter=delimiter), [])
        return sum(1 for cell in cells if cell_clean(cell).casefold() in _KNOWN)

    comma, semicolon, tab = known(","), known(";"), known("\t")
    if tab > max(comma, semicolon):
        raise FileRefused(TABS)
    if semicolon > comma or (semicolon == comma == 0 and ";" in header and "," not in header):
        return ";"
    return ","
