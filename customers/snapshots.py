"""The per-customer snapshot: what a customer's pages need, read once and kept in the shared cache.

Partner Center has no user search and its continuation tokens only go forward, so the portal reads
a customer's company profile, domains, active and deleted users (all pages, 500 at a time),
directory roles with their members, and subscribed SKUs, keeps them in Django's cache (shared by
every process) for `PORTAL_SNAPSHOT_TTL` seconds, and serves search, sort, paging, the Deleted users
count and bulk validation from there: a warm page view costs no Partner Center call.

A customer whose users fit in one page is loaded inside the request. A larger one is loaded by a
background task while the page shows its progress, so no web worker is held for long. The
portal's own writes update or drop the snapshot; **Refresh** drops it. Decisions that guard
something (protected accounts) must read Partner Center live, never this.
"""

from __future__ import annotations

import pickle
import zlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import cached_property

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from portal.partnercenter import (
    CustomerUser,
    Page,
    PartnerCenterClient,
    PartnerCenterError,
)

RETENTION = timedelta(days=30)
_KEY = "snapshot:v1:{customer_id}"
_PROGRESS_KEY = "snapshot-progress:v1:{customer_id}"
# How long a started background load may go without progress before another may start.
_LOAD_LEASE_SECONDS = 120


@dataclass(frozen=True)
class UserRow:
    id: str
    user_principal_name: str
    display_name: str
    first_name: str = ""
    last_name: str = ""
    usage_location: str = ""
    roles: tuple[str, ...] = ()

    @cached_property
    def search_text(self) -> str:
        return f"{self.display_name}\n{self.user_principal_name}".casefold()


@dataclass(frozen=True)
class DeletedUserRow:
    id: str
    user_principal_name: str
    display_name: str
    deleted_at: datetime

    @property
    def purge_at(self) -> datetime:
        return self.deleted_at + RETENTION

    def days_left(self, now: datetime) -> int:
        """Whole days until the purge, counted in UTC and rounded down (0 on the last day)."""
        return max((self.purge_at - now.astimezone(UTC)) // timedelta(days=1), 0)


@dataclass(frozen=True)
class RoleRow:
    id: str
    name: str


@dataclass(frozen=True)
class SkuRow:
    id: str
    name: str
    part_number: str
    available: int
    total: int
    consumed: int


@dataclass(frozen=True)
class CustomerSnapshot:
    customer_id: str
    company_name: str
    initial_domain: str
    domains: tuple[str, ...]
    users: tuple[UserRow, ...]
    deleted_users: tuple[DeletedUserRow, ...]
    roles: tuple[RoleRow, ...]
    skus: tuple[SkuRow, ...]
    loaded_at: datetime

    @cached_property
    def _by_username(self) -> dict[str, UserRow]:
        return {user.user_principal_name.casefold(): user for user in self.users}

    def user_by_username(self, username: str) -> UserRow | None:
        """The active user with this username (any case), if the snapshot has one."""
        return self._by_username.get(username.casefold())

    def deleted_user_by_username(self, username: str) -> DeletedUserRow | None:
        wanted = username.casefold()
        return next(
            (u for u in self.deleted_users if u.user_principal_name.casefold() == wanted), None
        )

    def age(self, now: datetime | None = None) -> timedelta:
        return (now or timezone.now()) - self.loaded_at


@dataclass(frozen=True)
class LoadProgress:
    """How far a background load has come (kept in the cache beside the snapshot)."""

    state: str  # "loading" or "failed"
    users_read: int = 0
    started_at: datetime | None = None
    updated_at: datetime | None = None
    error: str = ""
    correlation_id: str = ""


# --- Reading and writing the cache ---------------------------------------------------------------


def snapshot_get(*, customer_id: str) -> CustomerSnapshot | None:
    """The cached snapshot of a customer, or None when it is cold."""
    packed = cache.get(_KEY.format(customer_id=customer_id))
    if packed is None:
        return None
    # The cache holds compressed pickles: a 5,000-user snapshot is a few hundred kB instead of
    # a few MB, which matters for the database cache.
    snapshot: CustomerSnapshot = pickle.loads(zlib.decompress(packed))  # noqa: S301 (our own data)
    return snapshot


def snapshot_store(snapshot: CustomerSnapshot) -> None:
    packed = zlib.compress(pickle.dumps(snapshot, protocol=pickle.HIGHEST_PROTOCOL), 3)
    cache.set(_KEY.format(customer_id=snapshot.customer_id), packed, settings.PORTAL_SNAPSHOT_TTL)
    cache.delete(_PROGRESS_KEY.format(customer_id=snapshot.customer_id))


def snapshot_drop(*, customer_id: str) -> None:
    """Forget the snapshot (Refresh, or a write the portal cannot apply to it exactly)."""
    cache.delete(_KEY.format(customer_id=customer_id))


def snapshot_update(
    *, customer_id: str, change: Callable[[CustomerSnapshot], CustomerSnapshot]
) -> None:
    """Apply one of the portal's own writes to the cached snapshot, if there is one.

    Two processes updating at once may lose one change; the snapshot is a cache with a short
    life and Refresh, and nothing that guards a decision reads it.
    """
    snapshot = snapshot_get(customer_id=customer_id)
    if snapshot is not None:
        snapshot_store(change(snapshot))


def progress_get(*, customer_id: str) -> LoadProgress | None:
    progress: LoadProgress | None = cache.get(_PROGRESS_KEY.format(customer_id=customer_id))
    return progress


def _progress_set(customer_id: str, progress: LoadProgress) -> None:
    cache.set(_PROGRESS_KEY.format(customer_id=customer_id), progress, _LOAD_LEASE_SECONDS)


def load_claim(*, customer_id: str) -> bool:
    """Claim the background load of a customer; False when another one is under way."""
    now = timezone.now()
    claimed = cache.add(
        _PROGRESS_KEY.format(customer_id=customer_id),
        LoadProgress("loading", started_at=now, updated_at=now),
        _LOAD_LEASE_SECONDS,
    )
    if claimed:
        return True
    current = progress_get(customer_id=customer_id)
    if current is not None and current.state == "failed":
        _progress_set(customer_id, LoadProgress("loading", started_at=now, updated_at=now))
        return True
    return False


# --- Loading from Partner Center ----------------------------------------------------------------


def snapshot_load(
    *,
    pc: PartnerCenterClient,
    customer_id: str,
    first_page: Page[CustomerUser] | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> CustomerSnapshot:
    """Read everything a customer's pages need from Partner Center (raises PartnerCenterError)."""
    customer = pc.customers.by_id(customer_id)
    profile = customer.company_profile()
    domains = tuple(customer.domains())
    roles = tuple(
        RoleRow(role.id, role.name)
        for role in sorted(customer.directory_roles.list(), key=lambda role: role.name)
    )
    roles_of: dict[str, list[str]] = {}
    for role in roles:
        for member in customer.directory_roles.by_id(role.id).user_members.iter_all(size=500):
            roles_of.setdefault(member.id, []).append(role.name)

    users: list[UserRow] = []
    page = first_page or customer.users.list(size=500)
    seen: set[str] = set()
    while True:
        for user in page.items:
            if user.id and user.id not in seen:
                seen.add(user.id)
                users.append(_user_row(user, roles_of.get(user.id, [])))
        if on_progress:
            on_progress(len(users))
        if not page.continuation_token:
            break
        page = customer.users.list(continuation=page.continuation_token)

    deleted = [
        DeletedUserRow(
            id=user.id or "",
            user_principal_name=user.user_principal_name or "",
            display_name=user.display_name or "",
            deleted_at=user.soft_deletion_time or timezone.now(),
        )
        for user in customer.users.iter_deleted()
    ]
    skus = tuple(
        SkuRow(
            id=sku.product_sku.id,
            name=sku.product_sku.name or sku.product_sku.sku_part_number or sku.product_sku.id,
            part_number=sku.product_sku.sku_part_number or "",
            available=sku.available_units or 0,
            total=sku.total_units or 0,
            consumed=sku.consumed_units or 0,
        )
        for sku in customer.subscribed_skus.list()
    )
    return CustomerSnapshot(
        customer_id=customer_id,
        company_name=profile.company_name or "",
        initial_domain=profile.domain or (domains[0] if domains else ""),
        domains=domains,
        users=tuple(sorted(users, key=lambda row: row.display_name.casefold())),
        deleted_users=tuple(sorted(deleted, key=lambda row: row.deleted_at)),
        roles=roles,
        skus=skus,
        loaded_at=timezone.now(),
    )


def _user_row(user: CustomerUser, roles: list[str]) -> UserRow:
    return UserRow(
        id=user.id or "",
        user_principal_name=user.user_principal_name or "",
        display_name=user.display_name or "",
        first_name=user.first_name or "",
        last_name=user.last_name or "",
        usage_location=user.usage_location or "",
        roles=tuple(sorted(roles)),
    )


def snapshot_load_in_background(*, pc: PartnerCenterClient, customer_id: str) -> None:
    """The task body: load, report progress as pages arrive, store or record the failure."""
    started = timezone.now()

    def report(users_read: int) -> None:
        now = timezone.now()
        _progress_set(customer_id, LoadProgress("loading", users_read, started, now))

    try:
        snapshot = snapshot_load(pc=pc, customer_id=customer_id, on_progress=report)
    except PartnerCenterError as error:
        _progress_set(
            customer_id,
            LoadProgress(
                "failed",
                started_at=started,
                updated_at=timezone.now(),
                error=str(error),
                correlation_id=error.correlation_id or "",
            ),
        )
        raise
    snapshot_store(snapshot)


def with_user(snapshot: CustomerSnapshot, row: UserRow) -> CustomerSnapshot:
    """The snapshot with an active user added or replaced (and gone from the deleted users)."""
    users = [user for user in snapshot.users if user.id != row.id] + [row]
    return replace(
        snapshot,
        users=tuple(sorted(users, key=lambda user: user.display_name.casefold())),
        deleted_users=tuple(user for user in snapshot.deleted_users if user.id != row.id),
    )
