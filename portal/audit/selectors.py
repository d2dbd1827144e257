"""Reading the audit log: the records a set of filters matches, how a change reads, the export.

The audit log page and its CSV export ask the same question (`audit_records_matching`), so the
export holds exactly the rows the filters show, on every page.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Final
from uuid import UUID

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from portal.audit.records import within_customers
from portal.models import AuditRecord
from portal.tickets import ticket_url


@dataclass(frozen=True)
class AuditFilter:
    """What the audit log is filtered by; empty means "any". Dates are days in the portal's zone."""

    customer: str = ""  # a customer id, or part of its name
    user: str = ""  # part of a target username, or a user id
    staff: str = ""  # part of a staff member's username
    action: str = ""
    ticket: str = ""
    outcome: str = ""
    date_from: date | None = None
    date_to: date | None = None

    def as_params(self) -> dict[str, str]:
        """The filters as the page's query string has them (for links and the export)."""
        return {
            key: value.isoformat() if isinstance(value, date) else value
            for key, value in asdict(self).items()
            if value
        }


def day_start(day: date) -> datetime:
    """Midnight at the start of `day` in the portal's time zone (settings.TIME_ZONE)."""
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_default_timezone())


def audit_records_matching(
    *, filters: AuditFilter, customer_ids: frozenset[str] | None = None
) -> QuerySet[AuditRecord]:
    """The records the filters match, newest first; with `customer_ids` (a person's customer
    scope), only records about those customers, so nothing of another customer shows, not even
    a record without one (an export's filters may name a customer).

    Text filters ignore case. A customer matches by its id or any part of its name, a user by
    any part of its username or by its id, a ticket exactly. The date range takes whole days in
    the portal's time zone: from the start of `date_from` to the end of `date_to`.
    """
    records = within_customers(AuditRecord.objects.all(), customer_ids)
    if filters.customer:
        records = records.filter(
            Q(customer_id__iexact=filters.customer) | Q(customer_name__icontains=filters.customer)
        )
    if filters.user:
        records = records.filter(
            Q(target_username__icontains=filters.user) | Q(target_user_id__iexact=filters.user)
        )
    if filters.staff:
        records = records.filter(staff_username__icontains=filters.staff)
    if filters.action:
        records = records.filter(action=filters.action)
    if filters.ticket:
        records = records.filter(ticket__iexact=filters.ticket)
    if filters.outcome:
        records = records.filter(outcome=filters.outcome)
    if filters.date_from:
        records = records.filter(at__gte=day_start(filters.date_from))
    if filters.date_to:
        records = records.filter(at__lt=day_start(filters.date_to + timedelta(days=1)))
    return records.order_by("-at", "-id")


def staff_usernames() -> list[str]:
    """Every staff username the log names (suggestions for the staff filter)."""
    return sorted(
        AuditRecord.objects.order_by().values_list("staff_username", flat=True).distinct()
    )


# --- How a record's `changes` read ------------------------------------------------------------
# Writers store `{field: [before, after]}` for a changed field, and plain values for facts
# (`{"added": ["Global Administrator"]}`, `{"users": 12}`). A two-item list under one of these
# keys is a list of things, not a before and after.
_LIST_KEYS: Final = frozenset({"added", "removed", "assigned", "licences", "rows"})


@dataclass(frozen=True)
class ChangeLine:
    """One line of a record's changes: a field's before → after, or a fact's value."""

    field: str
    before: str = ""
    after: str = ""
    value: str = ""
    is_change: bool = False

    @property
    def text(self) -> str:
        if self.is_change:
            return f"{self.field}: {self.before or '(empty)'} → {self.after or '(empty)'}"
        return f"{self.field}: {self.value}"


def _readable(value: Any) -> str:
    if value is None or value == "":
        return ""
    if value is True:
        return "yes"
    if value is False:
        return "no"
    if isinstance(value, list | tuple):
        return ", ".join(_readable(item) for item in value) or "none"
    if isinstance(value, Mapping):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _field_label(key: str) -> str:
    return key.replace("_", " ").strip().capitalize() or key


def change_lines(changes: Any) -> list[ChangeLine]:
    """A record's `changes` as lines a person reads, in the stored order."""
    if not isinstance(changes, Mapping):
        return [ChangeLine("Changes", value=_readable(changes))] if changes else []
    lines = []
    for key, value in changes.items():
        label = _field_label(str(key))
        if isinstance(value, list) and len(value) == 2 and str(key) not in _LIST_KEYS:
            lines.append(
                ChangeLine(
                    label, before=_readable(value[0]), after=_readable(value[1]), is_change=True
                )
            )
        else:
            lines.append(ChangeLine(label, value=_readable(value) or "(empty)"))
    return lines


# --- The export -------------------------------------------------------------------------------
EXPORT_HEADER: Final = (
    "Time (UTC)",
    "Time ({zone})",
    "Staff member",
    "Via",
    "Client address",
    "Action",
    "Outcome",
    "Customer id",
    "Customer",
    "User id",
    "Username",
    "Ticket",
    "Changes",
    "Message",
    "MS-RequestId",
    "MS-CorrelationId",
)


def audit_export_rows(
    records: Iterable[AuditRecord], *, action_labels: Mapping[str, str]
) -> Iterator[tuple[str, ...]]:
    """The export's header and one line per record (csvsafe makes each cell formula-safe).

    Times come twice: UTC, which sorts and compares across zones, and the portal's zone, which
    the page shows.
    """
    zone = timezone.get_default_timezone()
    yield tuple(column.replace("{zone}", str(zone)) for column in EXPORT_HEADER)
    for record in records:
        yield (
            record.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
            record.at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S %Z"),
            record.staff_username,
            record.via,
            record.client_ip or "",
            action_labels.get(record.action, record.action),
            record.get_outcome_display(),
            record.customer_id,
            record.customer_name,
            record.target_user_id,
            record.target_username,
            record.ticket,
            "; ".join(line.text for line in change_lines(record.changes)),
            record.message,
            record.ms_request_id,
            record.ms_correlation_id,
        )


# --- The page's rows --------------------------------------------------------------------------
@dataclass(frozen=True)
class AuditRow:
    """A record as the audit log shows it: its action in words, its changes, its ticket's link."""

    record: AuditRecord
    action_label: str
    changes: list[ChangeLine]
    ticket_url: str | None
    customer_url: str | None = None
    user_url: str | None = None


def _is_uuid(value: str) -> bool:
    try:
        UUID(value)
    except ValueError:
        return False
    return True


def _links(record: AuditRecord) -> tuple[str | None, str | None]:
    """The customer's and the user's pages, where the record names them by a valid id."""
    if not _is_uuid(record.customer_id):
        return None, None
    customer_url = reverse("customers:users", args=[record.customer_id])
    if not _is_uuid(record.target_user_id):
        return customer_url, None
    return customer_url, reverse("users:detail", args=[record.customer_id, record.target_user_id])


def audit_rows(
    records: Iterable[AuditRecord], *, action_labels: Mapping[str, str]
) -> list[AuditRow]:
    return [
        AuditRow(
            record=record,
            action_label=action_labels.get(record.action, record.action),
            changes=change_lines(record.changes),
            ticket_url=ticket_url(record.ticket),
            customer_url=customer_url,
            user_url=user_url,
        )
        for record in records
        for customer_url, user_url in [_links(record)]
    ]
