"""Reading Partner Center into the directory.

`directory_customers_sync` reads the partner's customers list: new customers appear, renamed ones
change, and a customer Partner Center no longer returns is forgotten with everything mirrored of
it. `directory_customer_sync` reads one customer: its profile, domains, directory roles with their
members, subscribed SKUs, and its active and deleted users. The lists that do not depend on each
other are read at the same time (`PORTAL_DIRECTORY_SYNC_CONCURRENCY`), the users page after page
of 500 (continuation tokens only go forward), written as they arrive into a new generation, and
the customer is switched to that generation in one short transaction; then the old generation is
deleted in batches. A page sees the old mirror or the new one, never a mixture. The reading
itself is in `reading.py`, the rows' SQL in `rows.py`.

At most one sync of a customer runs at once across every process: a sync claims the customer
with a conditional update and renews its lease as it goes. A change the portal wrote through
after a sync began (Add user, a delete, a role...) wins over what that sync read: the switch
carries such rows over into the new generation.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from customers.directory.models import (
    DirectoryCustomer,
    DirectoryDomain,
    DirectoryRole,
    DirectoryRoleMember,
    DirectorySku,
    DirectoryUser,
    DirectoryUserLicenses,
    DirectoryUserSku,
)
from customers.directory.reading import CustomerRead, read_customer
from customers.directory.rows import (
    BATCH,
    copy_user,
    delete_generation,
    generations,
    insert_users,
    insert_words,
    licenses_count,
    mark_visible,
    refresh_statistics,
    roomy_sqlite_cache,
    sku_row,
    user_values,
    words_of,
)
from customers.directory.text import ascii_lower, joined, sort_key
from portal.partnercenter import (
    CustomerUser,
    Forbidden,
    PartnerCenterClient,
    PartnerCenterError,
)

logger = logging.getLogger("portal.directory")

# A running sync renews its lease with every page; one silent this long is taken to have died.
LEASE: Final = timedelta(seconds=120)
NO_ACCESS: Final = (
    "The partner has no delegated admin access to {company}: ask the customer to approve a "
    "delegated admin relationship in Partner Center."
)


def mode() -> str:
    """The mode rows are read and shown in: switching sandbox → live shows nothing of sandbox."""
    return str(settings.PARTNER_CENTER_MODE)


def mirrored_customers() -> QuerySet[DirectoryCustomer]:
    """This mode's customers."""
    return DirectoryCustomer.objects.filter(mode=mode())


# --- The customers list ----------------------------------------------------------------------


def directory_customers_sync(*, pc: PartnerCenterClient) -> int:
    """Mirror the partner's customers list; forget the customers it no longer returns.

    Returns how many customers the partner has. Raises PartnerCenterError (nothing changes).
    """
    now = timezone.now()
    listed = {customer.id: customer for customer in pc.customers.iter_all()}
    known = {row.tenant_id: row for row in mirrored_customers()}
    with transaction.atomic():
        changed: list[DirectoryCustomer] = []
        for tenant_id, customer in listed.items():
            name = customer.company_profile.company_name or tenant_id
            domain = customer.company_profile.domain or ""
            row = known.get(tenant_id)
            if row is None:
                continue
            row.company_name, row.name_key = name, sort_key(name)
            row.domain, row.listed_at = domain, now
            changed.append(row)
        DirectoryCustomer.objects.bulk_update(
            changed, ["company_name", "name_key", "domain", "listed_at"], batch_size=BATCH
        )
        new = [
            DirectoryCustomer(
                mode=mode(),
                tenant_id=tenant_id,
                company_name=customer.company_profile.company_name or tenant_id,
                name_key=sort_key(customer.company_profile.company_name or tenant_id),
                domain=customer.company_profile.domain or "",
                listed_at=now,
            )
            for tenant_id, customer in listed.items()
            if tenant_id not in known
        ]
        created = DirectoryCustomer.objects.bulk_create(new, batch_size=BATCH)
        DirectoryDomain.objects.bulk_create(
            [
                DirectoryDomain(
                    customer=row, name=row.domain, name_key=ascii_lower(row.domain), is_initial=True
                )
                for row in created
                if row.domain
            ],
            batch_size=BATCH,
        )
    gone = [row for tenant_id, row in known.items() if tenant_id not in listed]
    for row in gone:
        directory_forget(customer=row)
    refresh_statistics()
    return len(listed)


def directory_forget(*, customer: DirectoryCustomer) -> None:
    """Delete everything the directory holds about one customer, in batches."""
    for generation in generations(customer):
        delete_generation(customer, generation)
    customer.delete()


def directory_forget_all() -> int:
    """Empty the directory (every mode); returns how many customers it held."""
    customers = list(DirectoryCustomer.objects.all())
    for customer in customers:
        directory_forget(customer=customer)
    return len(customers)


# --- One customer ----------------------------------------------------------------------------


@dataclass
class SyncResult:
    tenant_id: str
    users: int = 0
    deleted: int = 0
    generation: int = 0
    seconds: float = 0.0
    claimed: bool = True  # False: another sync of this customer was under way


def directory_customer_claim(
    customer: DirectoryCustomer, *, now: datetime | None = None
) -> DirectoryCustomer | None:
    """Claim the customer's sync for this process, or None when another one holds it."""
    now = now or timezone.now()
    claimed = (
        DirectoryCustomer.objects.filter(pk=customer.pk)
        .filter(
            ~Q(sync_state=DirectoryCustomer.SYNC_RUNNING) | Q(sync_heartbeat_at__lt=now - LEASE)
        )
        .update(
            sync_state=DirectoryCustomer.SYNC_RUNNING,
            sync_started_at=now,
            sync_heartbeat_at=now,
            sync_users_read=0,
            sync_calls=0,
            sync_error="",
            sync_correlation_id="",
        )
    )
    return DirectoryCustomer.objects.get(pk=customer.pk) if claimed else None


def directory_customer_sync(
    *,
    pc: PartnerCenterClient,
    customer: DirectoryCustomer,
    concurrency: int | None = None,
    calls: Callable[[], int] = lambda: 0,
) -> SyncResult:
    """Read one customer from Partner Center into a new generation and switch to it.

    Returns without reading when another process is syncing the customer (`claimed` False).
    Raises PartnerCenterError after recording the failure on the customer (the old mirror stays).
    `calls` tells how many Partner Center calls were made so far (for the page's progress).
    """
    started = timezone.now()
    clock = time.perf_counter()
    claimed = directory_customer_claim(customer, now=started)
    if claimed is None:
        return SyncResult(customer.tenant_id, claimed=False)
    customer = claimed
    roomy_sqlite_cache()
    for generation in generations(customer):
        if generation > customer.generation:  # a crashed sync's leftovers
            delete_generation(customer, generation)
    new = customer.generation + 1
    writer = _GenerationWriter(customer, new, started, calls)
    try:
        read = read_customer(
            pc,
            customer.tenant_id,
            writer.add_active,
            concurrency or settings.PORTAL_DIRECTORY_SYNC_CONCURRENCY,
        )
        writer.finish(read)
        _switch(customer, new, started, read, writer)
    except BaseException as error:
        delete_generation(customer, new)
        _record_failure(customer, error)
        raise
    delete_generation(customer, new - 1)
    refresh_statistics()
    mark_visible()
    customer.refresh_from_db()
    return SyncResult(
        customer.tenant_id,
        users=customer.users_count,
        deleted=customer.deleted_count,
        generation=new,
        seconds=time.perf_counter() - clock,
    )


class _GenerationWriter:
    """Writes a sync's users into its generation, in batches as pages arrive."""

    def __init__(
        self,
        customer: DirectoryCustomer,
        generation: int,
        started: datetime,
        calls: Callable[[], int],
    ) -> None:
        self.customer = customer
        self.generation = generation
        self.started = started
        self.calls = calls
        self.user_ids: set[str] = set()

    def add_active(self, users: Iterator[CustomerUser]) -> None:
        batch: list[CustomerUser] = []
        for user in users:
            batch.append(user)
            if len(batch) >= BATCH:
                self._write(batch, DirectoryUser.ACTIVE)
                batch = []
        if batch:
            self._write(batch, DirectoryUser.ACTIVE)
        self._progress()

    def finish(self, read: CustomerRead) -> None:
        """The deleted users, then who holds which role."""
        deleted = [user for user in read.deleted if user.id and user.id not in self.user_ids]
        for start in range(0, len(deleted), BATCH):
            self._write(deleted[start : start + BATCH], DirectoryUser.DELETED)
        names = {role.id: role.name for role in read.roles}
        rows = DirectoryUser.objects.filter(
            customer=self.customer, generation=self.generation, user_id__in=list(read.members)
        )
        memberships = []
        for row in rows:
            role_ids = read.members[row.user_id]
            row.roles = joined(names.get(role_id, role_id) for role_id in role_ids)
            row.roles_key = sort_key(row.roles)
            memberships += [DirectoryRoleMember(user=row, role_id=role_id) for role_id in role_ids]
        DirectoryUser.objects.bulk_update(list(rows), ["roles", "roles_key"], batch_size=BATCH)
        DirectoryRoleMember.objects.bulk_create(memberships, batch_size=BATCH)

    def _write(self, users: list[CustomerUser], state: str) -> None:
        fresh = [user for user in users if user.id and user.id not in self.user_ids]
        self.user_ids.update(user.id for user in fresh if user.id)
        if not fresh:
            return
        now = timezone.now()
        rows = [
            user_values(self.customer.pk, self.generation, user, state, now=now) for user in fresh
        ]
        with transaction.atomic():
            pks = insert_users(self.customer.pk, self.generation, rows)
            insert_words(
                (
                    self.customer.pk,
                    self.generation,
                    pks[row["user_id"]],
                    row["display_key"],
                    state,
                    word,
                )
                for row in rows
                for word in words_of(row)
            )
        self._progress()

    def _progress(self) -> None:
        DirectoryCustomer.objects.filter(pk=self.customer.pk).update(
            sync_users_read=len(self.user_ids),
            sync_heartbeat_at=timezone.now(),
            sync_calls=self.calls(),
        )


def _switch(
    customer: DirectoryCustomer,
    new: int,
    started: datetime,
    read: CustomerRead,
    writer: _GenerationWriter,
) -> None:
    """Make generation `new` the customer's mirror, in one short transaction."""
    now = timezone.now()
    with transaction.atomic():
        locked = DirectoryCustomer.objects.select_for_update().get(pk=customer.pk)
        _carry_over_writes(locked, locked.generation, new, started)
        _replace_lists(locked, read, now)
        users = DirectoryUser.objects.filter(customer=locked, generation=new)
        locked.generation = new
        locked.users_count = users.filter(state=DirectoryUser.ACTIVE).count()
        locked.locations = locations_in(users)
        locked.deleted_count = users.filter(state=DirectoryUser.DELETED).count()
        locked.synced_at = started
        locked.access = DirectoryCustomer.ACCESS_DELEGATED
        if read.profile.company_name:
            locked.company_name = read.profile.company_name
            locked.name_key = sort_key(read.profile.company_name)
        locked.sync_state = DirectoryCustomer.SYNC_IDLE
        locked.sync_heartbeat_at = None
        locked.sync_users_read = locked.users_count
        locked.sync_calls = writer.calls()
        # Licences of users Partner Center no longer lists go with them.
        current = users.values("user_id")
        DirectoryUserLicenses.objects.filter(customer=locked).exclude(user_id__in=current).delete()
        DirectoryUserSku.objects.filter(customer=locked).exclude(user_id__in=current).delete()
        locked.licenses_read = licenses_count(locked)
        locked.save()


def _carry_over_writes(locked: DirectoryCustomer, old: int, new: int, started: datetime) -> None:
    """What the portal wrote through since this sync began wins over what it read."""
    for row in DirectoryUser.objects.filter(
        customer=locked, generation=old, written_at__gte=started
    ):
        DirectoryUser.objects.filter(customer=locked, generation=new, user_id=row.user_id).delete()
        copy_user(row, new)


def _replace_lists(locked: DirectoryCustomer, read: CustomerRead, now: datetime) -> None:
    """The customer's domains, directory roles and subscribed SKUs become those just read."""
    DirectoryDomain.objects.filter(customer=locked).delete()
    initial = read.profile.domain or locked.domain
    DirectoryDomain.objects.bulk_create(
        DirectoryDomain(
            customer=locked,
            name=name,
            name_key=ascii_lower(name),
            is_initial=ascii_lower(name) == ascii_lower(initial),
        )
        for name in read.domains or [initial]
    )
    DirectoryRole.objects.filter(customer=locked).delete()
    DirectoryRole.objects.bulk_create(
        DirectoryRole(customer=locked, role_id=role.id, name=role.name) for role in read.roles
    )
    DirectorySku.objects.filter(customer=locked).delete()
    DirectorySku.objects.bulk_create(sku_row(locked, sku, now) for sku in read.skus)


def locations_in(users: QuerySet[DirectoryUser]) -> list[str]:
    """The distinct usage locations of the active users among `users`, sorted."""
    active = users.filter(state=DirectoryUser.ACTIVE).exclude(usage_location="")
    return list(
        active.order_by("usage_location").values_list("usage_location", flat=True).distinct()
    )


def _record_failure(customer: DirectoryCustomer, error: BaseException) -> None:
    fields: dict[str, Any] = {
        "sync_state": DirectoryCustomer.SYNC_FAILED,
        "sync_heartbeat_at": None,
        "sync_error": str(error)[:2000] if isinstance(error, PartnerCenterError) else "",
    }
    if isinstance(error, PartnerCenterError):
        fields["sync_correlation_id"] = error.correlation_id or ""
    if isinstance(error, Forbidden):
        fields["access"] = DirectoryCustomer.ACCESS_NONE
        fields["sync_error"] = NO_ACCESS.format(company=customer.company_name)
    if not isinstance(error, PartnerCenterError):
        logger.exception("The sync of customer %s failed", customer.tenant_id)
        fields["sync_error"] = "The sync stopped unexpectedly; it will be tried again."
    DirectoryCustomer.objects.filter(pk=customer.pk).update(**fields)


__all__ = [
    "LEASE",
    "NO_ACCESS",
    "SyncResult",
    "directory_customer_claim",
    "directory_customer_sync",
    "directory_customers_sync",
    "directory_forget",
    "directory_forget_all",
    "mirrored_customers",
    "mode",
]
