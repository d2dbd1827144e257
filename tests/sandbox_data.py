"""Arranging the sandbox's data directly, for tests (portal code never imports these models)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from portal.sandbox.models import Customer, CustomerUser, DirectoryRole, Domain, SubscribedSku

GLOBAL_ADMIN = "62e90394-69f5-4237-9190-012177145e10"
USER_ADMIN = "fe930be7-5e62-47db-91af-98c3a49a38b1"
HELPDESK_ADMIN = "729827e3-9c14-49f7-bb1b-9608f156bbb8"
BUSINESS_BASIC = "3b555118-da6a-4418-894f-7df1e2096870"
OFFICE_E3 = "6fd2c87f-b296-42f0-b197-1e91e994b900"
MINECRAFT = "4b95b3d5-0b7e-4b1a-9a1f-0f0f0f0f0f0f"


def make_customer(
    name: str, domain: str, *, delegated: bool = True, custom_domain: str | None = None
) -> Customer:
    customer = Customer.objects.create(
        company_name=name, allow_delegated_access=delegated, created_at=timezone.now()
    )
    Domain.objects.create(customer=customer, name=domain, is_initial=True)
    if custom_domain:
        Domain.objects.create(customer=customer, name=custom_domain)
    return customer


def make_user(customer: Customer, alias: str, name: str, **fields: Any) -> CustomerUser:
    domain = Domain.objects.get(customer=customer, is_initial=True).name
    now = timezone.now()
    return CustomerUser.objects.create(
        customer=customer,
        user_principal_name=f"{alias}@{domain}",
        display_name=name,
        password_last_set_at=now,
        created_at=now,
        **fields,
    )


def deleted(user: CustomerUser, days_ago: float) -> CustomerUser:
    user.state = CustomerUser.INACTIVE
    user.soft_deletion_time = timezone.now() - timedelta(days=days_ago)
    user.save()
    return user


def make_role(customer: Customer, role_id: str, name: str) -> DirectoryRole:
    return DirectoryRole.objects.create(customer=customer, role_id=role_id, name=name)


def make_sku(customer: Customer, sku_id: str, name: str, part: str, seats: int) -> SubscribedSku:
    return SubscribedSku.objects.create(
        customer=customer, sku_id=sku_id, name=name, sku_part_number=part, active_units=seats
    )
