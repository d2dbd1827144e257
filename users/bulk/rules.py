"""The rules a bulk upload's columns and rows must follow (DESIGN.md, "Bulk CSV rules").

Every message is for partner staff looking at the row it belongs to (the page shows it beside the
offending cell, the annotated file in that row's Status update), so it names the column and the
value and says what to do, but not the row number. Messages are constants, filled with
`str.format`, so tests assert the exact words a person sees.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Final

from customers.directory.text import ascii_lower
from users.bulk.reading import COLUMNS, Record
from users.usernames import username_problems

# Column keys, in the template's order; ROW holds messages about the row as a whole.
FIRST_NAME: Final = "first_name"
LAST_NAME: Final = "last_name"
DISPLAY_NAME: Final = "display_name"
EMAIL: Final = "email"
STATUS_UPDATE: Final = "status_update"
ROW: Final = "row"
KEYS: Final = (FIRST_NAME, LAST_NAME, DISPLAY_NAME, EMAIL, STATUS_UPDATE)
COLUMN_NAMES: Final = dict(zip(KEYS, COLUMNS, strict=True))
_KEY_OF: Final = {name.casefold(): key for key, name in COLUMN_NAMES.items()}

RETENTION: Final = timedelta(days=30)  # a deleted user can be restored this long

MARKER: Final = "[Partner Portal]"
"""How the portal's own annotations in Status update begin.

The annotated download writes a row's errors and warnings into its Status update behind this
marker (`[Partner Portal] Error: ...`), so the file can be fixed and uploaded again as it is: a
Status update that starts with the marker (exactly, after trimming) is ignored, any other
non-empty Status update is an error, because Status update is the portal's column.
"""

MAX_NAME: Final = 50

_ALL_COLUMNS: Final = ", ".join(COLUMNS)
MISSING_COLUMN: Final = (
    "The column {names} is missing. The first row must name the columns "
    f"{_ALL_COLUMNS}, in any order; the CSV template has them."
)
MISSING_COLUMNS: Final = (
    "The columns {names} are missing. The first row must name the columns "
    f"{_ALL_COLUMNS}, in any order; the CSV template has them."
)
UNKNOWN_COLUMN: Final = (
    "Unknown column '{name}' (column {position}). The file may only have the columns "
    f"{_ALL_COLUMNS}: remove it, as extra data makes the upload fail."
)
UNNAMED_COLUMN: Final = (
    "Column {position} has no name. The file may only have the columns "
    f"{_ALL_COLUMNS}: remove it, as extra data makes the upload fail."
)
DUPLICATE_COLUMN: Final = (
    "The column '{name}' appears twice (columns {first} and {again}). Keep one."
)

EXTRA_CELLS: Final = (
    "This row has more cells than the header: {found}. Remove them, as extra data makes the "
    "upload fail."
)
NAME_TOO_LONG: Final = "{column} is {length} characters long; the limit is 50. Shorten it."
# A quoted cell may hold a line break; no name in Partner Center does.
NAME_LINE_BREAK: Final = "{column} has a line break in it. Put it on one line."
DISPLAY_NAME_REQUIRED: Final = (
    "Display name is required. Fill it in, for example with the first and last name."
)
EMAIL_REQUIRED: Final = "Email is required: it becomes the new user's username (name@domain)."
DUPLICATE_EMAIL: Final = (
    "Email '{email}' is already in row {first} (emails must be unique, ignoring case). Change it "
    "or remove this row."
)
ACTIVE_USERNAME: Final = (
    "Email '{email}' is already the username of {name}, an active user of this customer. Choose "
    "another username."
)
DELETED_USERNAME: Final = (
    "Email '{email}' is the username of {name}, deleted on {deleted} and restorable until "
    "{purge}. Creating this user means {name} can no longer be restored under this username."
)
RESERVED_USERNAME: Final = (
    "Email '{email}' is reserved: a scheduled change will create it ({change}). Choose another "
    "username, or cancel that change first."
)
STATUS_NOT_EMPTY: Final = (
    "Status update must be empty: the portal writes each user's result there. Clear '{value}'."
)

_SHOWN_LENGTH: Final = 120  # a 64-character alias at a long domain still shows whole


@dataclass(frozen=True)
class Columns:
    """Where each known column is in the file, and what is wrong with the header."""

    index: Mapping[str, int]
    width: int  # the header's cells up to its last named one; later cells are extra data
    problems: tuple[str, ...]


@dataclass(frozen=True)
class Known:
    """A user of the customer with a username the file names (from the directory)."""

    display_name: str
    user_principal_name: str
    deleted_at: datetime | None = None

    @property
    def purge_at(self) -> datetime:
        assert self.deleted_at is not None
        return self.deleted_at + RETENTION


@dataclass(frozen=True)
class Customer:
    """What the rules need of a customer: its domains, and its users with the usernames the file
    names (looked up once per upload), by username in ASCII lower case."""

    domains: tuple[str, ...]
    active: Mapping[str, Known]
    deleted: Mapping[str, Known]  # the latest restorable deletion of each username
    # Usernames a scheduled upload will create, each with that change in words.
    reserved: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RowResult:
    """One row as read, with its errors and warnings per column key (ROW: the row as a whole)."""

    number: int
    cells: tuple[str, ...]
    values: Mapping[str, str]
    errors: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    warnings: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors

    def error_list(self) -> list[str]:
        return [message for key in (ROW, *KEYS) for message in self.errors.get(key, ())]

    def warning_list(self) -> list[str]:
        return [message for key in (ROW, *KEYS) for message in self.warnings.get(key, ())]


def columns_match(header: Record) -> Columns:
    """Match the header's names to the known columns: any case, any order, spaces trimmed."""
    cells = list(header.cells)
    while cells and not cells[-1]:
        cells.pop()  # Excel writes empty cells after the last column that was ever used
    index: dict[str, int] = {}
    problems: list[str] = []
    for position, name in enumerate(cells):
        key = _KEY_OF.get(name.casefold())
        if not name:
            problems.append(UNNAMED_COLUMN.format(position=position + 1))
        elif key is None:
            problems.append(UNKNOWN_COLUMN.format(name=_shown(name), position=position + 1))
        elif key in index:
            problems.append(
                DUPLICATE_COLUMN.format(
                    name=COLUMN_NAMES[key], first=index[key] + 1, again=position + 1
                )
            )
        else:
            index[key] = position
    missing = [f"'{COLUMN_NAMES[key]}'" for key in KEYS if key not in index]
    if missing:
        template = MISSING_COLUMN if len(missing) == 1 else MISSING_COLUMNS
        names = missing[0] if len(missing) == 1 else f"{', '.join(missing[:-1])} and {missing[-1]}"
        problems.insert(0, template.format(names=names))
    return Columns(index, len(cells), tuple(problems))


def row_values(record: Record, columns: Columns) -> dict[str, str]:
    return {
        key: record.cells[position] if position < len(record.cells) else ""
        for key, position in columns.index.items()
    }


def row_check(
    *, record: Record, columns: Columns, customer: Customer, first_rows: dict[str, int]
) -> RowResult:
    """Check one row. `first_rows` maps each email seen so far (ASCII lower case) to its first
    row."""
    values = row_values(record, columns)
    errors: dict[str, list[str]] = {}
    warnings: dict[str, list[str]] = {}

    extra = [
        f"'{_shown(cell)}' in column {position + 1}"
        for position, cell in enumerate(record.cells[columns.width :], start=columns.width)
        if cell
    ]
    if extra:
        errors.setdefault(ROW, []).append(EXTRA_CELLS.format(found=", ".join(extra)))

    for key in (FIRST_NAME, LAST_NAME, DISPLAY_NAME):
        if len(values[key]) > MAX_NAME:
            errors.setdefault(key, []).append(
                NAME_TOO_LONG.format(column=COLUMN_NAMES[key], length=len(values[key]))
            )
        if "\n" in values[key] or "\r" in values[key]:
            errors.setdefault(key, []).append(NAME_LINE_BREAK.format(column=COLUMN_NAMES[key]))
    if not values[DISPLAY_NAME]:
        errors.setdefault(DISPLAY_NAME, []).append(DISPLAY_NAME_REQUIRED)

    email_errors, email_warnings = _email_check(values[EMAIL], record.number, customer, first_rows)
    if email_errors:
        errors[EMAIL] = email_errors
    if email_warnings:
        warnings[EMAIL] = email_warnings

    status = values[STATUS_UPDATE]
    if status and not status.startswith(MARKER):
        errors[STATUS_UPDATE] = [STATUS_NOT_EMPTY.format(value=_shown(status))]

    return RowResult(
        number=record.number,
        cells=record.cells,
        values=values,
        errors={key: tuple(messages) for key, messages in errors.items()},
        warnings={key: tuple(messages) for key, messages in warnings.items()},
    )


def _email_check(
    email: str, number: int, customer: Customer, first_rows: dict[str, int]
) -> tuple[list[str], list[str]]:
    if not email:
        return [EMAIL_REQUIRED], []
    shown = _shown(email)
    errors: list[str] = []
    first = first_rows.setdefault(ascii_lower(email), number)
    errors += [
        problem.message(f"Email '{shown}'")
        for problem in username_problems(email, customer.domains)
    ]
    if first != number:
        errors.append(DUPLICATE_EMAIL.format(email=shown, first=first))
    if errors:
        return errors, []
    active = customer.active.get(ascii_lower(email))
    if active is not None:
        name = active.display_name or active.user_principal_name
        return [ACTIVE_USERNAME.format(email=shown, name=name)], []
    change = customer.reserved.get(ascii_lower(email))
    if change is not None:
        return [RESERVED_USERNAME.format(email=shown, change=change)], []
    deleted = customer.deleted.get(ascii_lower(email))
    if deleted is not None:
        name = deleted.display_name or deleted.user_principal_name
        warning = DELETED_USERNAME.format(
            email=shown,
            name=name,
            deleted=f"{(deleted.purge_at - RETENTION).astimezone(UTC):%Y-%m-%d}",
            purge=f"{deleted.purge_at.astimezone(UTC):%Y-%m-%d}",
        )
        return [], [warning]
    return [], []


def _shown(value: str) -> str:
    """A value as quoted in a message: a runaway cell is cut short."""
    return value if len(value) <= _SHOWN_LENGTH else f"{value[: _SHOWN_LENGTH - 1]}…"
