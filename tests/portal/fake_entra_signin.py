"""A fake Microsoft Entra for Sign in with Microsoft, at the HTTP boundary (`responses`).

It answers msal's tenant discovery and the authorization-code grant the way Entra does: the code
the browser brings back is exchanged for an id token (with the nonce of the sign-in it belongs
to, the user's `oid`, `groups`, ...), an access token and a refresh token. Codes are used once;
an unknown code or a wrong app secret gets an OAuth2 error body.

The browser's trip to Microsoft is played by `sign_in_with_microsoft`: it starts the sign-in
through the portal, reads the state and nonce from the address the portal sent the browser to,
and comes back to the callback with a code this fake will honour.
"""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import responses
from django.test import Client
from pytest_django import Settings
from requests import PreparedRequest

from tests.client_response import ClientResponse

TENANT_ID = "5f1c1a2b-0000-4000-8000-00000000c0de"
CLIENT_ID = "7d2e4f60-3333-4444-8555-000000000b42"
CLIENT_SECRET = "signin-secret-Zq4~not-a-real-secret-9x"
LOGIN = "https://login.microsoftonline.com"
OPENID_CONFIGURATION = f"{LOGIN}/{TENANT_ID}/v2.0/.well-known/openid-configuration"
AUTHORIZE_ENDPOINT = f"{LOGIN}/{TENANT_ID}/oauth2/v2.0/authorize"
TOKEN_ENDPOINT = f"{LOGIN}/{TENANT_ID}/oauth2/v2.0/token"

ADMIN_GROUP = "11111111-aaaa-4aaa-8aaa-000000000001"
HELPDESK_GROUP = "22222222-bbbb-4bbb-8bbb-000000000002"
SALES_GROUP = "33333333-cccc-4ccc-8ccc-000000000003"
OTHER_GROUP = "44444444-dddd-4ddd-8ddd-000000000004"
GROUP_ROLES = {
    ADMIN_GROUP: "Admin agent",
    HELPDESK_GROUP: "Helpdesk agent",
    SALES_GROUP: "Sales agent",
}

ANA_OID = "9a8b7c6d-2222-4333-8444-0000000000a1"
ANA = "ana.silva@contosopartner.example"


def entra_settings(settings: Settings) -> None:
    """Turn Sign in with Microsoft on, against this fake (pytest-django's `settings`)."""
    settings.PORTAL_ENTRA_SIGNIN = True
    settings.PORTAL_ENTRA_TENANT_ID = TENANT_ID
    settings.PORTAL_ENTRA_CLIENT_ID = CLIENT_ID
    settings.PORTAL_ENTRA_CLIENT_SECRET = CLIENT_SECRET
    settings.PORTAL_ENTRA_GROUP_ROLES = dict(GROUP_ROLES)
    settings.PORTAL_ENTRA_REDIRECT_URI = ""


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


@dataclass
class FakeEntraSignIn:
    """Entra's token service for the portal's sign-in app."""

    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    issued: list[str] = field(default_factory=list)  # every token and code it handed out
    grants: list[dict[str, str]] = field(default_factory=list)

    def register(self, rsps: responses.RequestsMock) -> None:
        rsps.add(
            responses.GET,
            OPENID_CONFIGURATION,
            json={
                "issuer": f"{LOGIN}/{TENANT_ID}/v2.0",
                "authorization_endpoint": AUTHORIZE_ENDPOINT,
                "token_endpoint": TOKEN_ENDPOINT,
            },
        )
        rsps.add_callback(responses.POST, TOKEN_ENDPOINT, callback=self._token)

    def code_for(self, claims: dict[str, Any]) -> str:
        """A code Entra would send back for a sign-in whose id token carries `claims`."""
        code = f"0.AUTHCODE-{len(self.codes) + 1:03d}-plaintext-code-marker"
        self.codes[code] = claims
        self.issued.append(code)
        return code

    def _token(self, request: PreparedRequest) -> tuple[int, dict[str, str], str]:
        body = request.body.decode() if isinstance(request.body, bytes) else request.body
        form = {key: values[0] for key, values in parse_qs(body).items()}
        self.grants.append(form)
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            return _error(401, "invalid_client", "AADSTS7000215: Invalid client secret provided.")
        if form.get("grant_type") != "authorization_code":
            return _error(400, "unsupported_grant_type", "Not faked.")
        claims = self.codes.pop(form.get("code", ""), None)
        if claims is None:
            return _error(
                400,
                "invalid_grant",
                "AADSTS54005: OAuth2 Authorization code was already redeemed.\r\nTrace ID: 1",
            )
        now = int(time.time())
        id_claims = {
            "iss": f"{LOGIN}/{TENANT_ID}/v2.0",
            "aud": CLIENT_ID,
            "tid": TENANT_ID,
            "iat": now,
            "nbf": now,
            "exp": now + 3600,
            **claims,
        }
        id_token = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(id_claims)}."
        number = len(self.issued) + 1
        access_token = f"AT-SIGNIN-{number:03d}-plaintext-access-marker"
        refresh_token = f"RT-SIGNIN-{number:03d}-plaintext-refresh-marker"
        self.issued += [id_token, access_token, refresh_token]
        answer = {
            "token_type": "Bearer",
            "expires_in": 3599,
            "scope": "openid profile offline_access",
            "access_token": access_token,
            "refresh_token": refresh_token,
            "id_token": id_token,
            "client_info": _b64({"uid": claims.get("oid", ""), "utid": TENANT_ID}),
        }
        return 200, {"Content-Type": "application/json"}, json.dumps(answer)


def _error(status: int, error: str, description: str) -> tuple[int, dict[str, str], str]:
    body = {"error": error, "error_description": description, "error_codes": [54005]}
    return status, {"Content-Type": "application/json"}, json.dumps(body)


@dataclass(frozen=True)
class Started:
    """A sign-in the portal started: where it sent the browser, and what that address said."""

    auth_uri: str
    state: str
    nonce_hash: str
    redirect_uri: str


def start(client: Client, next_page: str = "") -> Started:
    query = f"?{urlencode({'next': next_page})}" if next_page else ""
    response = client.get(f"/sign-in/microsoft/{query}")
    assert response.status_code == 302, response.status_code
    location = response["Location"]
    params = {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}
    return Started(location, params["state"], params["nonce"], params["redirect_uri"])


def claims_for(
    *,
    oid: str = ANA_OID,
    username: str = ANA,
    name: str = "Ana Silva",
    groups: list[str] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    claims: dict[str, Any] = {"oid": oid, "preferred_username": username, "name": name, **extra}
    if groups is not None:
        claims["groups"] = groups
    return claims


def sign_in_with_microsoft(
    client: Client, fake: FakeEntraSignIn, claims: dict[str, Any], next_page: str = ""
) -> ClientResponse:
    """The whole round trip: the portal sends the browser to Microsoft, Microsoft sends it back."""
    started = start(client, next_page)
    code = fake.code_for({**claims, "nonce": started.nonce_hash})
    return client.get("/sign-in/microsoft/callback/", {"code": code, "state": started.state})
