"""The bulk job's task body: take the lease, do the rows a few at a time, finish the job.

What one row does, and how a row left mid-call by a dead worker is finished without creating
anybody twice, is in `row_work.py` (an upload's row) and `action_work.py` (an action on a
selected user); this module hands the rows out and keeps the lease.

Rows run on a thread pool of `PORTAL_BULK_CONCURRENCY` threads (each with its own database
connections, closed when its row is done); the calling thread hands out rows, one at a time
as threads free up, so a cancellation stops the rows not yet started, and renews the lease.
Throttling is waited out by the SDK (`Retry-After`, up to `WORKER_THROTTLE_WAIT_CAP`).
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import connections, transaction
from django.db.models import Q
from django.utils import timezone

from portal.partnercenter import (
    WORKER_THROTTLE_WAIT_CAP,
    PartnerCenterClient,
    partner_center,
)
from users.bulk.action_work import ActionWork
from users.bulk.jobs import rows_cancel_unstarted
from users.bulk.lease import Clock, bulk_job_claim, bulk_job_lease_renew, lease_duration
from users.bulk.models import BulkJob, BulkRow
from users.bulk.offboard_work import OffboardWork
from users.bulk.row_work import RowWork

logger = logging.getLogger("users.bulk")


def worker_name() -> str:
    """A lease owner name that says where the worker runs, unique per run."""
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass
class RunResult:
    claimed: bool
    finished: bool = False  # the job reached finished or cancelled
    lost_lease: bool = False
    rows_processed: int = 0
    errors: list[str] = field(default_factory=list)


def bulk_job_run(
    *,
    job_id: int,
    pc: PartnerCenterClient | None = None,
    owner: str | None = None,
    concurrency: int | None = None,
    lease: timedelta | None = None,
    clock: Clock = timezone.now,
) -> RunResult:
    """Run the job (the task calls this): claim it, process every row that needs work, finish.

    Returns without doing anything when another worker holds the job or it is done. With
    `concurrency=1` the rows run in the calling thread (tests use this inside their
    transaction). An unexpected error leaves the rows it hit mid-way for the next worker and
    is raised after the other rows are done.
    """
    owner = owner or worker_name()
    lease = lease or lease_duration()
    if not bulk_job_claim(job_id=job_id, owner=owner, now=clock(), lease=lease):
        return RunResult(claimed=False)
    job = BulkJob.objects.get(pk=job_id)
    pc = pc or partner_center(
        throttle_wait_cap=WORKER_THROTTLE_WAIT_CAP, correlation_id=str(job.public_id)
    )
    run = _Run(job, pc, owner, lease, clock, concurrency or settings.PORTAL_BULK_CONCURRENCY)
    return run.execute()


class _Run:
    def __init__(
        self,
        job: BulkJob,
        pc: PartnerCenterClient,
        owner: str,
        lease: timedelta,
        clock: Clock,
        concurrency: int,
    ) -> None:
        self.job = job
        self.pc = pc
        self.owner = owner
        self.lease = lease
        self.clock = clock
        self.concurrency = max(1, concurrency)
        self.result = RunResult(claimed=True)
        self.renewed_at = clock()
        work = RowWork if job.is_upload else ActionWork
        if job.kind == BulkJob.OFFBOARD:
            work = OffboardWork
        self.rows: RowWork | ActionWork = work(job, pc, owner, clock)

    # --- Handing out rows -----------------------------------------------------------------------

    def execute(self) -> RunResult:
        # Rows left mid-call by a dead worker first: they were started, so they are finished
        # even when the job is being cancelled.
        rows = (
            BulkRow.objects.filter(job=self.job)
            .filter(
                Q(state__in=[BulkRow.PENDING, BulkRow.WORKING])
                | Q(reset_state=BulkRow.RESET_PENDING)
            )
            .order_by("number")
            .values_list("pk", "state")
        )
        todo = [(pk, True) for pk, state in rows if state == BulkRow.WORKING]
        todo += [(pk, False) for pk, state in rows if state != BulkRow.WORKING]
        if self.concurrency == 1:
            for row_id, started in todo:
                if not self._may_start(started):
                    break
                self._guarded(row_id)
        else:
            self._run_pool(todo)
        if self.result.lost_lease:
            return self.result
        if self.result.errors:
            # Let maintenance hand the job on at once instead of after a whole lease.
            BulkJob.objects.filter(pk=self.job.pk, lease_owner=self.owner).update(
                lease_expires_at=self.clock()
            )
            raise RuntimeError(
                f"Bulk job {self.job.public_id}: {len(self.result.errors)} row(s) hit an "
                f"unexpected error and were left for the next worker: {self.result.errors[0]}"
            )
        self._finish()
        return self.result

    def _run_pool(self, todo: list[tuple[int, bool]]) -> None:
        queue = list(reversed(todo))
        in_flight: set[Future[None]] = set()
        with ThreadPoolExecutor(self.concurrency, thread_name_prefix="bulk-row") as pool:
            while True:
                while queue and len(in_flight) < self.concurrency and self._may_start(queue[-1][1]):
                    in_flight.add(pool.submit(self._in_thread, queue.pop()[0]))
                if not in_flight:
                    break
                done, in_flight = wait(
                    in_flight, timeout=self._renew_every(), return_when=FIRST_COMPLETED
                )
                for future in done:
                    future.result()  # _in_thread catches everything; this only surfaces bugs
                self._renew_if_due()
                if self.result.lost_lease:
                    queue.clear()

    def _in_thread(self, row_id: int) -> None:
        try:
            self._guarded(row_id)
        finally:
            # Each pool thread opened its own connections; close them before the thread idles.
            connections.close_all()

    def _guarded(self, row_id: int) -> None:
        try:
            self.rows.process(row_id)
        except Exception as error:  # reported after the other rows are done
            logger.exception(
                "Bulk job %s row id %s failed unexpectedly", self.job.public_id, row_id
            )
            self.result.errors.append(f"{type(error).__name__}: {error}")
        else:
            self.result.rows_processed += 1

    def _may_start(self, started: bool) -> bool:
        """Whether to hand out the next row: not after losing the lease, and after a
        cancellation only a row that was already started (it must not be left in doubt)."""
        self._renew_if_due()
        if self.result.lost_lease:
            return False
        if started:
            return True
        state = BulkJob.objects.filter(pk=self.job.pk).values_list("state", flat=True).first()
        return state in (BulkJob.RUNNING, BulkJob.QUEUED)

    def _renew_every(self) -> float:
        return max(self.lease.total_seconds() / 3, 0.05)

    def _renew_if_due(self) -> None:
        now = self.clock()
        if (now - self.renewed_at).total_seconds() < self._renew_every():
            return
        if bulk_job_lease_renew(job_id=self.job.pk, owner=self.owner, now=now, lease=self.lease):
            self.renewed_at = now
        else:
            logger.warning("Bulk job %s: lease lost to another worker", self.job.public_id)
            self.result.lost_lease = True

    def _finish(self) -> None:
        now = self.clock()
        with transaction.atomic():
            state = BulkJob.objects.filter(pk=self.job.pk).values_list("state", flat=True).get()
            cancelled = state == BulkJob.CANCEL_REQUESTED
            if cancelled:
                rows_cancel_unstarted(self.job, now=now)
            finished = BulkJob.objects.filter(pk=self.job.pk, lease_owner=self.owner).update(
                state=BulkJob.CANCELLED if cancelled else BulkJob.FINISHED,
                finished_at=now,
                lease_owner="",
                lease_expires_at=None,
            )
        self.result.finished = bool(finished)
        self.result.lost_lease = not finished
