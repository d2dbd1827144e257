"""A fake Microsoft Entra token service at the HTTP boundary (`responses`), for msal.

It answers msal's tenant discovery and token requests for one tenant the way Entra does:
refresh-token grants rotate the refresh token (the old one stops working, which is stricter than
Entra and so catches a cache that loses the rotated one), client-credentials grants check the
app secret, and errors come as OAuth2 error bodies with status 400 or 401.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import pytest
import responses
from pytest_django import Settings
from requests import PreparedRequest

from portal import crypto
from portal.partnercenter import msal_app
from portal.partnercenter.msal_app import MsalConfig

TENANT = "contosopartner.onmicrosoft.com"
TENANT_GUID = "5f1c1a2b-0000-4000-8000-00000000c0de"
CLIENT_ID = "0b1e2c3d-1111-4222-8333-000000000a99"
CLIENT_SECRET = "app-secret-Kq8~not-a-real-secret-7d1"
USER_OID = "9a8b7c6d-2222-4333-8444-000000000001"
USERNAME = "admin@contosopartner.onmicrosoft.com"
LOGIN = "https://login.microsoftonline.com"
OPENID_CONFIGURATION = f"{LOGIN}/{TENANT}/v2.0/.well-known/openid-configuration"
TOKEN_ENDPOINT = f"{LOGIN}/{TENANT_GUID}/oauth2/v2.0/token"
SCOPE = "https://api.partnercenter.microsoft.com/user_impersonation"


def config() -> MsalConfig:
    return MsalConfig(tenant_id=TENANT, client_id=CLIENT_ID, client_secret=CLIENT_SECRET)


def live_mode(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """The portal in live mode with this tenant's app, an encryption key for its sign-in, and
    an empty msal discovery cache (it is process-wide: each test starts with none)."""
    settings.SANDBOX_ENABLED = False
    settings.PARTNER_CENTER_MODE = "live"
    settings.PARTNER_CENTER_TENANT_ID = TENANT
    settings.PARTNER_CENTER_APP_ID = CLIENT_ID
    settings.PARTNER_CENTER_APP_SECRET = CLIENT_SECRET
    settings.PORTAL_ENCRYPTION_KEYS = [crypto.generate_key()]
    monkeypatch.setattr(msal_app, "HTTP_CACHE", {})


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def id_token() -> str:
    now = int(time.time())
    claims = {
        "iss": f"{LOGIN}/{TENANT_GUID}/v2.0",
        "aud": CLIENT_ID,
        "sub": "subject-1",
        "oid": USER_OID,
        "tid": TENANT_GUID,
        "iat": now,
        "exp": now + 3600,
        "preferred_username": USERNAME,
        "name": "Partner Admin",
    }
    return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."


@dataclass
class FakeEntra:
    """The token service's state: which refresh tokens are valid, what it issued and was sent."""

    access_token_lifetime: int = 3599
    valid_refresh_tokens: set[str] = field(default_factory=set)
    issued_access_tokens: list[str] = field(default_factory=list)
    issued_refresh_tokens: list[str] = field(default_factory=list)
    grants: list[dict[str, str]] = field(default_factory=list)
    # Called with each refresh-token grant before it is answered (to interleave a second caller).
    on_refresh: Callable[[], object] | None = None

    def register(self, rsps: responses.RequestsMock) -> None:
        rsps.add(
            responses.GET,
            OPENID_CONFIGURATION,
            json={
                "issuer": f"{LOGIN}/{TENANT_GUID}/v2.0",
                "authorization_endpoint": f"{LOGIN}/{TENANT_GUID}/oauth2/v2.0/authorize",
                "token_endpoint": TOKEN_ENDPOINT,
                "device_authorization_endpoint": f"{LOGIN}/{TENANT_GUID}/oauth2/v2.0/devicecode",
            },
        )
        rsps.add_callback(responses.POST, TOKEN_ENDPOINT, callback=self._token)

    def new_refresh_token(self) -> str:
        token = f"RT-{len(self.issued_refresh_tokens) + 1:03d}-plaintext-refresh-marker"
        self.issued_refresh_tokens.append(token)
        self.valid_refresh_tokens.add(token)
        return token

    @property
    def refresh_grants(self) -> list[dict[str, str]]:
        return [grant for grant in self.grants if grant["grant_type"] == "refresh_token"]

    def _token(self, request: PreparedRequest) -> tuple[int, dict[str, str], str]:
        body = request.body.decode() if isinstance(request.body, bytes) else request.body
        form = {key: values[0] for key, values in parse_qs(body).items()}
        self.grants.append(form)
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            return self._error(401, "invalid_client", "AADSTS7000215: Invalid client secret.")
        if form["grant_type"] == "client_credentials":
            return self._answer({"access_token": self._access_token("APP")})
        if form["grant_type"] != "refresh_token":
            return self._error(400, "unsupported_grant_type", "Not faked.")
        if self.on_refresh is not None:
            self.on_refresh()
        presented = form["refresh_token"]
        if presented not in self.valid_refresh_tokens:
            return self._error(
                400,
                "invalid_grant",
                "AADSTS70043: The refresh token has expired or is invalid due to sign-in "
                "frequency checks by conditional access.\r\nTrace ID: 1\r\nCorrelation ID: 2",
            )
        self.valid_refresh_tokens.discard(presented)  # rotation: the old one is spent
        return self._answer(
            {
                "access_token": self._access_token("USER"),
                "refresh_token": self.new_refresh_token(),
                "id_token": id_token(),
                "client_info": _b64({"uid": USER_OID, "utid": TENANT_GUID}),
                "scope": SCOPE,
            }
        )

    def _access_token(self, kind: str) -> str:
        token = f"AT-{kind}-{len(self.issued_access_tokens) + 1:03d}-plaintext-access-marker"
        self.issued_access_tokens.append(token)
        return token

    def _answer(self, tokens: dict[str, str]) -> tuple[int, dict[str, str], str]:
        body = {
            "token_type": "Bearer",
            "expires_in": self.access_token_lifetime,
            "ext_expires_in": self.access_token_lifetime,
            **tokens,
        }
        return 200, {"Content-Type": "application/json"}, json.dumps(body)

    @staticmethod
    def _error(status: int, error: str, description: str) -> tuple[int, dict[str, str], str]:
        body = {"error": error, "error_description": description, "error_codes": [70043]}
        return status, {"Content-Type": "application/json"}, json.dumps(body)
