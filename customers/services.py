"""The customers app's rules: the cached customers list, search, and what a Users page needs.

Views call these with a Partner Center client (`portal.partnercenter.partner_center()`) and catch
`PartnerCenterError` to show a message; nothing here renders.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from customers.selectors import UserListQuery, users_export_rows, users_matching
from customers.snapshots import (
    CustomerSnapshot,
    LoadProgress,
    load_claim,
    progress_get,
    snapshot_drop,
    snapshot_get,
    snapshot_load,
    snapshot_store,
)
from customers.tasks import load_customer_snapshot
from portal.audit import Action, Actor, audit_record
from portal.csvsafe import csv_bytes
from portal.partnercenter import PartnerCenterClient, PartnerCenterError

_CUSTOMERS_KEY = "customers:v1"


@dataclass(frozen=True)
class CustomerRow:
    id: str
    company_name: str
    domain: str

    def matches(self, query: str) -> bool:
        wanted = query.casefold()
        return wanted in self.company_name.casefold() or wanted in self.domain.casefold()


def customer_list(*, pc: PartnerCenterClient, refresh: bool = False) -> list[CustomerRow]:
    """Every customer of the partner, by company name, from the shared cache when warm."""
    if not refresh:
        cached: list[CustomerRow] | None = cache.get(_CUSTOMERS_KEY)
        if cached is not None:
            return cached
    rows = sorted(
        (
            CustomerRow(
                id=customer.id,
                company_name=customer.company_profile.company_name or customer.id,
                domain=customer.company_profile.domain or "",
            )
            for customer in pc.customers.iter_all()
        ),
        key=lambda row: row.company_name.casefold(),
    )
    cache.set(_CUSTOMERS_KEY, rows, settings.PORTAL_SNAPSHOT_TTL)
    return rows


def customer_search(*, pc: PartnerCenterClient, query: str) -> list[CustomerRow]:
    """Customers whose company name or initial domain contains `query` (any case)."""
    rows = customer_list(pc=pc)
    query = query.strip()
    return [row for row in rows if row.matches(query)] if query else rows


def customer_find(*, pc: PartnerCenterClient, customer_id: str) -> CustomerRow | None:
    return next((row for row in customer_list(pc=pc) if row.id == customer_id), None)


@dataclass(frozen=True)
class UserLookup:
    """Where a username typed on the dashboard leads."""

    customer_id: str
    user_id: str | None


def user_lookup(*, pc: PartnerCenterClient, username: str) -> UserLookup | None:
    """The customer a username's domain names and, when found there, the user.

    The domain may be any of a customer's domains (custom ones included), so the customer is found
    through Partner Center's domain filter rather than the cached list's initial domains.
    """
    _, at, domain = username.strip().rpartition("@")
    if not at or not domain:
        return None
    # The filter matches domains that *start* with the value: the snapshot's domains decide.
    for customer in pc.customers.search(domain=domain):
        state = users_snapshot_open(pc=pc, customer_id=customer.id)
        if not isinstance(state, CustomerSnapshot):  # still loading: land on the customer
            return UserLookup(customer.id, None)
        if domain.casefold() in {name.casefold() for name in state.domains}:
            user = state.user_by_username(username)
            return UserLookup(customer.id, user.id if user else None)
    return None


def users_snapshot_open(
    *, pc: PartnerCenterClient, customer_id: str
) -> CustomerSnapshot | LoadProgress:
    """The customer's snapshot, or the progress of its background load.

    Cold: a customer whose active users fit in one page (500) is read right here; a larger one is
    handed to a background task, and the page shows its progress until the snapshot is there.
    Raises PartnerCenterError (e.g. Forbidden without delegated access).
    """
    snapshot = snapshot_get(customer_id=customer_id)
    if snapshot is not None:
        return snapshot
    progress = progress_get(customer_id=customer_id)
    if progress is not None and progress.state == "loading":
        return progress
    first_page = pc.customers.by_id(customer_id).users.list(size=500)
    if not first_page.continuation_token:
        snapshot = snapshot_load(pc=pc, customer_id=customer_id, first_page=first_page)
        snapshot_store(snapshot)
        return snapshot
    if load_claim(customer_id=customer_id):
        load_customer_snapshot.enqueue(customer_id)
    return progress_get(customer_id=customer_id) or LoadProgress("loading")


def users_snapshot_refresh(*, customer_id: str) -> None:
    """Refresh: drop the snapshot so the next page view reads Partner Center again."""
    snapshot_drop(customer_id=customer_id)


def users_snapshot_poll(
    *, pc: PartnerCenterClient, customer_id: str
) -> CustomerSnapshot | LoadProgress:
    """What a page waiting for a background load shows next: the snapshot once it is stored,
    else the load's progress — a failed one included, which `users_snapshot_open` would quietly
    start again, so the person sees the error and decides to try again.

    With nothing under way (the load's lease ran out, or the cache was cleared) it opens again.
    """
    snapshot = snapshot_get(customer_id=customer_id)
    if snapshot is not None:
        return snapshot
    progress = progress_get(customer_id=customer_id)
    if progress is not None:
        return progress
    return users_snapshot_open(pc=pc, customer_id=customer_id)


@dataclass(frozen=True)
class UsersExport:
    filename: str
    content: bytes  # formula-safe CSV, UTF-8 with BOM (portal.csvsafe)
    rows: int


def users_export(
    *, pc: PartnerCenterClient, actor: Actor, customer_id: str, query: UserListQuery
) -> UsersExport | LoadProgress:
    """The customer's active users matching the list's search, in its order, as CSV; audited.

    Served from the snapshot like the list itself; while a large customer is still loading it
    answers the progress instead, and nothing leaves the portal. Raises PartnerCenterError (also
    audited, as a failed export).
    """
    try:
        state = users_snapshot_open(pc=pc, customer_id=customer_id)
    except PartnerCenterError as error:
        audit_record(
            actor=actor,
            action=Action.USERS_EXPORT,
            succeeded=False,
            customer_id=customer_id,
            error=error,
        )
        raise
    if isinstance(state, LoadProgress):
        return state
    rows = users_matching(snapshot=state, query=query)
    search = f" matching “{query.search}”" if query.search else ""
    audit_record(
        actor=actor,
        action=Action.USERS_EXPORT,
        succeeded=True,
        customer_id=customer_id,
        customer_name=state.company_name,
        message=f"Exported {len(rows)} users{search} as CSV.",
    )
    domain = re.sub(r"[^a-z0-9.-]", "", state.initial_domain.casefold()) or "customer"
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    return UsersExport(
        filename=f"users-{domain}-{stamp}.csv",
        content=csv_bytes(users_export_rows(rows)),
        rows=len(rows),
    )
