"""Fixtures for talking to the sandbox over HTTP (Django's test client) with arranged data."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from portal.sandbox.models import (
    Customer,
    CustomerUser,
    DirectoryRole,
    FaultSettings,
    LicenseAssignment,
    RoleMember,
    SubscribedSku,
)
from tests.sandbox_data import (  # noqa: F401 (re-exported for the sandbox tests)
    BUSINESS_BASIC,
    GLOBAL_ADMIN,
    HELPDESK_ADMIN,
    MINECRAFT,
    OFFICE_E3,
    USER_ADMIN,
    deleted,
    make_customer,
    make_user,
)

PASSWORD = "Sandbox!Pass123"


@dataclass
class ApiResponse:
    status: int
    headers: dict[str, str]
    raw: bytes

    def json(self) -> Any:
        return json.loads(self.raw.decode("utf-8-sig")) if self.raw else None

    @property
    def code(self) -> Any:
        return self.json()["code"]


class Api:
    """Partner Center's REST API at /sandbox/v1, spoken as a client would."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.token: str | None = "test-token"

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        request_id: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> ApiResponse:
        sent = {"Accept": "application/json", **(headers or {})}
        if self.token:
            sent["Authorization"] = f"Bearer {self.token}"
        if request_id:
            sent["MS-RequestId"] = request_id
        url = path if path.startswith("/sandbox/") else f"/sandbox/v1{path}"
        response = self.client.generic(
            method,
            url,
            data=json.dumps(body) if body is not None else "",
            content_type="application/json",
            headers=sent,
        )
        return ApiResponse(response.status_code, dict(response.headers), response.content)

    def get(self, path: str, **kwargs: Any) -> ApiResponse:
        return self.call("GET", path, **kwargs)

    def post(self, path: str, body: Any, **kwargs: Any) -> ApiResponse:
        return self.call("POST", path, body, **kwargs)

    def patch(self, path: str, body: Any, **kwargs: Any) -> ApiResponse:
        return self.call("PATCH", path, body, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> ApiResponse:
        return self.call("DELETE", path, **kwargs)

    def follow(self, page: ApiResponse) -> ApiResponse:
        """The next page, exactly as `links.next` says: its uri and its headers."""
        link = page.json()["links"]["next"]
        headers = {item["key"]: item["value"] for item in link["headers"]}
        uri = link["uri"]
        path = uri if uri.startswith("/v1/") else f"/v1{uri}"
        return self.call("GET", f"/sandbox{path}", headers=headers)


@pytest.fixture
def api() -> Api:
    # Through the whole middleware stack, CSRF checks on, as an API client would meet it.
    return Api(Client(enforce_csrf_checks=True))


@pytest.fixture
def faults(db: None) -> FaultSettings:
    return FaultSettings.current()


@dataclass
class Tenant:
    customer: Customer
    alice: CustomerUser
    bob: CustomerUser

    @property
    def id(self) -> str:
        return str(self.customer.id)

    @property
    def users(self) -> str:
        return f"/customers/{self.customer.id}/users"

    def user(self, user: CustomerUser | str) -> str:
        user_id = user.id if isinstance(user, CustomerUser) else user
        return f"{self.users}/{user_id}"


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
    LicenseAssignment.objects.create(user=alice, sku=basic)
    return Tenant(customer, alice, bob)


def new_user(tenant: Tenant, alias: str = "carol", **overrides: Any) -> dict[str, Any]:
    """A create body in the seed's REST example's shape."""
    body = {
        "usageLocation": "US",
        "userPrincipalName": f"{alias}@contoso.onmicrosoft.com",
        "firstName": "Carol",
        "lastName": "Singer",
        "displayName": "Carol Singer",
        "passwordProfile": {"password": PASSWORD, "forceChangePassword": True},
        "attributes": {"objectType": "CustomerUser"},
    }
    body.update(overrides)
    return body


def request_id() -> str:
    return str(uuid.uuid4())
