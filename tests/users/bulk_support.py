"""A hand-built customer snapshot and helpers shared by the bulk upload tests (no database)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from customers.snapshots import CustomerSnapshot, DeletedUserRow, UserRow
from users.bulk.services import Validation, bulk_upload_validate

DATA = Path(__file__).resolve().parent.parent / "data" / "bulk-users"
DOMAIN = "contoso.example"
NOW = datetime(2026, 11, 28, 12, tzinfo=UTC)
HEADER = "First name,Last name,Display name,Email,Status update"

SNAPSHOT = CustomerSnapshot(
    customer_id="7d3e5c1a-0000-4000-8000-000000000001",
    company_name="Contoso",
    initial_domain="contoso.onmicrosoft.com",
    domains=(DOMAIN, "contoso.onmicrosoft.com"),
    users=(
        UserRow("u1", "ada.active@contoso.example", "Ada Active"),
        UserRow("u2", "reused@contoso.example", "Rey Reuse"),
    ),
    deleted_users=(
        DeletedUserRow(
            "d0", "old.gone@contoso.example", "Old Gone", datetime(2026, 10, 1, tzinfo=UTC)
        ),
        DeletedUserRow(
            "d1", "reused@contoso.example", "Rey Before", datetime(2026, 11, 1, tzinfo=UTC)
        ),
        DeletedUserRow(
            "d2",
            "dee.deleted@contoso.example",
            "Dee Deleted",
            datetime(2026, 11, 20, 9, tzinfo=UTC),
        ),
    ),
    roles=(),
    skus=(),
    loaded_at=NOW,
)


def fixture_bytes(name: str, domain: str = DOMAIN) -> bytes:
    """A file from tests/data/bulk-users with `{domain}` replaced (ASCII, so any encoding works)."""
    return (DATA / name).read_bytes().replace(b"{domain}", domain.encode())


def csv_data(*lines: str, encoding: str = "utf-8") -> bytes:
    return "".join(f"{line}\r\n" for line in lines).encode(encoding)


def validate(data: bytes, file_name: str = "users.csv") -> Validation:
    return bulk_upload_validate(snapshot=SNAPSHOT, file_name=file_name, data=data, now=NOW)


def only_row_errors(validation: Validation) -> dict[int, dict[str, tuple[str, ...]]]:
    """Row number -> column key -> errors, for the rows that have any."""
    return {row.number: dict(row.errors) for row in validation.rows if row.errors}
