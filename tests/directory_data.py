"""Hand-built directory mirrors for tests that need a customer's users without a sync."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from customers.directory.models import DirectoryCustomer, DirectoryDomain, DirectoryUser
from customers.directory.rows import index_words, user_row
from customers.directory.sync import mode
from customers.directory.text import ascii_lower, sort_key
from customers.directory.writes import _recount
from portal.partnercenter import USER_INACTIVE, CustomerUser


@dataclass(frozen=True)
class Person:
    user_id: str
    username: str
    display_name: str
    deleted_at: datetime | None = None


def mirror(
    *,
    tenant_id: str,
    company_name: str,
    domains: tuple[str, ...],
    people: tuple[Person, ...] = (),
    now: datetime | None = None,
) -> DirectoryCustomer:
    """A customer mirrored at generation 1 with these domains (the last one initial) and users;
    the same customer again if it exists already."""
    existing = DirectoryCustomer.objects.filter(mode=mode(), tenant_id=tenant_id).first()
    if existing is not None:
        return existing
    now = now or timezone.now()
    customer = DirectoryCustomer.objects.create(
        mode=mode(),
        tenant_id=tenant_id,
        company_name=company_name,
        name_key=sort_key(company_name),
        domain=domains[-1],
        listed_at=now,
        generation=1,
        synced_at=now,
        access=DirectoryCustomer.ACCESS_DELEGATED,
    )
    DirectoryDomain.objects.bulk_create(
        DirectoryDomain(
            customer=customer,
            name=name,
            name_key=ascii_lower(name),
            is_initial=name == domains[-1],
        )
        for name in domains
    )
    rows = [_user_row_of(customer, person, now) for person in people]
    DirectoryUser.objects.bulk_create(rows)
    index_words(DirectoryUser.objects.filter(customer=customer))
    _recount(customer)
    return customer


def _user_row_of(customer: DirectoryCustomer, person: Person, now: datetime) -> DirectoryUser:
    """The person's directory row at generation 1: deleted if it has a deletion time."""
    return user_row(
        customer,
        1,
        CustomerUser(
            id=person.user_id,
            user_principal_name=person.username,
            display_name=person.display_name,
            state=USER_INACTIVE if person.deleted_at else None,
            soft_deletion_time=person.deleted_at,
        ),
        DirectoryUser.DELETED if person.deleted_at else DirectoryUser.ACTIVE,
        now=now,
    )


def synced(tenant_id: str) -> DirectoryCustomer:
    """The customer as a sync from the sandbox leaves it in the directory (read now)."""
    from customers.directory.customer_queries import customer_get
    from customers.directory.sync import directory_customer_sync, directory_customers_sync
    from portal.partnercenter import partner_center

    pc = partner_center()
    directory_customers_sync(pc=pc)
    customer = customer_get(tenant_id)
    assert customer is not None, "the sandbox has no such customer"
    directory_customer_sync(pc=pc, customer=customer, concurrency=1)
    customer.refresh_from_db()
    return customer


def licenses_known(tenant_id: str) -> None:
    """Every active user's licenses in the directory, as the background scan leaves them (read
    from the sandbox's assignments in two bulk writes, not one call per user)."""
    from customers.directory.customer_queries import customer_get
    from customers.directory.models import DirectoryUserLicenses, DirectoryUserSku
    from customers.directory.user_queries import users_of
    from portal.sandbox.models import LicenseAssignment

    customer = customer_get(tenant_id)
    assert customer is not None
    now = timezone.now()
    users = list(users_of(customer).values_list("user_id", flat=True))
    DirectoryUserLicenses.objects.filter(customer=customer).delete()
    DirectoryUserSku.objects.filter(customer=customer).delete()
    DirectoryUserLicenses.objects.bulk_create(
        DirectoryUserLicenses(customer=customer, user_id=user_id, read_at=now) for user_id in users
    )
    held = LicenseAssignment.objects.filter(user__customer_id=tenant_id).values_list(
        "user_id", "sku__sku_id"
    )
    DirectoryUserSku.objects.bulk_create(
        DirectoryUserSku(customer=customer, user_id=str(user_id), sku_id=str(sku_id))
        for user_id, sku_id in held
    )
