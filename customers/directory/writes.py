"""Write-through: the portal's own changes, written into the directory from Partner Center's
answers in the same service call, so nothing the portal did makes a customer stale.

Each write locks the customer's row and writes into its current generation with `written_at`
set: a sync that began before the write carries the row over when it switches (see `sync`).
A customer the directory does not hold yet is left alone: its first sync will read the user.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from customers.directory.models import (
    DirectoryCustomer,
    DirectoryRoleMember,
    DirectoryUser,
    DirectoryUserLicenses,
    DirectoryUserSku,
)
from customers.directory.rows import index_words, licenses_count, user_row
from customers.directory.sync import mirrored_customers
from customers.directory.text import joined, sort_key
from portal.partnercenter import CustomerUser


def directory_user_write(
    *,
    tenant_id: str,
    user: CustomerUser,
    roles: Sequence[tuple[str, str]] | None = None,
    sku_ids: Iterable[str] | None = None,
) -> None:
    """Write a user as Partner Center just answered it (created, changed, restored, or read live
    by the user page), with its roles (id, name) and licenses when the caller knows them."""
    if not user.id:
        return
    now = timezone.now()
    with transaction.atomic():
        customer = _locked(tenant_id)
        if customer is None:
            return
        state = DirectoryUser.DELETED if user.is_deleted else DirectoryUser.ACTIVE
        existing = _row(customer, user.id)
        role_ids: list[str]
        if roles is not None:
            role_ids, names = [role_id for role_id, _ in roles], [name for _, name in roles]
        elif existing is not None:
            role_ids = list(existing.memberships.values_list("role_id", flat=True))
            names = existing.roles.split(", ") if existing.roles else []
        else:
            role_ids, names = [], []
        row = user_row(customer, customer.generation, user, state, now=now, roles=names)
        row.written_at = now
        if existing is not None:
            if state == DirectoryUser.DELETED and not user.soft_deletion_time:
                row.deleted_at = existing.deleted_at or now
            existing.delete()  # its words and memberships go with it
        row.save()
        index_words([row])
        DirectoryRoleMember.objects.bulk_create(
            DirectoryRoleMember(user=row, role_id=role_id) for role_id in role_ids
        )
        if state == DirectoryUser.ACTIVE and row.usage_location not in ("", *customer.locations):
            customer.locations = sorted([*customer.locations, row.usage_location])
            customer.save(update_fields=["locations"])
        _recount(customer)
    if sku_ids is not None:
        directory_user_licenses(tenant_id=tenant_id, user_id=user.id, sku_ids=sku_ids)


def directory_user_deleted(*, tenant_id: str, user_id: str, at: datetime | None = None) -> None:
    """The user was deleted (softly): it moves to the Deleted users."""
    now = timezone.now()
    with transaction.atomic():
        customer = _locked(tenant_id)
        row = _row(customer, user_id) if customer else None
        if customer is None or row is None:
            return
        row.state, row.deleted_at = DirectoryUser.DELETED, at or now
        row.written_at = row.confirmed_at = now
        row.save(update_fields=["state", "deleted_at", "written_at", "confirmed_at"])
        row.words.update(state=row.state)
        _recount(customer)


def directory_user_roles(
    *, tenant_id: str, user_id: str, added: Sequence[tuple[str, str]], removed: Iterable[str]
) -> None:
    """Roles given (id, name) and taken away (ids) through the portal."""
    now = timezone.now()
    gone = set(removed)
    with transaction.atomic():
        customer = _locked(tenant_id)
        row = _row(customer, user_id) if customer else None
        if customer is None or row is None:
            return
        names = dict(customer.roles.values_list("role_id", "name"))
        held = {
            role_id: names.get(role_id, role_id)
            for role_id in row.memberships.values_list("role_id", flat=True)
        }
        for role_id in gone:
            held.pop(role_id, None)
        held.update(added)
        row.memberships.all().delete()
        DirectoryRoleMember.objects.bulk_create(
            DirectoryRoleMember(user=row, role_id=role_id) for role_id in held
        )
        row.roles = joined(held.values())
        row.roles_key = sort_key(row.roles)
        row.written_at = row.confirmed_at = now
        row.save(update_fields=["roles", "roles_key", "written_at", "confirmed_at"])


def directory_user_licenses(*, tenant_id: str, user_id: str, sku_ids: Iterable[str]) -> None:
    """The user's licenses as Partner Center answered them (read live, or just changed)."""
    customer = mirrored_customers().filter(tenant_id=tenant_id).first()
    if customer is None:
        return
    licenses_write(customer, {user_id: sku_ids}, read_at=timezone.now())


def licenses_write(
    customer: DirectoryCustomer, held: Mapping[str, Iterable[str]], *, read_at: datetime
) -> None:
    """Several users' licenses as just read (user id -> SKU ids), in one transaction, and the
    customer's count of users whose licenses are known."""
    with transaction.atomic():
        # One writer of a customer's licenses at a time, so that each counts what the other wrote.
        locked = DirectoryCustomer.objects.select_for_update().filter(pk=customer.pk)
        if not locked.exists():
            return  # forgotten meanwhile
        for user_id in held:
            DirectoryUserLicenses.objects.update_or_create(
                customer=customer, user_id=user_id, defaults={"read_at": read_at}
            )
        DirectoryUserSku.objects.filter(customer=customer, user_id__in=list(held)).delete()
        DirectoryUserSku.objects.bulk_create(
            DirectoryUserSku(customer=customer, user_id=user_id, sku_id=sku_id)
            for user_id, sku_ids in held.items()
            for sku_id in dict.fromkeys(sku_ids)
        )
        customer.licenses_read = licenses_count(customer)
        locked.update(licenses_read=customer.licenses_read)


def _locked(tenant_id: str) -> DirectoryCustomer | None:
    return mirrored_customers().select_for_update().filter(tenant_id=tenant_id).first()


def _row(customer: DirectoryCustomer, user_id: str) -> DirectoryUser | None:
    return DirectoryUser.objects.filter(
        customer=customer, generation=customer.generation, user_id=user_id
    ).first()


def _recount(customer: DirectoryCustomer) -> None:
    users = DirectoryUser.objects.filter(customer=customer, generation=customer.generation)
    customer.users_count = users.filter(state=DirectoryUser.ACTIVE).count()
    customer.deleted_count = users.filter(state=DirectoryUser.DELETED).count()
    customer.save(update_fields=["users_count", "deleted_count"])
