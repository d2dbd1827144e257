"""The customers app's rules: the customers list, a customer's users, the dashboard's search and
the users export — all read from the directory (`customers/directory`), which the pages keep
fresh by asking for syncs. Views call these and catch `PartnerCenterError` (only the very first
read of the customers list, and Refresh of it, call Partner Center inside a request).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from itertools import batched
from typing import Final

from django.conf import settings
from django.core.cache import cache
from django.db.models import Max
from django.utils import timezone

from customers.directory.background import (
    directory_needs_sync,
    directory_sync_request,
    sync_customers_task,
)
from customers.directory.customer_queries import (
    CustomerIds,
    SkuRow,
    customer_by_domain,
    customer_get,
    skus_of,
)
from customers.directory.models import DirectoryCustomer, DirectoryUser
from customers.directory.search import user_by_username
from customers.directory.sync import directory_customers_sync, mirrored_customers, mode
from customers.directory.user_queries import UserListQuery, licenses_of, users_for_export
from portal.audit.records import Action, Actor, audit_record
from portal.csvsafe import csv_stream
from portal.partnercenter import PartnerCenterClient

# A customer the list does not hold: read the list again if it is older than this, in case the
# customer is new, before answering "no such customer".
_NEW_CUSTOMER_GRACE: Final = timedelta(seconds=60)


@dataclass(frozen=True)
class CustomerRow:
    """A customer as pages and services name it: `id` is Partner Center's customer id (in URLs,
    audit records and calls); `mirror` is the directory's row (counts, freshness, sync)."""

    id: str
    company_name: str
    domain: str
    mirror: DirectoryCustomer

    @classmethod
    def of(cls, mirror: DirectoryCustomer) -> CustomerRow:
        return cls(mirror.tenant_id, mirror.company_name, mirror.domain, mirror)


# --- The customers list ------------------------------------------------------------------------


def customers_ensure(*, pc: PartnerCenterClient) -> None:
    """Make sure the customers list is mirrored: read it here the first time (there is nothing
    to show otherwise), in the background when it is older than `PORTAL_DIRECTORY_TTL`."""
    newest = mirrored_customers().aggregate(newest=Max("listed_at"))["newest"]
    if newest is None:
        directory_customers_sync(pc=pc)
        return
    # One request for all processes: the cache says one is on its way.
    if _list_stale(newest) and cache.add(
        f"directory:{mode()}:customers-sync", 1, settings.PORTAL_DIRECTORY_TTL
    ):
        sync_customers_task.enqueue()


def _list_stale(listed_at: datetime) -> bool:
    return timezone.now() - listed_at > timedelta(seconds=settings.PORTAL_DIRECTORY_TTL)


def customers_refresh(*, pc: PartnerCenterClient) -> int:
    """Refresh on the customers list: read it from Partner Center now."""
    return directory_customers_sync(pc=pc)


def customer_open(*, pc: PartnerCenterClient, customer_id: str) -> CustomerRow | None:
    """A customer of the partner by id, or None; reads the customers list when it must."""
    customer = customer_get(customer_id)
    # Every read of the list stamps each customer it returns: one listed within the TTL shows
    # that the list is fresh, without asking for the newest stamp (a query on every page).
    if customer is not None and not _list_stale(customer.listed_at):
        return CustomerRow.of(customer)
    customers_ensure(pc=pc)
    if customer is None:
        customer = customer_get(customer_id)
    if customer is None:
        newest = mirrored_customers().aggregate(newest=Max("listed_at"))["newest"]
        if newest is not None and timezone.now() - newest > _NEW_CUSTOMER_GRACE:
            directory_customers_sync(pc=pc)
            customer = customer_get(customer_id)
    return CustomerRow.of(customer) if customer else None


# --- A customer's users ------------------------------------------------------------------------


def customer_users_open(customer: DirectoryCustomer) -> DirectoryCustomer:
    """The customer, with a sync asked for when its mirror is missing or old (a page shows the
    mirror it has meanwhile, and waits only when there is none).

    After a failed sync nothing is asked for again by looking (the sweep tries again later):
    the page shows what failed and Refresh tries again at once.
    """
    if customer.sync_state != DirectoryCustomer.SYNC_FAILED and directory_needs_sync(customer):
        directory_sync_request(customer, waited_for=not customer.mirrored)
    return customer


def customer_users_refresh(customer: DirectoryCustomer) -> bool:
    """Refresh: read the customer again now (a person is waiting for it)."""
    return directory_sync_request(customer, waited_for=True)


@dataclass(frozen=True)
class UserLookup:
    """Where a username typed on the dashboard leads."""

    customer_id: str
    user_id: str | None


def user_lookup(*, username: str, customer_ids: CustomerIds = None) -> UserLookup | None:
    """The user with exactly this username, or else the customer its domain names (of
    `customer_ids` only, when given)."""
    found = user_by_username(username, customer_ids=customer_ids)
    if found is not None:
        return UserLookup(found.customer.tenant_id, found.user_id)
    _, at, domain = username.strip().rpartition("@")
    customer = customer_by_domain(domain, customer_ids=customer_ids) if at and domain else None
    return UserLookup(customer.tenant_id, None) if customer else None


RETENTION: Final = timedelta(days=30)


@dataclass(frozen=True)
class DeletedLine:
    """A deleted user as the Deleted users tab shows it: its purge date and whole days left,
    counted in UTC and rounded up (30 on the day of deletion, 1 on the last day), and both
    times in the portal's zone, written here once (fifty rows of template date filters cost
    more than the rest of the page)."""

    row: DirectoryUser
    purge_at: datetime
    days_left: int

    @classmethod
    def of(cls, row: DirectoryUser, now: datetime) -> DeletedLine:
        deleted_at = row.deleted_at or now
        purge_at = deleted_at + RETENTION
        left = math.ceil((purge_at - now.astimezone(UTC)) / timedelta(days=1))
        return cls(row, purge_at, min(max(left, 0), RETENTION.days))

    @property
    def deleted_at(self) -> datetime:
        return self.row.deleted_at or self.purge_at - RETENTION

    @property
    def deleted(self) -> tuple[str, str]:
        """(ISO time, as shown) of the deletion."""
        return shown_time(self.deleted_at)

    @property
    def purge(self) -> tuple[str, str]:
        return shown_time(self.purge_at)


def shown_time(moment: datetime, zone: tzinfo | None = None) -> tuple[str, str]:
    """(ISO time, as shown) of `moment` in `zone` (by default the portal's current zone: pass
    it in when writing many)."""
    local = moment.astimezone(zone or timezone.get_current_timezone())
    return local.isoformat(), f"{local.day} {local:%b %Y %H:%M} {local.tzname()}"


# --- Licenses as the lists show them ----------------------------------------------------------

LICENSES_NOT_READ: Final = "—, not read yet"


def sku_names(skus: Iterable[SkuRow]) -> dict[str, str]:
    """SKU id -> its short name, for a customer's subscribed SKUs (`skus_of`)."""
    return {sku.id: short_sku_name(sku.name) for sku in skus}


def short_sku_name(name: str) -> str:
    """A product name without the "Microsoft 365" (or "Microsoft") most of them start with:
    "Business Basic", "Teams Essentials"; "Office 365 E3" stays as it is."""
    for prefix in ("Microsoft 365 ", "Microsoft "):
        if name.startswith(prefix) and name[len(prefix) :].strip():
            return name[len(prefix) :].strip()
    return name


def licenses_text(sku_ids: list[str] | None, names: dict[str, str]) -> str:
    """A user's licenses as the list shows them: "" for none, LICENSES_NOT_READ when unknown."""
    if sku_ids is None:
        return LICENSES_NOT_READ
    return ", ".join(sorted(names.get(sku_id, sku_id) for sku_id in sku_ids))


# --- Export ------------------------------------------------------------------------------------


EXPORT_HEADER: Final = (
    "Display name",
    "Username",
    "First name",
    "Last name",
    "Location",
    "Admin roles",
    "Licenses",
)


@dataclass(frozen=True)
class UsersExport:
    filename: str
    chunks: Iterator[bytes]  # formula-safe CSV, UTF-8 with BOM, made as it is sent


def users_export(*, actor: Actor, customer: DirectoryCustomer, query: UserListQuery) -> UsersExport:
    """The customer's active users matching the list's search, in its order, as CSV; audited.

    Read from the directory in chunks while the file is sent.
    """
    count = customer.users_count
    search = f" matching “{query.search}”" if query.search else ""
    search += " (filtered)" if query.filtered else ""
    audit_record(
        actor=actor,
        action=Action.USERS_EXPORT,
        succeeded=True,
        customer_id=customer.tenant_id,
        customer_name=customer.company_name,
        message=f"Exported the users{search} as CSV ({count} users in the customer).",
    )
    domain = re.sub(r"[^a-z0-9.-]", "", customer.domain.casefold()) or "customer"
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    return UsersExport(
        filename=f"users-{domain}-{stamp}.csv",
        chunks=csv_stream(_export_rows(customer, users_for_export(customer, query))),
    )


def _export_rows(
    customer: DirectoryCustomer, users: Iterator[DirectoryUser]
) -> Iterator[tuple[str, ...]]:
    yield EXPORT_HEADER
    names = sku_names(skus_of(customer))
    for batch in batched(users, 500):
        held = licenses_of(customer, [user.user_id for user in batch])
        for user in batch:
            yield (
                user.display_name,
                user.user_principal_name,
                user.first_name,
                user.last_name,
                user.usage_location,
                user.roles,
                licenses_text(held.get(user.user_id), names),
            )
