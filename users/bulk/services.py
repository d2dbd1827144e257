"""Bulk upload, step one: validate a CSV of users, keep it as a draft, give it back annotated.

Validation reads the file and the customer's mirror (domains, active and deleted usernames) and
writes nothing to Partner Center. Its result is a structure a view renders as it is: every row with
its errors per column and its warnings apart, the file's own problems, and a summary with counts
and how the file was read. A file that validates becomes a `BulkDraft`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from django.contrib.auth.models import User
from django.utils import timezone

from customers.directory.customer_queries import domains_of
from customers.directory.models import DirectoryCustomer, DirectoryUser
from customers.directory.user_queries import users_by_username
from portal.audit.records import Action, AuditContext
from portal.csvsafe import csv_bytes, csv_stream
from portal.ids import uuid_or_none
from users.bulk.reading import (
    COLUMNS,
    MAX_FILE_BYTES,
    CsvFile,
    FileRefused,
    Record,
    csv_file_read,
    too_big,
)
from users.bulk.rules import (
    DISPLAY_NAME,
    EMAIL,
    FIRST_NAME,
    LAST_NAME,
    MARKER,
    STATUS_UPDATE,
    Columns,
    Customer,
    Known,
    RowResult,
    columns_match,
    row_check,
    row_values,
)
from users.bulk.schedule_selectors import usernames_reserved
from users.models import BulkDraft

DRAFT_LIFETIME: Final = timedelta(days=1)


@dataclass(frozen=True)
class Summary:
    users: int  # rows with data (blank lines do not count)
    ready: int  # rows without errors
    with_errors: int  # rows with at least one error
    errors: int  # error messages, the file's own included
    warnings: int
    encoding: str  # "UTF-8", "UTF-8 with byte-order mark", "Windows-1252"; "" when refused
    delimiter: str  # "," or ";"; "" when refused
    notes: tuple[str, ...]  # how the file was read, when a person should know


@dataclass(frozen=True)
class Validation:
    """The outcome of `bulk_upload_validate`; `ok` means a draft may be made of it."""

    customer_id: str
    file_name: str
    header: tuple[str, ...]  # the file's column names as read; empty when the file was refused
    columns: Columns | None  # None when the file was refused
    rows: tuple[RowResult, ...]
    file_errors: tuple[str, ...]  # the file as a whole: refused, columns, too many users
    summary: Summary

    @property
    def ok(self) -> bool:
        return not self.file_errors and all(row.ok for row in self.rows)

    @property
    def readable(self) -> bool:
        """The file was read, so it can be downloaded back annotated."""
        return self.columns is not None

    def error_lines(self) -> list[str]:
        """Every error as one line ("Row 4: ..."), for a list outside the table or a command."""
        rows = [f"Row {row.number}: {message}" for row in self.rows for message in row.error_list()]
        return [*self.file_errors, *rows]

    def warning_lines(self) -> list[str]:
        return [
            f"Row {row.number}: {message}" for row in self.rows for message in row.warning_list()
        ]


def bulk_upload_refused(*, customer_id: str, file_name: str, message: str) -> Validation:
    """A file refused as a whole, before any of it was read as rows."""
    summary = Summary(0, 0, 0, 1, 0, "", "", ())
    return Validation(customer_id, _file_name(file_name), (), None, (), (message,), summary)


def bulk_upload_validate(
    *,
    customer: DirectoryCustomer,
    file_name: str,
    data: bytes,
    size: int | None = None,
    now: datetime | None = None,
) -> Validation:
    """Check an uploaded CSV against every bulk rule and the customer's mirror.

    `size` is the upload's real size when `data` holds only its first `MAX_FILE_BYTES + 1`
    bytes (what an upload handler keeps): a file over the limit is refused naming it.

    No Partner Center call: domains and the usernames the file names are looked up in the
    directory, so a 100-row file is checked in milliseconds however many users the customer has.
    When the columns are wrong the rows are listed but not checked, since their cells cannot be
    told apart.
    """
    name = _file_name(file_name)
    if size is not None and size > MAX_FILE_BYTES:
        return bulk_upload_refused(
            customer_id=customer.tenant_id, file_name=name, message=too_big(size)
        )
    try:
        read = csv_file_read(data)
    except FileRefused as refused:
        return bulk_upload_refused(
            customer_id=customer.tenant_id, file_name=name, message=refused.message
        )

    columns = columns_match(read.header)
    file_errors = tuple(columns.problems)
    rows = _rows_checked(customer, read.records, columns, now or timezone.now())
    return Validation(
        customer_id=customer.tenant_id,
        file_name=name,
        header=read.header.cells,
        columns=columns,
        rows=rows,
        file_errors=file_errors,
        summary=_summary(read, rows, file_errors),
    )


def _rows_checked(
    customer: DirectoryCustomer, records: Sequence[Record], columns: Columns, now: datetime
) -> tuple[RowResult, ...]:
    """Each row checked against the rules and the customer; only listed when the columns are
    wrong, since its cells cannot be told apart."""
    if columns.problems:
        return tuple(
            RowResult(record.number, record.cells, row_values(record, columns))
            for record in records
        )
    known = _known(customer, records, columns, now)
    first_rows: dict[str, int] = {}
    return tuple(
        row_check(record=record, columns=columns, customer=known, first_rows=first_rows)
        for record in records
    )


def _summary(read: CsvFile, rows: Sequence[RowResult], file_errors: Sequence[str]) -> Summary:
    """The counts over the rows, and how the file was read."""
    with_errors = sum(1 for row in rows if not row.ok)
    return Summary(
        users=len(rows),
        ready=len(rows) - with_errors,
        with_errors=with_errors,
        errors=len(file_errors) + sum(len(row.error_list()) for row in rows),
        warnings=sum(len(row.warning_list()) for row in rows),
        encoding=read.encoding,
        delimiter=read.delimiter,
        notes=read.notes,
    )


def _known(
    customer: DirectoryCustomer, records: Sequence[Record], columns: Columns, now: datetime
) -> Customer:
    """The customer's domains, and its users with the usernames the file names."""
    emails = [row_values(record, columns).get(EMAIL, "") for record in records]
    active: dict[str, Known] = {}
    deleted: dict[str, Known] = {}
    # Oldest deletion first, so the latest deletion of a reused username wins.
    for key, rows in users_by_username(customer, [email for email in emails if email]).items():
        for row in rows:
            known = Known(row.display_name, row.user_principal_name, row.deleted_at)
            if row.state == DirectoryUser.ACTIVE:
                active[key] = known
            elif known.purge_at > now:
                deleted[key] = known
    reserved = usernames_reserved(customer_id=customer.tenant_id, usernames=emails)
    return Customer(tuple(domains_of(customer)), active, deleted, reserved)


def bulk_annotated_csv(validation: Validation) -> bytes:
    """The uploaded file given back with each row's errors and warnings in its Status update.

    Same columns in the same order and the same cells (trimmed), so the person fixes it in Excel
    and uploads it again as it is: the annotations start with `MARKER`, which validation ignores.
    A row with nothing to say gets an empty Status update (an old annotation is cleared). Blank
    lines are dropped. Raises ValueError for a file that could not be read at all.
    """
    return csv_bytes(_annotated_lines(validation))


def _annotated_lines(validation: Validation) -> list[list[str]]:
    if validation.columns is None:
        raise ValueError("A refused file cannot be annotated.")
    header = list(validation.header[: validation.columns.width])
    status = validation.columns.index.get(STATUS_UPDATE)
    if status is None:
        # Behind every cell of every row, so no extra cell a person typed is overwritten.
        status = max([len(header), *(len(row.cells) for row in validation.rows)])
        header += [""] * (status - len(header)) + [COLUMNS[-1]]
    lines = [header]
    for row in validation.rows:
        cells = list(row.cells) + [""] * (status + 1 - len(row.cells))
        cells[status] = _annotation(row)
        lines.append(cells)
    return lines


def _annotation(row: RowResult) -> str:
    notes = [f"Error: {message}" for message in row.error_list()]
    notes += [f"Warning: {message}" for message in row.warning_list()]
    return f"{MARKER} {' | '.join(notes)}" if notes else ""


def bulk_template_csv() -> bytes:
    """The CSV template: the five columns of the seed, nothing else, formula-safe like any CSV."""
    return csv_bytes([COLUMNS])


# --- Drafts -------------------------------------------------------------------------------------


def bulk_draft_create(
    *,
    validation: Validation,
    created_by: User,
    public_id: uuid.UUID | None = None,
    now: datetime | None = None,
) -> BulkDraft:
    """Keep a validated file on the server for a day (rows and file name, no password).

    Cells are kept as validated (trimmed, the `'` guard removed); Status update is not kept.
    Raises ValueError when the validation has errors: nothing with an error goes further.
    """
    if not validation.ok:
        raise ValueError("Only a file without errors becomes a draft.")
    if not validation.rows:
        raise ValueError("A draft needs at least one user.")
    created_at = now or timezone.now()
    return BulkDraft.objects.create(
        **({"public_id": public_id} if public_id else {}),
        created_by=created_by,
        customer_id=validation.customer_id,
        file_name=validation.file_name,
        rows=[_draft_row(row) for row in validation.rows],
        created_at=created_at,
        expires_at=created_at + DRAFT_LIFETIME,
    )


def _draft_row(row: RowResult) -> dict[str, str | int]:
    return {
        "row": row.number,
        "first_name": row.values[FIRST_NAME],
        "last_name": row.values[LAST_NAME],
        "display_name": row.values[DISPLAY_NAME],
        "email": row.values[EMAIL],
    }


def bulk_draft_get(
    *,
    public_id: uuid.UUID | str,
    customer_id: str,
    created_by: User,
    now: datetime | None = None,
) -> BulkDraft | None:
    """The staff member's own unexpired draft for this customer, or None.

    A draft belongs to whoever uploaded it and to one customer: an id from another page, another
    person or yesterday finds nothing.
    """
    wanted = uuid_or_none(public_id)
    if wanted is None:
        return None
    return BulkDraft.objects.filter(
        public_id=wanted,
        customer_id=customer_id,
        created_by=created_by,
        expires_at__gt=now or timezone.now(),
    ).first()


def bulk_drafts_prune(*, now: datetime | None = None) -> int:
    """Delete expired drafts (the maintenance loop calls this); returns how many went."""
    deleted, _ = BulkDraft.objects.filter(expires_at__lte=now or timezone.now()).delete()
    return deleted


def _file_name(name: str) -> str:
    # Some browsers send the whole client path ("C:\\Users\\...\\users.csv"); keep the name.
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    return base[:255]


def bulk_annotated_export(*, validation: Validation, audit: AuditContext) -> Iterator[bytes]:
    """`bulk_annotated_csv` for a person to download, as a stream, audited like every file
    leaving the portal (its messages can name the customer's existing users)."""
    content = csv_stream(_annotated_lines(validation))
    audit.record(
        Action.BULK_ANNOTATED_EXPORT,
        succeeded=True,
        changes={
            "file": validation.file_name,
            "rows": len(validation.rows),
            "errors": validation.summary.errors,
            "warnings": validation.summary.warnings,
        },
    )
    return content
