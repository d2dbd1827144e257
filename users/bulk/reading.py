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
import zipfile
from dataclasses import dataclass
from typing import Final

from portal.csvsafe import unsafe_cell

MAX_FILE_BYTES: Final = 1024 * 1024
# Everything one upload request may carry: the file, its multipart framing and the form's few
# fields. A request over this is refused before its body is read (users/bulk/uploads.py).
MAX_REQUEST_BYTES: Final = 2 * MAX_FILE_BYTES
MAX_USERS: Final = 100
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
TOO_MANY_USERS: Final = (
    "The file has {count} users; an upload takes at most 100. Split it into files of 100 users or "
    "fewer."
)
UNCLOSED_QUOTE: Final = (
    'Line {line}: a quote (") opens a cell that is never closed, so everything after it would be '
    "read as one cell. Close the quote or remove it, save the file as CSV UTF-8 and upload it "
    "again."
)
CELL_TOO_LONG: Final = (
    "Line {line} has a cell longer than {limit:,} characters, which no name or username is. The "
    'usual cause is a quote (") that is never closed, so the rest of the file reads as one cell: '
    "check the quotes from that line on, save the file as CSV UTF-8 and upload it again."
)
UNREADABLE: Final = (
    "Line {line} could not be read as CSV ({error}). {save_as} and upload that file."
)
ZIP: Final = (
    "This is a ZIP archive (compressed files), not a CSV file. Upload the CSV file itself: "
    f"{_SAVE_AS[0].lower()}{_SAVE_AS[1:]} if it is a spreadsheet."
)
ODS: Final = (
    "This is an OpenDocument spreadsheet (.ods), not a CSV file. Save it as CSV (UTF-8, comma "
    "separated) and upload that file."
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


def too_big(size: int) -> str:
    """The refusal of a file of `size` bytes, over `MAX_FILE_BYTES`."""
    return TOO_BIG.format(size=f"{size / MAX_FILE_BYTES:.1f} MB")


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


def csv_file_read(data: bytes, *, max_users: int = MAX_USERS) -> CsvFile:
    """Decode and parse an uploaded file (raises FileRefused with a message for the person).

    Rows are counted as they are read and only the first `max_users` are kept: a file with more
    is refused before anything is built from its rows.
    """
    text, encoding = _decode(data)
    delimiter = _sniff_delimiter(text)
    # Strict: a quote that never closes is an error here, not the rest of the file in one cell.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    records: list[Record] = []
    count = 0
    # Row numbers count every record, blank ones too, so they match the row numbers Excel shows.
    # A blank record is an empty line, or one of empty cells (",,,," is how Excel saves a row
    # that was once used).
    number, line = 0, 1
    try:
        for raw in reader:
            number += 1
            line = reader.line_num + 1  # where the next record starts
            if any(cells := tuple(cell_clean(cell) for cell in raw)):
                count += 1
                if count <= max_users + 1:
                    records.append(Record(number, cells))
    except csv.Error as error:
        raise FileRefused(_unreadable(error, line)) from None
    if not records:
        raise FileRefused(EMPTY)
    if len(records) == 1:
        raise FileRefused(HEADER_ONLY)
    if count - 1 > max_users:
        raise FileRefused(TOO_MANY_USERS.format(count=f"{count - 1:,}"))
    return CsvFile(records[0], tuple(records[1:]), encoding, delimiter)


def _decode(data: bytes) -> tuple[str, str]:
    if len(data) > MAX_FILE_BYTES:
        raise FileRefused(too_big(len(data)))
    if data.startswith(_XLSX_MAGIC):
        raise FileRefused(_zip_kind(data))
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


def _unreadable(error: csv.Error, line: int) -> str:
    """What to say about a parse error in the record that starts at `line`."""
    if "unexpected end of data" in str(error):
        return UNCLOSED_QUOTE.format(line=line)
    if "field larger than field limit" in str(error):
        return CELL_TOO_LONG.format(line=line, limit=csv.field_size_limit())
    return UNREADABLE.format(line=line, error=error, save_as=_SAVE_AS)


def _zip_kind(data: bytes) -> str:
    """What a ZIP archive is: an Excel workbook, an OpenDocument spreadsheet, or just a ZIP."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            mimetype = archive.read("mimetype") if "mimetype" in names else b""
    except (zipfile.BadZipFile, OSError, KeyError):
        return ZIP
    if "xl/workbook.xml" in names or "xl/workbook.bin" in names:
        return XLSX
    if mimetype.startswith(b"application/vnd.oasis.opendocument.spreadsheet"):
        return ODS
    return ZIP


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
        try:
            cells = next(csv.reader([header], delimiter=delimiter), [])
        except csv.Error:  # e.g. a cell over the csv module's size limit: the parse says where
            return 0
        return sum(1 for cell in cells if cell_clean(cell).casefold() in _KNOWN)

    comma, semicolon, tab = known(","), known(";"), known("\t")
    if tab > max(comma, semicolon):
        raise FileRefused(TABS)
    if semicolon > comma or (semicolon == comma == 0 and ";" in header and "," not in header):
        return ";"
    return ","
