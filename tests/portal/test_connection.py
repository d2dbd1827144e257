"""The Partner Center connection page: state, Connect (auth code flow + MFA), and the banner.

Microsoft's sign-in is faked at the HTTP boundary (`responses`, `FakeEntra`); the browser's trip
to the authorize page is played by the test: it reads the `state` and `nonce` from the URL the
portal redirected to and comes back to the callback with a code.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from pytest_django import DjangoAssertNumQueries, Settings
from requests import PreparedRequest

from portal import crypto
from portal.models import PartnerCenterTokenCache
from portal.partnercenter.msal_app import SignInRequired
from portal.partnercenter.msal_auth import MsalTokenProvider
from tests.partnercenter.fake_identity import (
    CLIENT_ID,
    CLIENT_SECRET,
    LOGIN,
    SCOPE,
    TENANT,
    TENANT_GUID,
    USER_OID,
    USERNAME,
    FakeEntra,
    _b64,
    config,
    live_mode,
)

pytestmark = pytest.mark.django_db

PAGE = "/partner-center/connection/"
CODE = "auth-code-0001-plaintext-code-marker"


class FakeEntraWithCodes(FakeEntra):
    """FakeEntra that also redeems one authorization code, issued for one nonce."""

    nonce_hash: str = ""
    amr: list[str] | None = ["pwd", "mfa"]  # replaced, never changed in place, by a test

    def _token(self, request: PreparedRequest) -> tuple[int, dict[str, str], str]:
        body = request.body.decode() if isinstance(request.body, bytes) else request.body
        form = {key: values[0] for key, values in parse_qs(body).items()}
        if form.get("grant_type") != "authorization_code":
            return super()._token(request)
        self.grants.append(form)
        if form.get("client_secret") != CLIENT_SECRET:
            return self._error(401, "invalid_client", "AADSTS7000215: Invalid client secret.")
        if form.get("code") != CODE or not form.get("code_verifier"):
            return self._error(400, "invalid_grant", "AADSTS70008: The code has expired.")
        claims: dict[str, Any] = {
            "iss": f"{LOGIN}/{TENANT_GUID}/v2.0",
            "aud": CLIENT_ID,
            "sub": "subject-1",
            "oid": USER_OID,
            "tid": TENANT_GUID,
            "iat": 1,
            "exp": 4_000_000_000,
            "nonce": self.nonce_hash,
            "preferred_username": USERNAME,
            "name": "Partner Admin",
        }
        if self.amr is not None:
            claims["amr"] = self.amr
        return self._answer(
            {
                "access_token": self._access_token("USER"),
                "refresh_token": self.new_refresh_token(),
                "id_token": f"{_b64({'alg': 'none'})}.{_b64(claims)}.",
                "client_info": _b64({"uid": USER_OID, "utid": TENANT_GUID}),
                "scope": SCOPE,
            }
        )


@pytest.fixture
def live(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    live_mode(settings, monkeypatch)


@pytest.fixture
def entra() -> Iterator[FakeEntraWithCodes]:
    fake = FakeEntraWithCodes()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        fake.register(rsps)
        yield fake


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def start_connect(client: Client, entra: FakeEntraWithCodes) -> dict[str, str]:
    """POST Connect; returns the authorize URL's parameters (the browser's trip to Microsoft)."""
    response = client.post(reverse("connection:connect"))
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == (
        f"{LOGIN}/{TENANT_GUID}/oauth2/v2.0/authorize"
    )
    params = {key: values[0] for key, values in parse_qs(location.query).items()}
    entra.nonce_hash = params["nonce"]
    return params


def test_only_a_superuser_sees_the_connection_page(
    client: Client, admin_agent: User, superuser: User
) -> None:
    assert client.get(PAGE).status_code == 302  # signed out: to the sign-in page
    assert signed_in(admin_agent).get(PAGE).status_code == 403
    assert signed_in(admin_agent).post(reverse("connection:connect")).status_code == 403
    page = signed_in(superuser).get(PAGE)
    assert page.status_code == 200
    assert "Sandbox" in page.content.decode()


def test_the_page_shows_mode_tenant_app_and_the_caches_state(live: None, superuser: User) -> None:
    page = signed_in(superuser).get(PAGE).content.decode()
    assert TENANT in page and CLIENT_ID in page
    assert "Not connected" in page and "Never" in page
    assert CLIENT_SECRET not in page


def test_connect_runs_the_auth_code_flow_with_mfa_and_stores_the_cache(
    live: None, entra: FakeEntraWithCodes, superuser: User
) -> None:
    client = signed_in(superuser)
    params = start_connect(client, entra)
    assert params["prompt"] == "login"
    assert params["code_challenge_method"] == "S256"
    assert params["redirect_uri"] == "http://testserver/partner-center/connection/callback/"
    assert json.loads(params["claims"])["access_token"]["amr"]["values"] == ["mfa"]

    done = client.get(reverse("connection:callback"), {"code": CODE, "state": params["state"]})

    assert done.status_code == 302
    row = PartnerCenterTokenCache.objects.get()
    assert row.connected_as == USERNAME
    assert row.last_success_at is not None and row.last_error == ""
    # Encrypted at rest: neither token appears in the stored cache.
    assert entra.issued_refresh_tokens[-1] not in row.encrypted_cache
    assert entra.issued_refresh_tokens[-1] in crypto.decrypt(row.encrypted_cache)
    page = client.get(PAGE).content.decode()
    assert f"Connected to Partner Center as {USERNAME}" in page
    assert "Reconnect" in page
    # Every process now gets tokens from it.
    assert MsalTokenProvider(config()).access_token().startswith("AT-USER-")


def test_a_sign_in_without_mfa_is_refused_and_nothing_is_stored(
    live: None, entra: FakeEntraWithCodes, superuser: User
) -> None:
    entra.amr = ["pwd"]
    client = signed_in(superuser)
    params = start_connect(client, entra)
    client.get(reverse("connection:callback"), {"code": CODE, "state": params["state"]})
    assert not PartnerCenterTokenCache.objects.exists()
    assert "without multi-factor authentication" in client.get(PAGE).content.decode()


def test_an_answer_for_another_connect_is_refused(
    live: None, entra: FakeEntraWithCodes, superuser: User
) -> None:
    client = signed_in(superuser)
    start_connect(client, entra)
    client.get(reverse("connection:callback"), {"code": CODE, "state": "forged-state"})
    assert not PartnerCenterTokenCache.objects.exists()
    assert "does not belong to this Connect" in client.get(PAGE).content.decode()
    # And the flow is used up: replaying the callback finds none.
    client.get(reverse("connection:callback"), {"code": CODE, "state": "forged-state"})
    assert "belongs to no Connect in progress" in client.get(PAGE).content.decode()


def test_microsofts_refusal_is_shown(
    live: None, entra: FakeEntraWithCodes, superuser: User
) -> None:
    client = signed_in(superuser)
    params = start_connect(client, entra)
    client.get(reverse("connection:callback"), {"code": "expired", "state": params["state"]})
    assert not PartnerCenterTokenCache.objects.exists()
    assert "AADSTS70008" in client.get(PAGE).content.decode()


def connect_once(client: Client, entra: FakeEntraWithCodes) -> None:
    params = start_connect(client, entra)
    client.get(reverse("connection:callback"), {"code": CODE, "state": params["state"]})


def test_a_rejected_refresh_token_raises_the_banner_for_every_staff_member(
    live: None,
    entra: FakeEntraWithCodes,
    superuser: User,
    admin_agent: User,
    sales_agent: User,
) -> None:
    su = signed_in(superuser)
    connect_once(su, entra)
    dashboard = reverse("customers:dashboard")
    assert "partner-center-banner" not in signed_in(sales_agent).get(PAGE).content.decode()

    # Entra stops accepting the stored refresh token (revoked, expired, password changed).
    entra.valid_refresh_tokens.clear()
    with pytest.raises(SignInRequired):
        MsalTokenProvider(config()).access_token(force_refresh=True)
    assert PartnerCenterTokenCache.objects.get().last_error

    for member in (admin_agent, sales_agent):
        page = signed_in(member).get(dashboard).content.decode()
        assert "partner-center-banner" in page
        assert "Partner Center sign-in is failing" in page
        assert "A superuser must reconnect it." in page
        assert reverse("connection:page") not in page.split("partner-center-banner")[1][:400]
    su_page = su.get(dashboard).content.decode()
    assert "partner-center-banner" in su_page
    assert f'href="{reverse("connection:page")}">Reconnect' in su_page

    # Reconnect clears it for everyone.
    connect_once(su, entra)
    assert "partner-center-banner" not in signed_in(sales_agent).get(dashboard).content.decode()


def test_sandbox_mode_shows_no_banner_and_needs_no_query(
    admin_agent: User, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    from portal.connection.services import connection_banner

    with django_assert_num_queries(0):
        assert connection_banner(user=admin_agent) is None
