"""Talking to the sandbox over HTTP (Django's test client) as a Partner Center client would.

Shared by the sandbox tests; the fixtures that arrange data for them are in conftest.py.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from django.test import Client

from portal.sandbox.models import Customer, CustomerUser

PASSWORD = "Sandbox!Pass123"


@dataclass
class ApiResponse:
    status: int
    headers: dict[str, str]
    raw: bytes

    def json(self) -> Any:
        """The JSON document the answer carries (any JSON value), or None for an empty body."""
        return json.loads(self.raw.decode("utf-8-sig")) if self.raw else None

    @property
    def code(self) -> int:
        """The error code of an error answer."""
        code = self.json()["code"]
        assert isinstance(code, int), f"an error code is a number: {code!r}"
        return code


class Api:
    """Partner Center's REST API at /sandbox/v1, spoken as a client would."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.token: str | None = "test-token"

    def call(
        self,
        method: str,
        path: str,
        body: object = None,
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

    def get(
        self, path: str, *, request_id: str | None = None, headers: dict[str, str] | None = None
    ) -> ApiResponse:
        return self.call("GET", path, request_id=request_id, headers=headers)

    def post(
        self,
        path: str,
        body: object,
        *,
        request_id: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> ApiResponse:
        return self.call("POST", path, body, request_id=request_id, headers=headers)

    def patch(
        self,
        path: str,
        body: object,
        *,
        request_id: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> ApiResponse:
        return self.call("PATCH", path, body, request_id=request_id, headers=headers)

    def delete(
        self, path: str, *, request_id: str | None = None, headers: dict[str, str] | None = None
    ) -> ApiResponse:
        return self.call("DELETE", path, request_id=request_id, headers=headers)

    def follow(self, page: ApiResponse) -> ApiResponse:
        """The next page, exactly as `links.next` says: its uri and its headers."""
        link = page.json()["links"]["next"]
        headers = {item["key"]: item["value"] for item in link["headers"]}
        uri = link["uri"]
        path = uri if uri.startswith("/v1/") else f"/v1{uri}"
        return self.call("GET", f"/sandbox{path}", headers=headers)


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


def new_user(tenant: Tenant, alias: str = "carol", **overrides: object) -> dict[str, object]:
    """A create body in the seed's REST example's shape."""
    body: dict[str, object] = {
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
