"""Fixtures for talking to the sandbox over HTTP (Django's test client) with arranged data.

The helpers the sandbox tests import (Api, Tenant, new_user...) are in support.py.
"""

from __future__ import annotations

import pytest
from django.test import Client

from portal.sandbox.models import (
    Customer,
    DirectoryRole,
    FaultSettings,
    LicenseAssignment,
    RoleMember,
    SubscribedSku,
)
from tests.sandbox.support import Api, Tenant
from tests.sandbox_data import (
    BUSINESS_BASIC,
    GLOBAL_ADMIN,
    HELPDESK_ADMIN,
    MINECRAFT,
    OFFICE_E3,
    USER_ADMIN,
    make_customer,
    make_user,
)


@pytest.fixture
def api() -> Api:
    # Through the whole middleware stack, CSRF checks on, as an API client would meet it.
    return Api(Client(enforce_csrf_checks=True))


@pytest.fixture
def faults(db: None) -> FaultSettings:
    return FaultSettings.current()


@pytest.fixture
def tenant(db: None) -> Tenant:
    customer = make_customer("Contoso Ltd", "contoso.onmicrosoft.com", custom_domain="contoso.com")
    alice = make_user(
        customer, "alice", "Alice Admin", first_name="Alice", last_name="Admin", usage_location="US"
    )
    bob = make_user(customer, "bob", "Bob Builder", usage_location="GB")
    roles = {
        role_id: DirectoryRole.objects.create(customer=customer, role_id=role_id, name=name)
        for role_id, name in [
            (GLOBAL_ADMIN, "Global Administrator"),
            (USER_ADMIN, "User Administrator"),
            (HELPDESK_ADMIN, "Helpdesk Administrator"),
        ]
    }
    RoleMember.objects.create(role=roles[GLOBAL_ADMIN], user=alice)
    basic = _subscribe_skus(customer)
    LicenseAssignment.objects.create(user=alice, sku=basic)
    return Tenant(customer, alice, bob)


def _subscribe_skus(customer: Customer) -> SubscribedSku:
    """Subscribe Business Basic, Office E3 and Minecraft Education; returns Business Basic."""
    basic = SubscribedSku.objects.create(
        customer=customer,
        sku_id=BUSINESS_BASIC,
        name="Microsoft 365 Business Basic",
        sku_part_number="O365_BUSINESS_ESSENTIALS",
        active_units=5,
        service_plans=[
            {
                "id": "9aaf7827-d63c-4b61-89c3-182f06f82e5c",
                "serviceName": "EXCHANGE_S_STANDARD",
                "displayName": "Exchange Online (Plan 1)",
            },
            {
                "id": "5dbe027f-2339-4123-9542-606e4d348a72",
                "serviceName": "SHAREPOINTSTANDARD",
                "displayName": "SharePoint (Plan 1)",
            },
        ],
    )
    SubscribedSku.objects.create(
        customer=customer,
        sku_id=OFFICE_E3,
        name="Office 365 E3",
        sku_part_number="ENTERPRISEPACK",
        active_units=1,
    )
    SubscribedSku.objects.create(
        customer=customer,
        sku_id=MINECRAFT,
        name="Minecraft Education",
        sku_part_number="MEE_STUDENT",
        license_group="group2",
        active_units=10,
    )
    return basic
