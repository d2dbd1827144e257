"""What the screens show of bulk jobs: a job's progress and rows, the dashboard's lists, a
customer's past uploads, the results file."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone

from portal.csvsafe import csv_bytes
from portal.ids import uuid_or_none
from users.bulk.lease import lease_duration
from users.bulk.models import BulkJob, BulkRow
from users.bulk.reading import COLUMNS
from users.bulk.rules import MARKER

# How long before its passwords are erased a job is flagged on the dashboard.
PASSWORD_REMINDER: Final = timedelta(hours=2)


def password_ttl() -> timedelta:
    return timedelta(hours=settings.PORTAL_BULK_PASSWORD_TTL_HOURS)


@dataclass(frozen=True)
class JobCounts:
    total: int
    created: int
    failed: int  # failed or unknown
    cancelled: int
    pending: int  # not finished yet
    license_failed: int  # created, but the licence was not assigned
    passwords_waiting: int  # encrypted passwords not downloaded yet

    @property
    def done(self) -> int:
        return self.total - self.pending

    @property
    def retryable(self) -> bool:
        """Whether Retry failed rows has anything to do: a row, or its license, failed."""
        return bool(self.failed or self.license_failed)

    @property
    def percent(self) -> int:
        return 100 if not self.total else (100 * self.done) // self.total


_COUNTS: Final[dict[str, Any]] = {
    "n_total": Count("rows"),
    # Created by an upload, or done by an action on selected users.
    "n_created": Count("rows", filter=Q(rows__state__in=BulkRow.SUCCEEDED_STATES)),
    "n_failed": Count("rows", filter=Q(rows__state__in=[BulkRow.FAILED, BulkRow.UNKNOWN])),
    "n_cancelled": Count("rows", filter=Q(rows__state=BulkRow.CANCELLED)),
    "n_license_failed": Count(
        "rows",
        filter=Q(
            rows__state=BulkRow.CREATED,
            rows__license_state__in=[BulkRow.LICENSE_FAILED, BulkRow.LICENSE_UNKNOWN],
        ),
    ),
    "n_passwords": Count(
        "rows",
        filter=Q(
            rows__password_available_at__isnull=False,
            rows__password_downloaded_at__isnull=True,
            rows__password_encrypted__gt="",
        ),
    ),
}


def with_counts(jobs: QuerySet[BulkJob]) -> QuerySet[BulkJob]:
    return jobs.annotate(**_COUNTS)


def counts_of(job: Any) -> JobCounts:
    total, created = job.n_total, job.n_created
    failed, cancelled = job.n_failed, job.n_cancelled
    return JobCounts(
        total=total,
        created=created,
        failed=failed,
        cancelled=cancelled,
        pending=total - created - failed - cancelled,
        license_failed=job.n_license_failed,
        passwords_waiting=job.n_passwords,
    )


@dataclass(frozen=True)
class JobSummary:
    """A job with its counts and what a person should know about it now."""

    job: BulkJob
    counts: JobCounts
    stalled: bool  # active, but no worker holds it (see `is_stalled`)
    passwords_expire_at: datetime | None  # when waiting passwords will be erased
    passwords_expire_soon: bool

    @property
    def state(self) -> str:
        return self.job.state

    @property
    def state_label(self) -> str:
        if self.stalled:
            return "Stalled (no worker)"
        return self.job.get_state_display()


def is_stalled(job: BulkJob, now: datetime) -> bool:
    """Active, and no worker has renewed its lease in time, or queued longer than a lease."""
    if job.state not in BulkJob.ACTIVE_STATES:
        return False
    if job.lease_owner:
        return job.lease_expires_at is not None and job.lease_expires_at < now
    waiting_since = job.enqueued_at or job.created_at
    return waiting_since < now - lease_duration()


def _summary(job: Any, now: datetime, expiry: dict[int, datetime]) -> JobSummary:
    expire_at = expiry.get(job.pk)
    return JobSummary(
        job=job,
        counts=counts_of(job),
        stalled=is_stalled(job, now),
        passwords_expire_at=expire_at,
        passwords_expire_soon=expire_at is not None and expire_at - now <= PASSWORD_REMINDER,
    )


def _password_expiry(job_ids: list[int]) -> dict[int, datetime]:
    """Per job, when its first waiting password will be erased."""
    first: dict[int, datetime] = {}
    waiting = (
        BulkRow.objects.filter(
            job_id__in=job_ids,
            password_available_at__isnull=False,
            password_downloaded_at__isnull=True,
        )
        .exclude(password_encrypted="")
        .values_list("job_id", "password_available_at")
    )
    for job_id, available_at in waiting:
        if available_at is not None and (job_id not in first or available_at < first[job_id]):
            first[job_id] = available_at
    return {job_id: at + password_ttl() for job_id, at in first.items()}


def _summaries(jobs: QuerySet[BulkJob], now: datetime) -> list[JobSummary]:
    listed = list(with_counts(jobs))
    expiry = _password_expiry([job.pk for job in listed])
    return [_summary(job, now, expiry) for job in listed]


def bulk_job_get(*, public_id: uuid.UUID | str, customer_id: str) -> BulkJob | None:
    """The job with this public id for this customer, or None (a malformed id finds nothing)."""
    wanted = uuid_or_none(public_id)
    if wanted is None:
        return None
    return BulkJob.objects.filter(public_id=wanted, customer_id=customer_id).first()


def bulk_job_for_draft(*, draft_public_id: uuid.UUID | str) -> BulkJob | None:
    """The job a draft was saved as (the Save page sends a second Save there)."""
    wanted = uuid_or_none(draft_public_id)
    if wanted is None:
        return None
    return BulkJob.objects.filter(draft_public_id=wanted).first()


def bulk_job_summary(*, job: BulkJob, now: datetime | None = None) -> JobSummary:
    """The progress page's numbers: counts, percent done, stalled, passwords waiting."""
    (summary,) = _summaries(BulkJob.objects.filter(pk=job.pk), now or timezone.now())
    return summary


def bulk_job_rows(*, job: BulkJob) -> QuerySet[BulkRow]:
    """The rows in file order, for the results table (Status update of each)."""
    return BulkRow.objects.filter(job=job).order_by("number")


def bulk_job_passwords_history(*, job: BulkJob) -> dict[str, datetime | bool | None]:
    """When the job's passwords were last downloaded, and whether any expired unread: what the
    page says once none is waiting."""
    created = BulkRow.objects.filter(job=job, state__in=BulkRow.SUCCEEDED_STATES)
    downloaded_at = created.aggregate(at=Max("password_downloaded_at"))["at"]
    expired = created.filter(
        password_downloaded_at__isnull=True, password_erased_at__isnull=False
    ).exists()
    return {"passwords_downloaded_at": downloaded_at, "passwords_expired": expired}


@dataclass(frozen=True)
class DashboardJobs:
    in_progress: list[JobSummary]  # queued, running or cancelling, with a live worker
    stalled: list[JobSummary]  # active but no worker holds them
    awaiting_passwords: list[JobSummary]  # the staff member's finished uploads with passwords


def bulk_jobs_dashboard(
    *, staff: User, now: datetime | None = None, customer_ids: frozenset[str] | None = None
) -> DashboardJobs:
    """The dashboard's uploads: every upload in progress or stalled (of `customer_ids` only,
    when given), and the staff member's own uploads whose passwords wait to be downloaded,
    soonest erased first."""
    now = now or timezone.now()
    jobs = BulkJob.objects.all()
    if customer_ids is not None:
        jobs = jobs.filter(customer_id__in=customer_ids)
    active = _summaries(jobs.filter(state__in=BulkJob.ACTIVE_STATES), now)
    waiting_jobs = jobs.filter(
        created_by=staff,
        state__in=BulkJob.DONE_STATES,
        rows__password_available_at__isnull=False,
        rows__password_downloaded_at__isnull=True,
        rows__password_encrypted__gt="",
    )
    waiting = _summaries(BulkJob.objects.filter(pk__in=waiting_jobs.values("pk")), now)
    waiting.sort(key=lambda summary: summary.passwords_expire_at or now)
    return DashboardJobs(
        in_progress=[summary for summary in active if not summary.stalled],
        stalled=[summary for summary in active if summary.stalled],
        awaiting_passwords=[summary for summary in waiting if summary.counts.passwords_waiting],
    )


def bulk_jobs_for_customer(
    *, customer_id: str, limit: int = 50, now: datetime | None = None
) -> list[JobSummary]:
    """A customer's past uploads, newest first: who, when, counts and state."""
    jobs = BulkJob.objects.filter(customer_id=customer_id).select_related("created_by")
    return _summaries(jobs.order_by("-created_at", "-pk")[:limit], now or timezone.now())


@dataclass(frozen=True)
class CustomerJobs:
    """The states a customer's jobs are in: the customer page reads its past uploads and its
    scheduled changes only when there are any (most customers have none, and building those
    counting queries costs more than the rest of the page)."""

    states: frozenset[str]

    @property
    def any(self) -> bool:
        return bool(self.states)

    @property
    def waiting(self) -> bool:
        """Whether a change is scheduled (or held) to run later."""
        return not self.states.isdisjoint(BulkJob.WAITING_STATES)


def customer_jobs(*, customer_id: str) -> CustomerJobs:
    """What kinds of jobs a customer has, in one small query."""
    states = BulkJob.objects.filter(customer_id=customer_id).order_by().values_list("state")
    return CustomerJobs(frozenset(state for (state,) in states.distinct()))


def bulk_job_results_csv(*, job: BulkJob) -> bytes:
    """The upload given back with every row's Status update (marked, so the file can be fixed
    and uploaded again as it is: validation ignores the portal's own annotations)."""
    return csv_bytes(results_lines(job))


def results_lines(job: BulkJob) -> Iterator[list[str]]:
    yield list(COLUMNS)
    for row in bulk_job_rows(job=job):
        status = row.status_update or "Waiting to be created."
        yield [row.first_name, row.last_name, row.display_name, row.email, f"{MARKER} {status}"]
