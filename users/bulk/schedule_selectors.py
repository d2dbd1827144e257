"""What the screens show of scheduled changes: the Scheduled changes page, and the sections of
a customer's and a user's page — what will run, when, for which ticket and by whom, and what ran.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import reduce
from typing import Final

from django.db.models import Q, QuerySet
from django.db.models.functions import Lower
from django.utils import timezone

from customers.directory.text import ascii_lower
from portal.staff.access import StaffUser, has_capability, visible_customers
from users.bulk.job_selectors import JobCounts, counts_of, with_counts
from users.bulk.jobs import JOB_CAPABILITY
from users.bulk.models import BulkJob, BulkRow
from users.bulk.when import due_text

# How far back "Ran" reaches on the Scheduled changes page.
RAN_WITHIN: Final = timedelta(days=30)
# Users named on a line; the rest are counted.
NAMED: Final = 3

# Per job kind, the customers whose jobs of that kind a person may see (None: every customer),
# as the access rules answer it; a kind left out is not shown at all.
VisibleKinds = Mapping[str, frozenset[str] | None]


@dataclass(frozen=True)
class ScheduledLine:
    job: BulkJob
    due: str  # when, in its zone and the portal's
    users: list[str]  # the first few users' names
    more: int  # how many more
    counts: JobCounts

    @property
    def waiting(self) -> bool:
        return self.job.is_waiting


def _visible(jobs: QuerySet[BulkJob], visible: VisibleKinds) -> QuerySet[BulkJob]:
    allowed = [
        Q(kind=kind) if customers is None else Q(kind=kind, customer_id__in=customers)
        for kind, customers in visible.items()
    ]
    return jobs.filter(reduce(operator.or_, allowed)) if allowed else jobs.none()


def scheduled_changes(
    *,
    visible: VisibleKinds,
    upcoming: bool,
    customer_id: str | None = None,
    user_id: str | None = None,
    now: datetime | None = None,
    limit: int = 200,
) -> list[ScheduledLine]:
    """Scheduled jobs the person may see: `upcoming` (scheduled or held, soonest first) or those
    that ran or were cancelled in the last 30 days (latest first); of one customer or one user
    when given."""
    now = now or timezone.now()
    jobs = _visible(BulkJob.objects.filter(run_at__isnull=False), visible)
    if customer_id:
        jobs = jobs.filter(customer_id=customer_id)
    if user_id:
        jobs = jobs.filter(pk__in=BulkRow.objects.filter(user_id=user_id).values("job_id"))
    if upcoming:
        jobs = jobs.filter(state__in=BulkJob.WAITING_STATES).order_by("run_at", "pk")
    else:
        jobs = jobs.exclude(state__in=BulkJob.WAITING_STATES)
        jobs = jobs.filter(run_at__gte=now - RAN_WITHIN).order_by("-run_at", "-pk")
    chosen = list(with_counts(jobs.select_related("created_by"))[:limit])
    names: dict[int, list[str]] = {}
    for job_id, name in (
        BulkRow.objects.filter(job__in=[job.pk for job in chosen], number__lte=NAMED + 1)
        .order_by("job_id", "number")
        .values_list("job_id", "display_name")
    ):
        names.setdefault(job_id, []).append(name)
    lines = []
    for job in chosen:
        counts = counts_of(job)
        shown = names.get(job.pk, [])[:NAMED]
        lines.append(ScheduledLine(job, due_text(job), shown, counts.total - len(shown), counts))
    return lines


def visible_kinds(staff: StaffUser) -> VisibleKinds:
    """Per job kind, the customers where the person's role may see such jobs (the access rules:
    an upload is an Admin agent's, a reset of selected users a Helpdesk agent's too)."""
    return {
        kind: visible_customers(staff, capability)
        for kind, capability in JOB_CAPABILITY.items()
        if has_capability(staff, capability)
    }


# --- Usernames reserved ------------------------------------------------------------------------


def usernames_reserved(*, customer_id: str, usernames: Iterable[str]) -> dict[str, str]:
    """Which of `usernames` (lower case) a scheduled upload of this customer will create, each
    with the change that reserves it in words ("Upload users at Fri 18 Dec 2026 08:00
    Europe/Stockholm, ticket CHG-1, by amara"): another add, CSV row or scheduled add of it is
    refused, naming it."""
    wanted = {ascii_lower(name) for name in usernames if name}
    if not wanted:
        return {}
    rows = (
        BulkRow.objects.filter(
            job__customer_id=customer_id,
            job__kind=BulkJob.UPLOAD,
            job__state__in=BulkJob.WAITING_STATES,
            state=BulkRow.PENDING,
        )
        .alias(key=Lower("email"))
        .filter(key__in=wanted)
        .select_related("job")
    )
    reserved: dict[str, str] = {}
    for row in rows:
        key = ascii_lower(row.email)
        if key in wanted and key not in reserved:
            job = row.job
            ticket = f", ticket {job.ticket}" if job.ticket else ""
            reserved[key] = (
                f"{job.file_name} at {due_text(job)}{ticket}, by {job.created_by_username}"
            )
    return reserved


def reserved_message(username: str, change: str) -> str:
    return (
        f"{username} is reserved: a scheduled change will create it ({change}). Choose another "
        "username, or cancel that change first."
    )
