"""The directory's background work: syncs asked for by pages (the "directory" task queue, its own
worker, so a sync never waits behind a bulk upload nor holds one up), and the sweep that keeps
every customer younger than `PORTAL_DIRECTORY_MAX_AGE` (run by `portal_maintenance --loop`).

Who pays which budget: a sync a person waits for — a customer never read, or Refresh — calls
Partner Center freely, like any page; a sync of a mirror that is merely old (opened after
`PORTAL_DIRECTORY_TTL`, or found by the sweep) takes its calls from the shared background budget.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final

from django.conf import settings
from django.db import connections
from django.db.models import Q
from django.tasks import task
from django.utils import timezone

from customers.directory.budget import BackgroundBudget, CallCounter, Until
from customers.directory.customer_queries import customer_get
from customers.directory.models import DirectoryCustomer
from customers.directory.sync import (
    LEASE,
    SyncResult,
    directory_customer_sync,
    directory_customers_sync,
    mirrored_customers,
)
from portal.partnercenter import (
    WORKER_THROTTLE_WAIT_CAP,
    PartnerCenterClient,
    PartnerCenterError,
    partner_center,
)

logger = logging.getLogger("portal.directory")

QUEUE: Final = "directory"
# After a failed sync the sweep tries the customer again this much later, not at every round.
RETRY_AFTER_FAILURE: Final = timedelta(minutes=15)
# How many customers the sweep reads at once (never more than a sync's own concurrency).
SWEEP_PARALLEL: Final = 2
# A person waiting for a customer never read goes before a mirror that is only old.
_WAITED_FOR: Final = 50


def background_client(counter: CallCounter) -> PartnerCenterClient:
    return partner_center(throttle_wait_cap=WORKER_THROTTLE_WAIT_CAP, pacer=counter)


@task(backend=QUEUE, queue_name=QUEUE)
def sync_customer_task(tenant_id: str, budgeted: bool) -> None:
    """Read one customer into the directory (queued by `directory_sync_request`)."""
    customer = customer_get(tenant_id)
    if customer is None:
        return
    counter = BackgroundBudget() if budgeted else CallCounter()
    try:
        directory_customer_sync(
            pc=background_client(counter), customer=customer, calls=lambda: counter.calls
        )
    except PartnerCenterError as error:  # recorded on the customer; the page shows it
        logger.info("Sync of customer %s failed: %s", tenant_id, error)


@task(backend=QUEUE, queue_name=QUEUE)
def sync_customers_task() -> None:
    """Read the partner's customers list into the directory."""
    directory_customers_sync(pc=background_client(BackgroundBudget()))


def directory_sync_request(
    customer: DirectoryCustomer, *, waited_for: bool, now: datetime | None = None
) -> bool:
    """Queue a sync of the customer unless one is already queued or running; True if queued.

    `waited_for`: a person is waiting for it (nothing mirrored yet, or Refresh): it goes first
    and takes nothing from the background budget.
    """
    now = now or timezone.now()
    stale = now - LEASE
    queued = (
        DirectoryCustomer.objects.filter(pk=customer.pk)
        .filter(
            ~Q(sync_state__in=[DirectoryCustomer.SYNC_QUEUED, DirectoryCustomer.SYNC_RUNNING])
            | Q(sync_state=DirectoryCustomer.SYNC_QUEUED, sync_queued_at__lt=stale)
            | Q(sync_state=DirectoryCustomer.SYNC_RUNNING, sync_heartbeat_at__lt=stale)
        )
        .update(
            sync_state=DirectoryCustomer.SYNC_QUEUED,
            sync_queued_at=now,
            sync_users_read=0,
            sync_error="",
        )
    )
    if queued:
        priority = _WAITED_FOR if waited_for else 0
        sync_customer_task.using(priority=priority).enqueue(customer.tenant_id, not waited_for)
        customer.refresh_from_db()
    return bool(queued)


def directory_needs_sync(customer: DirectoryCustomer, *, now: datetime | None = None) -> bool:
    """The customer's mirror is missing or older than `PORTAL_DIRECTORY_TTL`."""
    if customer.synced_at is None:
        return True
    age = (now or timezone.now()) - customer.synced_at
    return age > timedelta(seconds=settings.PORTAL_DIRECTORY_TTL)


# --- The sweep ---------------------------------------------------------------------------------


@dataclass
class SweepReport:
    customers_listed: int | None = None  # None: the list was fresh enough
    synced: list[SyncResult] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    calls: int = 0

    def summary(self) -> str:
        return (
            f"directory: {len(self.synced)} customer(s) read, {len(self.failed)} failed, "
            f"{self.calls} Partner Center call(s)"
        )


def directory_sweep(
    *,
    seconds: float,
    now: Callable[[], datetime] = timezone.now,
    budget: CallCounter | None = None,
    parallel: int | None = None,
    stop: threading.Event | None = None,
) -> SweepReport:
    """Read the customers whose mirror is older than `PORTAL_DIRECTORY_MAX_AGE` (never read
    first, then oldest first), within `seconds` (no further customer once `stop` is set), every
    call from the background budget.

    `parallel` customers are read at once, so the budget's rate, not one customer's latency,
    sets the pace; a customer another process is reading is left to it.
    """
    until = Until.within(seconds, stop)
    parallel = parallel or min(SWEEP_PARALLEL, settings.PORTAL_DIRECTORY_SYNC_CONCURRENCY)
    counter = budget or BackgroundBudget()
    pc = background_client(counter)
    report = SweepReport()
    max_age = timedelta(seconds=settings.PORTAL_DIRECTORY_MAX_AGE)
    listed = mirrored_customers().order_by("listed_at").values_list("listed_at", flat=True).first()
    if listed is None or now() - listed > max_age:
        report.customers_listed = directory_customers_sync(pc=pc)
    lock = threading.Lock()

    def sweep() -> None:
        while not until.over():
            customer = _oldest_due(now(), max_age)
            if customer is None:
                return
            try:
                result = directory_customer_sync(
                    pc=pc, customer=customer, calls=lambda: counter.calls
                )
            except PartnerCenterError:
                with lock:
                    report.failed.append(customer.tenant_id)
                continue
            if result.claimed:
                with lock:
                    report.synced.append(result)

    if parallel <= 1:
        sweep()
    else:
        with ThreadPoolExecutor(max_workers=parallel) as pool:
            for future in [pool.submit(_own_connections(sweep)) for _ in range(parallel)]:
                future.result()
    report.calls = counter.calls
    return report


def _own_connections(job: Callable[[], None]) -> Callable[[], None]:
    def run() -> None:
        try:
            job()
        finally:
            connections.close_all()

    return run


def _oldest_due(now: datetime, max_age: timedelta) -> DirectoryCustomer | None:
    due = mirrored_customers().filter(
        Q(synced_at__isnull=True) | Q(synced_at__lt=now - max_age),
        ~Q(sync_state=DirectoryCustomer.SYNC_RUNNING) | Q(sync_heartbeat_at__lt=now - LEASE),
        ~Q(sync_state=DirectoryCustomer.SYNC_FAILED)
        | Q(sync_started_at__lt=now - RETRY_AFTER_FAILURE),
    )
    never = due.filter(synced_at__isnull=True).order_by("sync_started_at", "name_key").first()
    return never or due.order_by("synced_at").first()
