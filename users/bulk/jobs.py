"""Bulk upload, step two: a validated draft becomes a job that a background worker runs.

Save (`bulk_job_create`) checks the Location and licenses, writes the job and one row per user,
audits it and enqueues the task in one transaction. While it runs, the job can be cancelled;
afterwards its failed rows can be retried, and its results downloaded. The worker's lease is in
`lease.py`, what the screens read in `job_selectors.py`, the task body in `worker.py`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from django.db import IntegrityError, transaction
from django.utils import timezone
from django_countries import countries

from customers.directory.customer_queries import SkuRow, skus_of
from customers.directory.models import DirectoryCustomer
from portal.audit.records import Action, Actor, AuditContext
from portal.csvsafe import csv_stream
from portal.staff.access import Capability
from users.bulk.job_selectors import results_lines
from users.bulk.lease import bulk_job_enqueue
from users.bulk.models import BulkJob, BulkRow
from users.bulk.when import Schedule, due_text, scheduled_fields
from users.models import BulkDraft

logger = logging.getLogger("users.bulk")


# What a staff member's role must allow to see a job of each kind, and to act on it.
JOB_CAPABILITY: Final = {
    BulkJob.UPLOAD: Capability.BULK_UPLOAD,
    BulkJob.LICENSES: Capability.CHANGE_ROLES_OR_LICENSES,
    BulkJob.RESET: Capability.RESET_PASSWORD,
    BulkJob.DELETE: Capability.DELETE_USER,
    BulkJob.OFFBOARD: Capability.DELETE_USER,
}


class BulkJobRefused(Exception):
    """The request cannot be carried out; `str(error)` says why, in words for the page."""


# --- Save: a draft becomes a job ----------------------------------------------------------------


@dataclass(frozen=True)
class LicenseOption:
    """One of the customer's licenses as the Save form offers it."""

    sku_id: str
    name: str
    seats_left: int
    enough: bool  # seats for every user of the upload
    seats: int = 0  # in all, for "12 of 30 available"


def bulk_license_options(*, skus: Sequence[SkuRow], users: int) -> list[LicenseOption]:
    """The customer's subscribed licenses with seats left, and whether they cover `users`."""
    return [
        LicenseOption(sku.id, sku.name, sku.available, sku.available >= users, sku.total)
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
    schedule: Schedule | None = None,
    now: datetime | None = None,
) -> BulkJob:
    """Save: turn a validated draft into a job and enqueue the task that creates its users (or,
    with a `schedule`, leave it waiting for its time, when `users.bulk.schedule` starts it).

    The Location is required (an ISO country code); each license must be one of the
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
    location = _checked_location(usage_location)
    skus = _chosen_skus(skus_of(customer), sku_ids, users=len(draft.rows))

    try:
        with transaction.atomic():
            job = _job_new(
                draft=draft,
                customer=customer,
                location=location,
                skus=skus,
                actor=actor,
                ticket=ticket,
                schedule=schedule,
                now=now,
            )
            _job_saved_audit(job, actor, users=len(draft.rows), scheduled=schedule is not None)
            if schedule is None:
                # In the same transaction: with the database task backend the task and its job
                # are committed together, so there is never a job without a task or a task
                # without a job.
                bulk_job_enqueue(job, now=now)
    except IntegrityError:  # a concurrent Save of the same draft won
        return BulkJob.objects.get(draft_public_id=draft.public_id)
    return job


def _job_new(
    *,
    draft: BulkDraft,
    customer: DirectoryCustomer,
    location: str,
    skus: list[dict[str, str]],
    actor: Actor,
    ticket: str,
    schedule: Schedule | None,
    now: datetime,
) -> BulkJob:
    """The job of a draft, with one row per user of it."""
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
        **scheduled_fields(schedule),
    )
    BulkRow.objects.bulk_create(_rows_of(job, draft))
    return job


def _job_saved_audit(job: BulkJob, actor: Actor, *, users: int, scheduled: bool) -> None:
    """The Save in the audit log: the file, how many users, the Location and licenses."""
    job_audit(job, actor).record(
        Action.BULK_UPLOAD,
        succeeded=True,
        changes={
            "file_name": job.file_name,
            "users": users,
            "usage_location": job.usage_location,
            "licences": [sku["name"] for sku in job.skus],
            **({"scheduled_for": due_text(job)} if scheduled else {}),
        },
        message=f"Saved {users} users to create "
        + (f"at {due_text(job)}." if scheduled else "in the background."),
    )


def _checked_location(usage_location: str) -> str:
    location = usage_location.strip().upper()
    if not location:
        raise BulkJobRefused("Choose the Location of the new users.")
    if len(location) != 2 or countries.alpha2(location) != location:
        raise BulkJobRefused(f"'{usage_location}' is not a country code.")
    return location


def _rows_of(job: BulkJob, draft: BulkDraft) -> Iterator[BulkRow]:
    """One row per user of the validated draft, in file order."""
    for row in draft.rows:
        yield BulkRow(
            job=job,
            number=int(row["row"]),
            first_name=str(row["first_name"]),
            last_name=str(row["last_name"]),
            display_name=str(row["display_name"]),
            email=str(row["email"]),
        )


def _chosen_skus(
    available: Sequence[SkuRow], sku_ids: Sequence[str], *, users: int
) -> list[dict[str, str]]:
    by_id = {sku.id.lower(): sku for sku in available}
    chosen: list[dict[str, str]] = []
    for sku_id in dict.fromkeys(sku_ids):  # each once, in the order given
        sku = by_id.get(sku_id.lower())
        if sku is None:
            raise BulkJobRefused("That license is not one of this customer's subscriptions.")
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
    if not job.is_upload:  # an action's rows know their user from the start
        BulkRow.objects.filter(job=job, state=BulkRow.PENDING).update(
            state=BulkRow.CANCELLED,
            status_update="Not done: cancelled before this user was started.",
            password_encrypted="",
            finished_at=now,
        )
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
    """Retry failed rows, and licenses that failed after a create; returns how many rows.

    A row that got a definite error is a new operation: a new request id and a new password.
    A row whose outcome is unknown keeps its request id and password, so Partner Center
    answers the first attempt's result instead of creating a second user. Raises
    BulkJobRefused while the job runs or when nothing failed.
    """
    now = now or timezone.now()
    with transaction.atomic():
        if not BulkJob.objects.filter(pk=job.pk, state__in=BulkJob.DONE_STATES).exists():
            raise BulkJobRefused("Wait for the upload to finish before retrying rows.")
        count = _rows_reopen_failed(job)
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


def _rows_reopen_failed(job: BulkJob) -> int:
    """Make the job's failed rows (and failed licenses) pending again; returns how many."""
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
    return failed + unknown + license_failed + license_unknown


def bulk_job_results_export(*, job: BulkJob, actor: Actor) -> Iterator[bytes]:
    """The results CSV for a person to download, as a stream, audited like every export."""
    job_audit(job, actor).record(
        Action.BULK_RESULTS_EXPORT,
        succeeded=True,
        changes={"file": job.file_name, "rows": job.rows.count()},
    )
    return csv_stream(results_lines(job))
