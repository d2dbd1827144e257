"""The reads of customers: finding one (by Partner Center id, company name or domain, within the
customers a caller may see), the mirror's health, and what forms and the users list's filters
offer for a customer (its domains, directory roles, subscribed SKUs, usage locations and how far
the license scan has read). Each an indexed query; nothing here calls Partner Center or loads a
whole customer. A customer's users are read in `customers.directory.user_queries`.

Also what every list shares: the customers a caller may see (`CustomerIds`), how long a search
may be (`clean_query`) and the page size.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from django.db.models import Count, Min, Q, QuerySet

from customers.directory.models import (
    DirectoryCustomer,
    DirectoryDomain,
    DirectoryRole,
    DirectorySku,
)
from customers.directory.sync import mirrored_customers, mode
from customers.directory.text import ascii_lower, fold

# The customers a caller may see, by Partner Center id (lower case); None: every customer. The
# directory knows nothing of staff: the screens ask the access rules and pass the set down.
CustomerIds = frozenset[str] | None

# How long a search may be: the boxes say 200, anything longer is someone typing into the URL.
MAX_QUERY: Final = 200
PAGE_SIZE: Final = 50


def clean_query(raw: str) -> str:
    return raw.strip()[:MAX_QUERY]


# --- Customers ---------------------------------------------------------------------------------


def customer_get(tenant_id: str) -> DirectoryCustomer | None:
    """A customer of this mode by its Partner Center id."""
    return mirrored_customers().filter(tenant_id=str(tenant_id).lower()).first()


def customers_matching(
    query: str, *, customer_ids: CustomerIds = None
) -> QuerySet[DirectoryCustomer]:
    """Customers whose company name contains `query` (folded) or one of whose domains does
    (ASCII lower case), by company name; only those of `customer_ids` when given."""
    customers = within(mirrored_customers(), customer_ids).order_by("name_key", "tenant_id")
    query = clean_query(query)
    if not query:
        return customers
    by_domain = DirectoryDomain.objects.filter(name_key__contains=ascii_lower(query))
    return customers.filter(
        Q(name_key__contains=fold(query)) | Q(pk__in=by_domain.values("customer_id"))
    )


def customer_by_domain(
    domain: str, *, customer_ids: CustomerIds = None
) -> DirectoryCustomer | None:
    """The customer one of whose domains is exactly `domain` (any case)."""
    found = DirectoryDomain.objects.filter(
        name_key=ascii_lower(domain.strip()), customer__mode=mode()
    ).select_related("customer")
    if customer_ids is not None:
        found = found.filter(customer__tenant_id__in=customer_ids)
    row = found.first()
    return row.customer if row else None


def within(
    customers: QuerySet[DirectoryCustomer], customer_ids: CustomerIds
) -> QuerySet[DirectoryCustomer]:
    """`customers` narrowed to `customer_ids` (all of them for None)."""
    return customers if customer_ids is None else customers.filter(tenant_id__in=customer_ids)


@dataclass(frozen=True)
class DirectoryHealth:
    """How much of the partner's customers list is mirrored, and how fresh."""

    customers: int
    mirrored: int
    no_access: int
    oldest: datetime | None  # the least recently read mirror
    reading: int  # syncs queued or under way


def directory_health(*, customer_ids: CustomerIds = None) -> DirectoryHealth:
    """Counted in one pass over the customers (a few hundred rows), not a query a figure; of
    `customer_ids` only when given, so nobody learns how many customers others look after."""
    reading = [DirectoryCustomer.SYNC_QUEUED, DirectoryCustomer.SYNC_RUNNING]
    figures = within(mirrored_customers(), customer_ids).aggregate(
        customers=Count("pk"),
        mirrored=Count("pk", filter=Q(synced_at__isnull=False)),
        no_access=Count("pk", filter=Q(access=DirectoryCustomer.ACCESS_NONE)),
        oldest=Min("synced_at"),  # NULL (never read) is left out
        reading=Count("pk", filter=Q(sync_state__in=reading)),
    )
    return DirectoryHealth(**figures)


# --- What forms and filters offer for a customer -----------------------------------------------


def domains_of(customer: DirectoryCustomer) -> list[str]:
    """The customer's domains, in alphabetical order."""
    rows = customer.domains.order_by("name_key")
    return [row.name for row in rows]


@dataclass(frozen=True)
class RoleRow:
    """A directory role as forms offer it: `id` is Partner Center's."""

    id: str
    name: str


@dataclass(frozen=True)
class SkuRow:
    """A subscribed SKU as forms offer it, with its seats as last read."""

    id: str
    name: str
    part_number: str
    available: int
    total: int
    consumed: int


def roles_of(customer: DirectoryCustomer) -> list[RoleRow]:
    """The customer's directory roles, by name."""
    rows: Iterable[DirectoryRole] = customer.roles.order_by("name")
    return [RoleRow(row.role_id, row.name) for row in rows]


def skus_of(customer: DirectoryCustomer) -> list[SkuRow]:
    """The customer's subscribed SKUs, by name."""
    rows: Iterable[DirectorySku] = customer.skus.order_by("name")
    return [
        SkuRow(row.sku_id, row.name, row.part_number, row.available, row.total, row.consumed)
        for row in rows
    ]


def role_names(customer: DirectoryCustomer) -> dict[str, str]:
    """Role id → name, for naming roles in steps and audit records."""
    return dict(customer.roles.values_list("role_id", "name"))


@dataclass(frozen=True)
class Choices:
    """What forms offer for a customer: its domains, directory roles and subscribed SKUs."""

    domains: list[str]
    roles: list[RoleRow]
    skus: list[SkuRow]

    @property
    def role_names(self) -> dict[str, str]:
        return {role.id: role.name for role in self.roles}

    @property
    def sku_names(self) -> dict[str, str]:
        return {sku.id: sku.name for sku in self.skus}


def choices_of(customer: DirectoryCustomer) -> Choices | None:
    """The customer's choices, or None while it has never been read."""
    if not customer.mirrored:
        return None
    return Choices(domains_of(customer), roles_of(customer), skus_of(customer))


def locations_of(customer: DirectoryCustomer) -> list[str]:
    """The usage locations the customer's active users have (the Location filter's choices),
    as the last sync found them and the portal's own changes added to them."""
    return list(customer.locations)
