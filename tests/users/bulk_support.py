"""A hand-built customer mirror and helpers shared by the bulk upload tests."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from customers.directory.models import DirectoryCustomer
from tests.directory_data import Person, mirror
from users.bulk.services import Validation, bulk_upload_validate

DATA = Path(__file__).resolve().parent.parent / "data" / "bulk-users"
DOMAIN = "contoso.example"
NOW = datetime(2026, 11, 28, 12, tzinfo=UTC)
HEADER = "First name,Last name,Display name,Email,Status update"
CUSTOMER_ID = "7d3e5c1a-0000-4000-8000-000000000001"
DOMAINS = (DOMAIN, "contoso.onmicrosoft.com")


def contoso() -> DirectoryCustomer:
    """The tests' customer, mirrored (made on first use in each test)."""
    return mirror(
        tenant_id=CUSTOMER_ID,
        company_name="Contoso",
        domains=DOMAINS,
        people=(
            Person("u1", "ada.active@contoso.example", "Ada Active"),
            Person("u2", "reused@contoso.example", "Rey Reuse"),
            Person("d0", "old.gone@contoso.example", "Old Gone", datetime(2026, 10, 1, tzinfo=UTC)),
            Person("d1", "reused@contoso.example", "Rey Before", datetime(2026, 11, 1, tzinfo=UTC)),
            Person(
                "d2",
                "dee.deleted@contoso.example",
                "Dee Deleted",
                datetime(2026, 11, 20, 9, tzinfo=UTC),
            ),
        ),
        now=NOW,
    )


def fixture_bytes(name: str, domain: str = DOMAIN) -> bytes:
    """A file from tests/data/bulk-users with `{domain}` replaced (ASCII, so any encoding works)."""
    return (DATA / name).read_bytes().replace(b"{domain}", domain.encode())


def csv_data(*lines: str, encoding: str = "utf-8") -> bytes:
    return "".join(f"{line}\r\n" for line in lines).encode(encoding)


def validate(data: bytes, file_name: str = "users.csv") -> Validation:
    return bulk_upload_validate(customer=contoso(), file_name=file_name, data=data, now=NOW)


def only_row_errors(validation: Validation) -> dict[int, dict[str, tuple[str, ...]]]:
    """Row number -> column key -> errors, for the rows that have any."""
    return {row.number: dict(row.errors) for row in validation.rows if row.errors}
