"""The license scan: Partner Center lists a user's licenses one user per call, so the directory
learns them in the background, a few users at a time, with calls from the shared background
budget (`PORTAL_DIRECTORY_CALLS_PER_SECOND`, slower after a 429) — never ahead of a page or a
bulk job. Users never read go first, customer by customer; then licenses older than
`PORTAL_DIRECTORY_MAX_AGE`. Opening or changing a user through the portal reads them too.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from customers.directory.budget import Until
from customers.directory.models import (
    DirectoryCustomer,
    DirectoryUser,
    DirectoryUserLicenses,
)
from customers.directory.rows import refresh_statistics
from customers.directory.sync import mirrored_customers
from customers.directory.writes import licenses_write
from portal.partnercenter import Forbidden, NotFound, PartnerCenterClient, PartnerCenterError

logger = logging.getLogger("portal.directory")

# Users read between two writes (and two checks of the deadline).
BATCH: Final = 20


@dataclass
class ScanReport:
    users: int = 0
    calls_failed: int = 0

    def summary(self) -> str:
        return f"licenses: {self.users} user(s) read"


def directory_licenses_scan(
    *,
    pc: PartnerCenterClient,
    seconds: float,
    now: Callable[[], datetime] = timezone.now,
    stop: threading.Event | None = None,
) -> ScanReport:
    """Read the licenses of the users that need it, within `seconds` (no further user once
    `stop` is set)."""
    report = _scan(pc=pc, until=Until.within(seconds, stop), now=now)
    if report.users:
        refresh_statistics()
    return report


def _scan(*, pc: PartnerCenterClient, until: Until, now: Callable[[], datetime]) -> ScanReport:
    report = ScanReport()
    max_age = timedelta(seconds=settings.PORTAL_DIRECTORY_MAX_AGE)
    while not until.over():
        found = _next_batch(now() - max_age)
        if found is None:
            break
        customer, user_ids = found
        held: dict[str, list[str]] = {}
        for user_id in user_ids:
            if until.over():
                break
            try:
                licenses = pc.customers.by_id(customer.tenant_id).users.by_id(user_id)
                held[user_id] = [item.product_sku.id for item in licenses.licenses.list()]
            except NotFound:
                held[user_id] = []  # gone since the sync: the next sync forgets it
            except Forbidden:
                logger.info("License scan: no access to customer %s", customer.tenant_id)
                break
            except PartnerCenterError as error:
                report.calls_failed += 1
                logger.info("License scan stopped at customer %s: %s", customer.tenant_id, error)
                licenses_write(customer, held, read_at=now())
                report.users += len(held)
                return report
        licenses_write(customer, held, read_at=now())
        report.users += len(held)
        if not held:
            break
    return report


# Customers found with every active user's licences read, by the generation they were found at
# (a new generation, from a sync, may bring new users). Kept for the life of the process.
_complete: dict[int, int] = {}


def _next_batch(stale_before: datetime) -> tuple[DirectoryCustomer, list[str]] | None:
    """A customer and up to BATCH of its users whose licenses were never read (first: active
    users, customer by customer) or were read before `stale_before` (oldest first)."""
    customers = mirrored_customers().filter(
        access=DirectoryCustomer.ACCESS_DELEGATED, synced_at__isnull=False
    )
    for customer in customers.order_by("name_key"):
        if _complete.get(customer.pk) == customer.generation:
            continue
        unread = _active(customer).exclude(
            user_id__in=DirectoryUserLicenses.objects.filter(customer=customer).values("user_id")
        )
        user_ids = list(unread.order_by("display_key").values_list("user_id", flat=True)[:BATCH])
        if user_ids:
            return customer, user_ids
        _complete[customer.pk] = customer.generation
    oldest = (
        DirectoryUserLicenses.objects.filter(customer__in=customers, read_at__lt=stale_before)
        .order_by("read_at")
        .select_related("customer")
        .first()
    )
    if oldest is None:
        return None
    stale = DirectoryUserLicenses.objects.filter(
        customer=oldest.customer, read_at__lt=stale_before
    ).order_by("read_at")
    return oldest.customer, list(stale.values_list("user_id", flat=True)[:BATCH])


def _active(customer: DirectoryCustomer) -> QuerySet[DirectoryUser]:
    return DirectoryUser.objects.filter(
        customer=customer, generation=customer.generation, state=DirectoryUser.ACTIVE
    )
