"""A small customer in the sandbox for the user lifecycle view tests (add, update, reset, delete,
restore), and helpers to drive the forms as a browser would.

Import the fixtures into a test module: `from tests.users.lifecycle_support import scene  # noqa`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.test import Client
from django.test.utils import override_settings

from portal.models import AuditRecord
from portal.sandbox.models import (
    Customer,
    CustomerUser,
    LicenseAssignment,
    RoleMember,
)
from tests.client_response import ClientResponse
from tests.sandbox_data import (
    BUSINESS_BASIC,
    GLOBAL_ADMIN,
    HELPDESK_ADMIN,
    OFFICE_E3,
    deleted,
    make_customer,
    make_role,
    make_sku,
    make_user,
)

ROLE_NAMES = {GLOBAL_ADMIN: "Global Administrator", HELPDESK_ADMIN: "Helpdesk Administrator"}


@dataclass
class Scene:
    """Contoso: Alice (Global Administrator, the last E3 seat), Bob (a plain user), deleted Dora
    (plain) and Eve (a deleted Helpdesk Administrator)."""

    customer: Customer
    alice: CustomerUser
    bob: CustomerUser
    dora: CustomerUser
    eve: CustomerUser

    @property
    def id(self) -> str:
        return str(self.customer.pk)

    def users_url(self) -> str:
        return f"/customers/{self.id}/"

    def deleted_url(self) -> str:
        return f"/customers/{self.id}/deleted/"

    def add_url(self) -> str:
        return f"/customers/{self.id}/users/add/"

    def restore_url(self) -> str:
        return f"/customers/{self.id}/deleted/restore/"

    def user_url(self, user: CustomerUser, action: str = "") -> str:
        return f"/customers/{self.id}/users/{user.pk}/" + (f"{action}/" if action else "")


@pytest.fixture
def scene(db: None) -> Iterator[Scene]:
    cache.clear()
    customer = make_customer("Contoso", "contoso.onmicrosoft.com", custom_domain="contoso.com")
    global_admin = make_role(customer, GLOBAL_ADMIN, "Global Administrator")
    helpdesk_role = make_role(customer, HELPDESK_ADMIN, "Helpdesk Administrator")
    make_sku(
        customer, BUSINESS_BASIC, "Microsoft 365 Business Basic", "O365_BUSINESS_ESSENTIALS", 5
    )
    e3 = make_sku(customer, OFFICE_E3, "Office 365 E3", "ENTERPRISEPACK", 1)
    alice = make_user(
        customer, "alice", "Alice Admin", usage_location="US", first_name="Alice", last_name="Admin"
    )
    bob = make_user(
        customer, "bob", "Bob Builder", usage_location="GB", first_name="Bob", last_name="Builder"
    )
    RoleMember.objects.create(role=global_admin, user=alice)
    LicenseAssignment.objects.create(user=alice, sku=e3)  # the last E3 seat
    dora = deleted(make_user(customer, "dora", "Dora Deleted"), days_ago=2)
    eve = deleted(make_user(customer, "eve", "Eve Elevated"), days_ago=3)
    RoleMember.objects.create(role=helpdesk_role, user=eve)
    yield Scene(customer, alice, bob, dora, eve)
    cache.clear()


@pytest.fixture
def ticket_links() -> Iterator[None]:
    with override_settings(PORTAL_TICKET_URL_TEMPLATE="https://tickets.example/{ticket}"):
        yield


def signed_in(client: Client, staff: User) -> Client:
    client.force_login(staff)
    return client


_FORM_ID = re.compile(r'name="form_id" value="([0-9a-f-]{36})"')


def form_id_of(html: str) -> str:
    """The one-time id a rendering of the Add user form carries."""
    found: list[str] = _FORM_ID.findall(html)  # one group: the matched strings
    assert len(found) == 1, "the form carries exactly one one-time id"
    return found[0]


_RESET_FORM_ID = re.compile(r'name="reset-form_id" value="([0-9a-f-]{36})"')


def reset_form_id_of(html: str) -> str:
    """The one-time id a rendering of the Reset password form carries."""
    found: list[str] = _RESET_FORM_ID.findall(html)
    assert len(found) == 1, "the Reset password form carries exactly one one-time id"
    return found[0]


def reset_fields(client: Client, url: str, **fields: object) -> dict[str, object]:
    """The Reset password form as the user page at `url` leads to it (its confirmation page),
    with `fields` filled in."""
    form_id = reset_form_id_of(client.get(f"{url}reset-password/").content.decode())
    return {"reset-form_id": form_id, "reset-force_change_password": "on", **fields}


def add_fields(**overrides: object) -> dict[str, object]:
    fields: dict[str, object] = {
        "first_name": "Carol",
        "last_name": "Singer",
        "display_name": "Carol Singer",
        "alias": "carol",
        "domain": "contoso.com",
        "usage_location": "DE",
        "password_choice": "generate",
        "force_change_password": "on",
        "ticket": "INC-1234",
    }
    fields.update(overrides)
    return {key: value for key, value in fields.items() if value is not None}


def add_user(client: Client, scene: Scene, **overrides: object) -> tuple[str, ClientResponse]:
    """GET the form, POST it with its one-time id; returns (form id, response)."""
    form_id = form_id_of(client.get(scene.add_url()).content.decode())
    response = client.post(scene.add_url(), {**add_fields(**overrides), "form_id": form_id})
    return form_id, response


def audit(action: str) -> list[AuditRecord]:
    return list(AuditRecord.objects.filter(action=action).order_by("id"))


_PASSWORD = re.compile(r'id="temporary-password"[^>]*value="([^"]+)"', re.S)


def shown_password(html: str) -> str:
    match = _PASSWORD.search(html)
    assert match, "the answer shows a temporary password"
    return match.group(1)
