"""The bulk worker's lease: one worker holds a job at a time, and a job nobody holds is found.

A worker claims a job (`bulk_job_claim`), renews its lease while it runs
(`bulk_job_lease_renew`) and claims each row under it (`bulk_row_claim`); `bulk_jobs_recover`
(run by `portal_maintenance` every few seconds) hands a job whose lease ran out, or whose task
was lost, to a new task.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Final

from django.conf import settings
from django.db import transaction
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Coalesce
from django.tasks import TaskResultStatus, default_task_backend
from django.tasks.exceptions import TaskResultDoesNotExist
from django.utils import timezone

from portal.crypto import encrypt
from portal.passwords import generate_password
from users.bulk.models import BulkJob, BulkRow

logger = logging.getLogger("users.bulk")

# What the worker and its rows read the time from (tests pass their own).
Clock = Callable[[], datetime]

# A job that keeps dying is left alone (and shows as stalled) after this many recoveries.
MAX_RECOVERIES: Final = 20


def lease_duration() -> timedelta:
    return timedelta(seconds=settings.PORTAL_BULK_LEASE_SECONDS)


def bulk_job_enqueue(job: BulkJob, *, now: datetime | None = None) -> None:
    """Enqueue the task that runs `job`; records its id so maintenance can tell a job waiting
    in line from one whose task was lost."""
    # Imported here: users.tasks imports the worker, which imports this module.
    from users.tasks import run_bulk_job

    result = run_bulk_job.enqueue(job.pk)
    job.task_id = str(result.id)
    job.enqueued_at = now or timezone.now()
    BulkJob.objects.filter(pk=job.pk).update(task_id=job.task_id, enqueued_at=job.enqueued_at)


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


def bulk_row_claim(
    *,
    row: BulkRow,
    owner: str,
    now: datetime,
    send: bool,
    password: bool,
    changes: dict[str, object] | None = None,
) -> BulkRow | None:
    """Claim `row` for worker `owner` before any call: Working, one more attempt, `changes`.

    With `send`, its request id is committed too, and with `password` a temporary password,
    encrypted. Both are kept when the row was sent before (mid-call at a crash, or an unknown
    outcome): the same request id with the same body is the idempotent repeat. One conditional
    UPDATE that also checks the job's lease; None when the row is no longer ours (the lease
    moved to another worker) or no longer pending.
    """
    claim: dict[str, object] = {"state": BulkRow.WORKING, "started_at": now, **(changes or {})}
    if send:
        claim["request_id"] = row.request_id or str(uuid.uuid4())
    if password:
        claim["password_encrypted"] = row.password_encrypted or encrypt(generate_password())
    claimed = BulkRow.objects.filter(
        pk=row.pk,
        state__in=[BulkRow.PENDING, BulkRow.WORKING],
        job__lease_owner=owner,
    ).update(attempts=F("attempts") + 1, **claim)
    if not claimed:
        return None
    row.refresh_from_db()
    return row


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
    recovered = []
    for job in _orphaned(now):
        owner = job.lease_owner or "-"  # the requeue clears it
        if not _job_requeue(job, now=now):
            continue
        logger.warning(
            "Bulk job %s had no live worker (lease owner %r); enqueued it again.",
            job.public_id,
            owner,
        )
        recovered.append(job)
    return recovered


def _orphaned(now: datetime) -> list[BulkJob]:
    """The jobs no live worker holds: an expired lease, or queued too long with no task."""
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
    return list(expired) + [job for job in waiting if not _task_waiting(job)]


def _job_requeue(job: BulkJob, *, now: datetime) -> bool:
    """Clear the job's lease and enqueue it again, unless it changed since it was read (another
    maintenance loop took it, or its worker came back): whether it was taken."""
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
            state=Case(When(state=BulkJob.RUNNING, then=Value(BulkJob.QUEUED)), default=F("state")),
        )
        if not taken:
            return False
        job.refresh_from_db()
        bulk_job_enqueue(job, now=now)
    return True


def _task_waiting(job: BulkJob) -> bool:
    """Whether the job's task is still in the queue (then it is only waiting its turn)."""
    if not job.task_id:
        return False
    try:
        result = default_task_backend.get_result(job.task_id)
    except (TaskResultDoesNotExist, NotImplementedError, ValueError):
        return False
    return bool(result.status == TaskResultStatus.READY)
