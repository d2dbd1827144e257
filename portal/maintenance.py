"""Periodic upkeep for every process to rely on: `manage.py portal_maintenance [--loop]`.

django-tasks-db has no periodic tasks and leaves a task whose worker was killed marked running
forever, so one small loop does what must happen on a clock:
- scheduled changes whose time has come are started (those found too late are held);
- bulk jobs whose worker died (expired lease) or whose task was lost are enqueued again;
- bulk temporary passwords older than their time to live are erased;
- expired bulk drafts are deleted;
- the audit log is pruned to its retention period (`PORTAL_AUDIT_RETENTION_DAYS`), and the
  heartbeats of processes gone for a day;
- the directory's sweep reads the customers whose mirror is older than
  `PORTAL_DIRECTORY_MAX_AGE`, and the license scan reads users' licenses in the time left, both
  at the background budget's rate (`directory_sweep_run`).

Each step is safe to run from several loops at once (conditional updates), and each is
independent: one that fails is logged and the others still run.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone

logger = logging.getLogger("portal.maintenance")


@dataclass
class MaintenanceReport:
    scheduled_started: int = 0
    jobs_recovered: int = 0
    passwords_erased: int = 0
    drafts_pruned: int = 0
    audit_records_pruned: int = 0
    heartbeats_pruned: int = 0  # not in the summary: the rows of processes gone for a day
    failures: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text = (
            f"{self.scheduled_started} scheduled change(s) started, "
            f"{self.jobs_recovered} bulk job(s) re-enqueued, {self.passwords_erased} "
            f"password(s) erased, {self.drafts_pruned} draft(s) pruned, "
            f"{self.audit_records_pruned} audit record(s) pruned"
        )
        return text + (f"; failed: {', '.join(self.failures)}" if self.failures else "")


def heartbeats_prune(*, now: datetime) -> int:
    from portal.heartbeat import heartbeats_prune as prune

    return prune(now=now)


def audit_log_prune(*, now: datetime) -> int:
    """Delete audit records older than `PORTAL_AUDIT_RETENTION_DAYS`; returns how many."""
    from portal.audit.services import audit_prune

    return audit_prune(now=now)


def maintenance_run(*, now: datetime | None = None) -> MaintenanceReport:
    """One round of every maintenance step."""
    # Imported here: this module is loaded by settings-free code paths (the command's help).
    from users.bulk.lease import bulk_jobs_recover
    from users.bulk.passwords import bulk_passwords_erase_expired
    from users.bulk.schedule import scheduled_jobs_release
    from users.bulk.services import bulk_drafts_prune

    now = now or timezone.now()
    report = MaintenanceReport()
    steps: list[tuple[str, Callable[[], int], str]] = [
        (
            "start scheduled changes",
            lambda: scheduled_jobs_release(now=now).started,
            "scheduled_started",
        ),
        ("recover bulk jobs", lambda: len(bulk_jobs_recover(now=now)), "jobs_recovered"),
        ("erase passwords", lambda: bulk_passwords_erase_expired(now=now), "passwords_erased"),
        ("prune drafts", lambda: bulk_drafts_prune(now=now), "drafts_pruned"),
        ("prune audit log", lambda: audit_log_prune(now=now), "audit_records_pruned"),
        ("prune heartbeats", lambda: heartbeats_prune(now=now), "heartbeats_pruned"),
    ]
    for name, step, counter in steps:
        try:
            setattr(report, counter, step())
        except Exception:
            logger.exception("Maintenance step %r failed", name)
            report.failures.append(name)
    return report


def directory_sweep_run(*, seconds: float, stop: threading.Event | None = None) -> str:
    """One slice of the directory's background work: the sweep, then, in the time left, the
    license scan, each ending at its next customer or user once `stop` is set; what it did, in
    a line ("" when nothing was due)."""
    from customers.directory.background import background_client, directory_sweep
    from customers.directory.budget import BackgroundBudget
    from customers.directory.licenses import directory_licenses_scan

    started = time.monotonic()
    try:
        report = directory_sweep(seconds=seconds, stop=stop)
        left = seconds - (time.monotonic() - started)
        background = background_client(BackgroundBudget())
        scan = directory_licenses_scan(pc=background, seconds=left, stop=stop)
    except Exception:
        logger.exception("The directory sweep failed")
        return "directory: the sweep failed (see the log)"
    done = []
    if report.synced or report.failed or report.customers_listed is not None:
        done.append(report.summary())
    if scan.users:
        done.append(scan.summary())
    return "; ".join(done)
