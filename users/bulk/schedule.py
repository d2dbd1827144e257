"""Scheduled changes: a bulk upload's Save or an action on selected users that runs at a time.

A job made with a `Schedule` waits (`SCHEDULED`) with no task and no lease. The maintenance
loop (`portal_maintenance --loop`, every 15 seconds by default) calls `scheduled_jobs_release`,
which starts each job whose time has come with one conditional UPDATE to `QUEUED` and the task
enqueued in the same transaction: of any number of loops on any number of replicas, exactly one
starts it, and from there it is an ordinary job (the worker's lease, recovery after a killed
worker, results).

A job found more than `PORTAL_SCHEDULE_GRACE` minutes late (the portal was down at its time) is
`HELD` instead, for a person to run or cancel: a leaver deleted hours late may be a mistake. When
it starts, the person who scheduled it must still be allowed to do it on that customer (their
role and scope now, not when they scheduled it); otherwise it is cancelled, saying why. Cancel
and Run now are conditional updates too, so a cancel racing the release either stops the job
before anything is sent or finds it already started (then it is an ordinary cancel).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from portal.audit.records import Action, Actor
from portal.staff import access
from users.bulk.jobs import JOB_CAPABILITY, job_audit, rows_cancel_unstarted
from users.bulk.lease import bulk_job_enqueue
from users.bulk.models import BulkJob
from users.bulk.when import due_text

logger = logging.getLogger("users.bulk")


def grace() -> timedelta:
    return timedelta(minutes=settings.PORTAL_SCHEDULE_GRACE)


# --- Starting --------------------------------------------------------------------------------


@dataclass
class ReleaseReport:
    started: int = 0
    held: int = 0
    refused: int = 0


def scheduled_jobs_release(*, now: datetime | None = None) -> ReleaseReport:
    """Start every scheduled job whose time has come; hold those found too late."""
    now = now or timezone.now()
    report = ReleaseReport()
    due = BulkJob.objects.filter(state=BulkJob.SCHEDULED, run_at__lte=now)
    for job in due.filter(run_at__lt=now - grace()):
        late = now - (job.run_at or now)
        note = (
            f"Held: it was due at {due_text(job)}, {_minutes(late)} ago, "
            "while the portal was not running. Run it now or cancel it."
        )
        if _move(job, BulkJob.SCHEDULED, BulkJob.HELD, note=note):
            job_audit(job, _scheduler(job)).record(
                Action.SCHEDULED_HELD, succeeded=False, message=note
            )
            report.held += 1
    for job in due.filter(run_at__gte=now - grace()):
        if _start(job, from_state=BulkJob.SCHEDULED, now=now):
            report.started += 1
        elif BulkJob.objects.filter(pk=job.pk, state=BulkJob.CANCELLED).exists():
            report.refused += 1
    return report


def _start(job: BulkJob, *, from_state: str, now: datetime) -> bool:
    """Queue the job if it is still in `from_state` and its maker may still do it."""
    refusal = _refusal(job)
    if refusal:
        if _move(job, from_state, BulkJob.CANCELLED, note=refusal, now=now):
            rows_cancel_unstarted(job, now=now)
            job_audit(job, _scheduler(job)).record(
                Action.SCHEDULED_CANCEL, succeeded=False, message=refusal
            )
        return False
    with transaction.atomic():
        if not _move(job, from_state, BulkJob.QUEUED):
            return False
        # In the same transaction: the task and its job's state are committed together.
        bulk_job_enqueue(job, now=now)
    return True


def _refusal(job: BulkJob) -> str:
    """Why the job's maker may no longer do it on its customer ("" when they may)."""
    staff = (
        User.objects.filter(pk=job.created_by_id, is_active=True).first()
        if job.created_by_id is not None
        else None
    )
    who = job.created_by_username
    if staff is None:
        return f"Not run: {who}, who scheduled it, no longer has an active account."
    try:
        access.enter_customer(staff, job.customer_id)
        access.check_capability(staff, JOB_CAPABILITY[job.kind])
    except (Http404, PermissionDenied):  # out of scope, or the role no longer allows it
        return (
            f"Not run: {who}, who scheduled it, may no longer do this for "
            f"{job.customer_name or 'this customer'}."
        )
    return ""


def _move(
    job: BulkJob, from_state: str, to_state: str, *, note: str = "", now: datetime | None = None
) -> bool:
    """One conditional UPDATE: True for the one caller that found the job in `from_state`."""
    changes: dict[str, object] = {"state": to_state}
    if note:
        changes["schedule_note"] = note
    if to_state == BulkJob.CANCELLED:
        changes["finished_at"] = now or timezone.now()
    moved = BulkJob.objects.filter(pk=job.pk, state=from_state).update(**changes) == 1
    if moved:
        job.state = to_state
        job.schedule_note = note or job.schedule_note
    return moved


def _scheduler(job: BulkJob) -> Actor:
    """The scheduler acting for the person who scheduled the job."""
    return Actor.for_task(job.created_by, job.created_by_username)


def _minutes(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 120:
        return f"{minutes} minutes"
    return f"{minutes // 60} hours"


# --- A person's decisions ----------------------------------------------------------------------


def scheduled_job_run_now(*, job: BulkJob, actor: Actor, now: datetime | None = None) -> bool:
    """Start a scheduled or held job at once (its maker's permission is checked as at its
    time); False when it had already started or was cancelled."""
    now = now or timezone.now()
    from_state = job.state
    if from_state not in BulkJob.WAITING_STATES:
        return False
    started = _start(job, from_state=from_state, now=now)
    if started:
        job_audit(job, actor).record(
            Action.SCHEDULED_RUN_NOW,
            succeeded=True,
            changes={"was_due": due_text(job)},
            message="Started a scheduled change before its time."
            if from_state == BulkJob.SCHEDULED
            else "Started a held change.",
        )
    return started


def scheduled_job_cancel(*, job: BulkJob, actor: Actor, now: datetime | None = None) -> bool:
    """Cancel a job that has not started: nothing is sent. False when it already started (the
    caller then cancels it as any running job)."""
    now = now or timezone.now()
    from_state = job.state
    if from_state not in BulkJob.WAITING_STATES:
        return False
    note = f"Cancelled by {actor.username} before it ran."
    if not _move(job, from_state, BulkJob.CANCELLED, note=note, now=now):
        return False
    rows_cancel_unstarted(job, now=now)
    job_audit(job, actor).record(
        Action.SCHEDULED_CANCEL,
        succeeded=True,
        changes={"was_due": due_text(job)},
        message=note,
    )
    return True
