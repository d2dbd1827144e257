"""Bulk upload, step two: a validated draft becomes a job that a background worker runs.

Save (`bulk_job_create`) checks the Location and licences, writes the job and one row per user,
audits it and enqueues the task in one transaction. While it runs, the job can be cancelled;
afterwards its failed rows can be retried. A worker holds the job through a lease it renews
(`bulk_job_claim`, `bulk_job_lease_renew`); `bulk_jobs_recover` (run by `portal_maintenance`)
hands a job whose lease ran out to a new task. The selectors at the end are what the screens
show: a job's progress and rows, the dashboard's lists, a customer's past uploads.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Case, Count, F, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce
from django.tasks import TaskResultStatus, default_task_backend
from django.tasks.exceptions import TaskResultDoesNotExist
from django.utils import timezone
from django_countries import countries

from customers.directory.models import DirectoryCustomer
from customers.directory.queries import SkuRow, skus_of
from portal.audit.records import Action, Actor, AuditContext
from portal.csvsafe import csv_bytes, csv_stream
from users.bulk.models import BulkJob, BulkRow
from users.bulk.reading import COLUMNS
from users.bulk.rules import MARKER
from users.models import BulkDraft

logger = logging.getLogger("users.bulk")

# A job that keeps dying is left alone (and shows as stalled) after this many recoveries.
MAX_RECOVERIES: Final = 20
# How long before its passwords are erased a job is flagged on the dashboard.
PASSWORD_REMINDER: Final = timedelta(hours=2)


class BulkJobRefused(Exception):
    """The request cannot be carried out; `str(error)` says why, in words for the page."""


def lease_duration() -> timedelta:
    return timedelta(seconds=settings.PORTAL_BULK_LEASE_SECONDS)


def password_ttl() -> timedelta:
    return timedelta(hours=settings.PORTAL_BULK_PASSWORD_TTL_HOURS)


# --- Save: a draft becomes a job ----------------------------------------------------------------


@dataclass(frozen=True)
class LicenseOption:
    """One of the customer's licences as the Save form offers it."""

    sku_id: str
    name: str
    seats_left: int
    enough: bool  # seats for every user of the upload


def bulk_license_options(*, skus: Sequence[SkuRow], users: int) -> list[LicenseOption]:
    """The customer's subscribed licences with seats left, and whether they cover `users`."""
    return [
        LicenseOption(sku.id, sku.name, sku.available, sku.available >= users)
        for sku in sorted(skus, key=lambda sku: sku.name.casefold())
    ]


def bulk_job_create(
    *,
    draft: BulkDraft,
    customer: DirectoryCustomer,
    usage_location: str,
    actor: Actor,
    sku_ids: Sequence[str] = (),
    ticket: str = "",
    now: datetime | None = None,
) -> BulkJob:
    """Save: turn a validated draft into a job and enqueue the task that creates its users.

    The Location is required (an ISO country code); each licence must be one of the
    customer's with a seat left for every user (seats as last read). Raises
    BulkJobRefused otherwise. Saving the same draft again returns the job it already made, so
    a double click or a reload creates nothing twice.
    """
    now = now or timezone.now()
    if customer.tenant_id != draft.customer_id:
        raise ValueError("The customer is not the draft's.")
    existing = BulkJob.objects.filter(draft_public_id=draft.public_id).first()
    if existing is not None:
        return existing
    location = usage_location.strip().upper()
    if not location:
        raise BulkJobRefused("Choose the Location of the new users.")
    if len(location) != 2 or countries.alpha2(location) != location:
        raise BulkJobRefused(f"'{usage_location}' is not a country code.")
    skus = _chosen_skus(skus_of(customer), sku_ids, users=len(draft.rows))

    try:
        with transaction.atomic():
            job = BulkJob.objects.create(
                draft_public_id=draft.public_id,
                customer_id=draft.customer_id,
                customer_name=customer.company_name,
                created_by=actor.user,
                created_by_username=actor.username,
                ticket=ticket,
                file_name=draft.file_name,
                usage_location=location,
                skus=skus,
                created_at=now,
            )
            BulkRow.objects.bulk_create(
                BulkRow(
                    job=job,
                    number=int(row["row"]),
                    first_name=str(row["first_name"]),
                    last_name=str(row["last_name"]),
                    display_name=str(row["display_name"]),
                    email=str(row["email"]),
                )
                for row in draft.rows
            )
            job_audit(job, actor).record(
                Action.BULK_UPLOAD,
                succeeded=True,
                changes={
                    "file_name": job.file_name,
                    "users": len(draft.rows),
                    "usage_location": location,
                    "licences": [sku["name"] for sku in skus],
                },
                message=f"Saved {len(draft.rows)} users to create in the background.",
            )
            # In the same transaction: with the database task backend the task and its job are
            # committed together, so there is never a job without a task or a task without a job.
            bulk_job_enqueue(job, now=now)
    except IntegrityError:  # a concurrent Save of the same draft won
        return BulkJob.objects.get(draft_public_id=draft.public_id)
    return job


def _chosen_skus(
    available: Sequence[SkuRow], sku_ids: Sequence[str], *, users: int
) -> list[dict[str, str]]:
    by_id = {sku.id.lower(): sku for sku in available}
    chosen: list[dict[str, str]] = []
    for sku_id in dict.fromkeys(sku_ids):  # each once, in the order given
        sku = by_id.get(sku_id.lower())
        if sku is None:
            raise BulkJobRefused("That licence is not one of this customer's subscriptions.")
        if sku.available < users:
            raise BulkJobRefused(
                f"{sku.name} has {sku.available} seat{'' if sku.available == 1 else 's'} left, "
                f"fewer than the {users} users of this upload: buy more seats, or upload "
                "without it."
            )
        chosen.append({"id": sku.id, "name": sku.name})
    return chosen


def job_audit(job: BulkJob, actor: Actor | None = None) -> AuditContext:
    """The audit context of a job's records: its customer and ticket, and who acts (the
    uploader, through the task, unless someone else is named)."""
    if actor is None:
        actor = Actor.for_task(job.created_by, job.created_by_username)
    return AuditContext(
        actor=actor,
        customer_id=job.customer_id,
        customer_name=job.customer_name,
        ticket=job.ticket,
    )


def bulk_job_enqueue(job: BulkJob, *, now: datetime | None = None) -> None:
    """Enqueue the task that runs `job`; records its id so maintenance can tell a job waiting
    in line from one whose task was lost."""
    # Imported here: users.tasks imports the worker, which imports this module.
    from users.tasks import run_bulk_job

    result = run_bulk_job.enqueue(job.pk)
    job.task_id = str(result.id)
    job.enqueued_at = now or timezone.now()
    BulkJob.objects.filter(pk=job.pk).update(task_id=job.task_id, enqueued_at=job.enqueued_at)


# --- Cancel and retry ---------------------------------------------------------------------------


def bulk_job_cancel(*, job: BulkJob, actor: Actor, now: datetime | None = None) -> BulkJob:
    """Cancel a queued or running upload: rows not yet started are not created; rows already
    started finish. A job no worker holds is cancelled at once; a running one when its worker
    next looks (within one row). Raises BulkJobRefused when the job is already done."""
    now = now or timezone.now()
    with transaction.atomic():
        # Nobody holds it (queued, or recovered after a crash): cancel here and now.
        if BulkJob.objects.filter(pk=job.pk, state=BulkJob.QUEUED, lease_owner="").update(
            state=BulkJob.CANCELLED, cancel_requested_at=now, finished_at=now
        ):
            rows_cancel_unstarted(job, now=now)
        elif not BulkJob.objects.filter(pk=job.pk, state__in=BulkJob.ACTIVE_STATES).update(
            state=BulkJob.CANCEL_REQUESTED, cancel_requested_at=now
        ):
            raise BulkJobRefused("This upload has already finished.")
        job.refresh_from_db()
        job_audit(job, actor).record(
            Action.BULK_UPLOAD,
            succeeded=True,
            changes={"cancelled": True},
            message="Cancelled: users not yet started will not be created.",
        )
    return job


def rows_cancel_unstarted(job: BulkJob, *, now: datetime) -> None:
    """Close the rows of a cancelled job: unstarted ones are not created; a row left mid-call
    by a dead worker may or may not have been (Retry failed rows finds out, safely)."""
    BulkRow.objects.filter(job=job, state=BulkRow.PENDING, user_id="").update(
        state=BulkRow.CANCELLED,
        status_update="Not created: the upload was cancelled before this user was started.",
        password_encrypted="",
        finished_at=now,
    )
    BulkRow.objects.filter(job=job, state=BulkRow.PENDING).exclude(user_id="").update(
        state=BulkRow.CREATED, finished_at=now
    )
    BulkRow.objects.filter(job=job, state=BulkRow.WORKING).update(
        state=BulkRow.UNKNOWN,
        status_update=UNKNOWN_STATUS,
        finished_at=now,
    )
    BulkRow.objects.filter(job=job, reset_state=BulkRow.RESET_PENDING).update(reset_state="")


UNKNOWN_STATUS: Final = (
    "Not known whether this user was created: Partner Center did not answer. Retry failed "
    "rows to find out (it repeats the same request, so it cannot create the user twice)."
)


def bulk_job_retry_failed(*, job: BulkJob, actor: Actor, now: datetime | None = None) -> int:
    """Retry failed rows, and licences that failed after a create; returns how many rows.

    A row that got a definite error is a new operation: a new request id and a new password.
    A row whose outcome is unknown keeps its request id and password, so Partner Center
    answers the first attempt's result instead of creating a second user. Raises
    BulkJobRefused while the job runs or when nothing failed.
    """
    now = now or timezone.now()
    with transaction.atomic():
        if not BulkJob.objects.filter(pk=job.pk, state__in=BulkJob.DONE_STATES).exists():
            raise BulkJobRefused("Wait for the upload to finish before retrying rows.")
        rows = BulkRow.objects.filter(job=job)
        failed = rows.filter(state=BulkRow.FAILED).update(
            state=BulkRow.PENDING,
            request_id="",
            password_encrypted="",
            error="",
            status_update="",
            finished_at=None,
        )
        unknown = rows.filter(state=BulkRow.UNKNOWN).update(
            state=BulkRow.PENDING, error="", status_update="", finished_at=None
        )
        license_failed = rows.filter(
            state=BulkRow.CREATED, license_state=BulkRow.LICENSE_FAILED
        ).update(
            state=BulkRow.PENDING,
            license_state=BulkRow.LICENSE_PENDING,
            license_request_id="",
            license_error="",
            finished_at=None,
        )
        license_unknown = rows.filter(
            state=BulkRow.CREATED, license_state=BulkRow.LICENSE_UNKNOWN
        ).update(
            state=BulkRow.PENDING,
            license_state=BulkRow.LICENSE_PENDING,
            license_error="",
            finished_at=None,
        )
        count = failed + unknown + license_failed + license_unknown
        if not count:
            raise BulkJobRefused("No row of this upload failed.")
        BulkJob.objects.filter(pk=job.pk).update(
            state=BulkJob.QUEUED,
            finished_at=None,
            cancel_requested_at=None,
            lease_owner="",
            lease_expires_at=None,
        )
        job.refresh_from_db()
        job_audit(job, actor).record(
            Action.BULK_UPLOAD,
            succeeded=True,
            changes={"retried_rows": count},
            message=f"Retrying {count} failed row{'' if count == 1 else 's'}.",
        )
        bulk_job_enqueue(job, now=now)
    return count


# --- The lease ---------------------------------------------------------------------------------


def bulk_job_claim(
    *, job_id: int, owner: str, now: datetime, lease: timedelta | None = None
) -> bool:
    """Take the job for worker `owner` until `now + lease`, if it is active and nobody else
    holds an unexpired lease. One conditional UPDATE: of two workers, exactly one wins."""
    lease = lease or lease_duration()
    free = Q(lease_owner="") | Q(lease_owner=owner) | Q(lease_expires_at__lt=now)
    claimed = (
        BulkJob.objects.filter(free, pk=job_id, state__in=BulkJob.ACTIVE_STATES)
        .filter(recoveries__lte=MAX_RECOVERIES)
        .update(
            lease_owner=owner,
            lease_expires_at=now + lease,
            state=Case(When(state=BulkJob.QUEUED, then=Value(BulkJob.RUNNING)), default=F("state")),
            started_at=Coalesce(F("started_at"), Value(now)),
        )
    )
    return claimed == 1


def bulk_job_lease_renew(
    *, job_id: int, owner: str, now: datetime, lease: timedelta | None = None
) -> bool:
    """Extend `owner`'s lease; False when it has lost the job (it must stop starting rows)."""
    lease = lease or lease_duration()
    return bool(
        BulkJob.objects.filter(pk=job_id, lease_owner=owner).update(lease_expires_at=now + lease)
    )


def bulk_jobs_recover(*, now: datetime | None = None) -> list[BulkJob]:
    """Re-enqueue the jobs no live worker holds; maintenance calls this every few seconds.

    - running or cancelling, with an expired lease: its worker died (or hung) mid-job;
    - queued for longer than a lease, its task no longer waiting: the task was lost (a worker
      died between taking the task and claiming the job, or the task failed).
    The lease is cleared with a conditional UPDATE, so two maintenance loops never enqueue the
    same job twice, and the next worker claims it at once. Its rows left mid-call are finished
    with their stored request ids.
    """
    now = now or timezone.now()
    expired = BulkJob.objects.filter(
        state__in=[BulkJob.RUNNING, BulkJob.CANCEL_REQUESTED],
        lease_expires_at__lt=now,
        recoveries__lt=MAX_RECOVERIES,
    )
    waiting = BulkJob.objects.filter(
        state=BulkJob.QUEUED,
        lease_owner="",
        enqueued_at__lt=now - lease_duration(),
        recoveries__lt=MAX_RECOVERIES,
    )
    candidates = list(expired) + [job for job in waiting if not _task_waiting(job)]
    recovered = []
    for job in candidates:
        with transaction.atomic():
            taken = BulkJob.objects.filter(
                pk=job.pk,
                state=job.state,
                lease_owner=job.lease_owner,
                lease_expires_at=job.lease_expires_at,
                enqueued_at=job.enqueued_at,
            ).update(
                lease_owner="",
                lease_expires_at=None,
                recoveries=F("recoveries") + 1,
                state=Case(
                    When(state=BulkJob.RUNNING, then=Value(BulkJob.QUEUED)), default=F("state")
                ),
            )
            if not taken:
                continue
            job.refresh_from_db()
            bulk_job_enqueue(job, now=now)
        logger.warning(
            "Bulk job %s had no live worker (lease owner %r); enqueued it again.",
            job.public_id,
            job.lease_owner or "-",
        )
        recovered.append(job)
    return recovered


def _task_waiting(job: BulkJob) -> bool:
    """Whether the job's task is still in the queue (then it is only waiting its turn)."""
    if not job.task_id:
        return False
    try:
        result = default_task_backend.get_result(job.task_id)
    except (TaskResultDoesNotExist, NotImplementedError, ValueError):
        return False
    return bool(result.status == TaskResultStatus.READY)


# --- Selectors: what the screens show ------------------------------------------------------------


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
    def percent(self) -> int:
        return 100 if not self.total else (100 * self.done) // self.total


_COUNTS: Final[dict[str, Any]] = {
    "n_total": Count("rows"),
    "n_created": Count("rows", filter=Q(rows__state=BulkRow.CREATED)),
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


def _with_counts(jobs: QuerySet[BulkJob]) -> QuerySet[BulkJob]:
    return jobs.annotate(**_COUNTS)


def _counts_of(job: Any) -> JobCounts:
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
        counts=_counts_of(job),
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
    listed = list(_with_counts(jobs))
    expiry = _password_expiry([job.pk for job in listed])
    return [_summary(job, now, expiry) for job in listed]


def bulk_job_get(*, public_id: uuid.UUID | str, customer_id: str) -> BulkJob | None:
    """The job with this public id for this customer, or None (a malformed id finds nothing)."""
    try:
        wanted = uuid.UUID(str(public_id))
    except ValueError:
        return None
    return BulkJob.objects.filter(public_id=wanted, customer_id=customer_id).first()


def bulk_job_for_draft(*, draft_public_id: uuid.UUID | str) -> BulkJob | None:
    """The job a draft was saved as (the Save page sends a second Save there)."""
    try:
        wanted = uuid.UUID(str(draft_public_id))
    except ValueError:
        return None
    return BulkJob.objects.filter(draft_public_id=wanted).first()


def bulk_job_summary(*, job: BulkJob, now: datetime | None = None) -> JobSummary:
    """The progress page's numbers: counts, percent done, stalled, passwords waiting."""
    (summary,) = _summaries(BulkJob.objects.filter(pk=job.pk), now or timezone.now())
    return summary


def bulk_job_rows(*, job: BulkJob) -> QuerySet[BulkRow]:
    """The rows in file order, for the results table (Status update of each)."""
    return BulkRow.objects.filter(job=job).order_by("number")


@dataclass(frozen=True)
class DashboardJobs:
    in_progress: list[JobSummary]  # queued, running or cancelling, with a live worker
    stalled: list[JobSummary]  # active but no worker holds them
    awaiting_passwords: list[JobSummary]  # the staff member's finished uploads with passwords


def bulk_jobs_dashboard(*, staff: User, now: datetime | None = None) -> DashboardJobs:
    """The dashboard's uploads: every upload in progress or stalled, and the staff member's own
    uploads whose passwords wait to be downloaded, soonest erased first."""
    now = now or timezone.now()
    active = _summaries(BulkJob.objects.filter(state__in=BulkJob.ACTIVE_STATES), now)
    waiting_jobs = BulkJob.objects.filter(
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


def bulk_job_results_csv(*, job: BulkJob) -> bytes:
    """The upload given back with every row's Status update (marked, so the file can be fixed
    and uploaded again as it is: validation ignores the portal's own annotations)."""
    return csv_bytes(_results_lines(job))


def _results_lines(job: BulkJob) -> Iterator[list[str]]:
    yield list(COLUMNS)
    for row in bulk_job_rows(job=job):
        status = row.status_update or "Waiting to be created."
        yield [row.first_name, row.last_name, row.display_name, row.email, f"{MARKER} {status}"]


def bulk_job_results_export(*, job: BulkJob, actor: Actor) -> Iterator[bytes]:
    """The results CSV for a person to download, as a stream, audited like every export."""
    job_audit(job, actor).record(
        Action.BULK_RESULTS_EXPORT,
        succeeded=True,
        changes={"file": job.file_name, "rows": job.rows.count()},
    )
    return csv_stream(_results_lines(job))
