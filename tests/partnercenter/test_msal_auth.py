"""Live mode's sign-in: msal against a fake Entra at the HTTP boundary, cache encrypted in the DB.

Every test runs with all loggers at DEBUG (msal's included) and ends by checking that no token,
refresh token or the app secret reached a log line.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import nullcontext
from typing import Any

import msal
import pytest
import requests
import responses
from django.db import connection
from pytest_django import Settings

from portal import crypto
from portal.models import PartnerCenterTokenCache
from portal.partnercenter import Unauthorized, Unavailable, msal_auth, partner_center
from portal.partnercenter.connect import Connection, connect_with_refresh_token
from portal.partnercenter.msal_app import (
    APP_ONLY_SCOPE,
    RECONNECT,
    MsalConfig,
    SignInRefused,
    SignInRequired,
)
from portal.partnercenter.msal_auth import MsalAppOnlyTokenProvider, MsalTokenProvider
from tests.partnercenter.fake_identity import (
    CLIENT_ID,
    CLIENT_SECRET,
    TENANT,
    TENANT_GUID,
    TOKEN_ENDPOINT,
    USERNAME,
    FakeEntra,
    config,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def entra(rsps: responses.RequestsMock, _fakes_to_audit: list[FakeEntra]) -> FakeEntra:
    fake = FakeEntra()
    fake.register(rsps)
    _fakes_to_audit.append(fake)
    return fake


@pytest.fixture
def http_cache() -> dict[str, Any]:
    """msal's discovery cache for one simulated process (the module keeps one per process)."""
    return {}


@pytest.fixture(autouse=True)
def _fakes_to_audit(caplog: pytest.LogCaptureFixture) -> Iterator[list[FakeEntra]]:
    """Runs every test at DEBUG, then checks no token it issued nor the secret was logged."""
    caplog.set_level(logging.DEBUG)
    fakes: list[FakeEntra] = []
    yield fakes
    secrets = [CLIENT_SECRET]
    for fake in fakes:
        secrets += fake.issued_access_tokens + fake.issued_refresh_tokens
    records = caplog.get_records("setup") + caplog.get_records("call")
    logged = "\n".join(record.getMessage() for record in records)
    if any(fake.grants for fake in fakes):  # msal logged: the check below is not vacuous
        assert any(record.name.startswith("msal.") for record in records)
    for secret in secrets:
        assert secret not in logged


class Clock:
    """Moves `time.time` (which msal and the fast path both read) without waiting."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self._real = time.time
        self.offset = 0.0
        monkeypatch.setattr(time, "time", lambda: self._real() + self.offset)

    def advance(self, seconds: float) -> None:
        self.offset += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch)


def connect(entra: FakeEntra, http_cache: dict[str, Any]) -> Connection:
    return connect_with_refresh_token(
        entra.new_refresh_token(), config=config(), http_cache=http_cache
    )


def stored_cache_text() -> str:
    row = PartnerCenterTokenCache.objects.get()
    return crypto.decrypt(row.encrypted_cache)


def raw_stored_values() -> str:
    """Every column of the row as the database holds it, bypassing the model."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM portal_partnercentertokencache")
        return " ".join(str(value) for row in cursor.fetchall() for value in row)


def test_an_imported_refresh_token_becomes_the_shared_sign_in(
    entra: FakeEntra, http_cache: dict[str, Any]
) -> None:
    connected = connect(entra, http_cache)

    assert connected == Connection(username=USERNAME, name="Partner Admin", tenant_id=TENANT_GUID)
    row = PartnerCenterTokenCache.objects.get()
    assert row.connected_as == USERNAME
    assert row.last_success_at is not None
    assert len(entra.refresh_grants) == 1
    assert entra.refresh_grants[0]["scope"].split()[0:1] != []  # msal adds openid/profile
    assert "https://api.partnercenter.microsoft.com/user_impersonation" in (
        entra.refresh_grants[0]["scope"].split()
    )
    # The access token that came with the import is served from the cache.
    assert (
        MsalTokenProvider(config(), http_cache=http_cache).access_token()
        == (entra.issued_access_tokens[0])
    )
    assert len(entra.grants) == 1


def test_a_cached_access_token_is_reused_without_any_http_call(
    entra: FakeEntra, http_cache: dict[str, Any], rsps: responses.RequestsMock
) -> None:
    connect(entra, http_cache)
    calls_after_connect = len(rsps.calls)

    # Another process: its own discovery cache, the same database row.
    other_process = MsalTokenProvider(config(), http_cache={})
    tokens = {other_process.access_token(), other_process.access_token()}

    assert tokens == {entra.issued_access_tokens[0]}
    assert len(rsps.calls) == calls_after_connect


def test_an_expired_access_token_is_renewed_and_the_rotated_refresh_token_kept(
    entra: FakeEntra, http_cache: dict[str, Any], clock: Clock
) -> None:
    connect(entra, http_cache)
    first_rt, first_at = entra.issued_refresh_tokens[1], entra.issued_access_tokens[0]
    provider = MsalTokenProvider(config(), http_cache=http_cache)
    updated_before = PartnerCenterTokenCache.objects.get().updated_at

    clock.advance(3600)
    renewed = provider.access_token()

    assert renewed != first_at
    assert renewed == entra.issued_access_tokens[-1]
    assert entra.refresh_grants[-1]["refresh_token"] == first_rt
    rotated = entra.issued_refresh_tokens[-1]
    assert rotated in stored_cache_text()
    assert first_rt not in stored_cache_text()
    row = PartnerCenterTokenCache.objects.get()
    assert row.updated_at > updated_before
    # The stored, rotated refresh token is the one the next renewal presents, and it works.
    clock.advance(3600)
    assert provider.access_token() == entra.issued_access_tokens[-1]
    assert entra.refresh_grants[-1]["refresh_token"] == rotated


def test_an_access_token_inside_msals_five_minute_margin_counts_as_expired(
    entra: FakeEntra, http_cache: dict[str, Any], clock: Clock
) -> None:
    connect(entra, http_cache)

    clock.advance(3599 - 4 * 60)

    assert (
        MsalTokenProvider(config(), http_cache=http_cache).access_token()
        == (entra.issued_access_tokens[1])
    )
    assert len(entra.refresh_grants) == 2


def test_force_refresh_asks_the_identity_provider_for_a_new_token(
    entra: FakeEntra, http_cache: dict[str, Any]
) -> None:
    connect(entra, http_cache)
    provider = MsalTokenProvider(config(), http_cache=http_cache)

    fresh = provider.access_token(force_refresh=True)

    assert fresh == entra.issued_access_tokens[1]
    assert len(entra.refresh_grants) == 2
    assert provider.access_token() == fresh


def test_a_cache_that_did_not_change_is_not_written(
    entra: FakeEntra, http_cache: dict[str, Any]
) -> None:
    connect(entra, http_cache)
    before = PartnerCenterTokenCache.objects.get()

    MsalTokenProvider(config(), http_cache=http_cache).access_token()

    after = PartnerCenterTokenCache.objects.get()
    assert (after.encrypted_cache, after.updated_at) == (before.encrypted_cache, before.updated_at)


def test_invalid_grant_is_unauthorized_and_says_who_must_reconnect(
    entra: FakeEntra, http_cache: dict[str, Any], clock: Clock
) -> None:
    connect(entra, http_cache)
    entra.valid_refresh_tokens.clear()  # revoked, expired, or a new conditional-access policy
    clock.advance(3600)

    with pytest.raises(Unauthorized) as raised:
        MsalTokenProvider(config(), http_cache=http_cache).access_token()

    error = raised.value
    assert isinstance(error, SignInRequired)
    assert error.code == "invalid_grant"
    assert str(error).startswith(RECONNECT)
    assert "AADSTS70043" in str(error)
    assert "Trace ID" not in str(error)
    row = PartnerCenterTokenCache.objects.get()
    assert row.last_error == str(error)
    assert row.last_error_at is not None
    assert row.encrypted_cache  # kept: msal keeps the refresh token, a person decides


def test_a_success_after_an_error_clears_it(
    entra: FakeEntra, http_cache: dict[str, Any], clock: Clock
) -> None:
    connect(entra, http_cache)
    valid = set(entra.valid_refresh_tokens)
    entra.valid_refresh_tokens.clear()
    clock.advance(3600)
    provider = MsalTokenProvider(config(), http_cache={})
    with pytest.raises(SignInRequired):
        provider.access_token()

    entra.valid_refresh_tokens |= valid
    provider = MsalTokenProvider(config(), http_cache={})  # msal remembers a 400 for a minute
    provider.access_token()

    row = PartnerCenterTokenCache.objects.get()
    assert (row.last_error, row.last_error_at) == ("", None)


def test_without_a_stored_sign_in_it_is_unauthorized(entra: FakeEntra) -> None:
    with pytest.raises(SignInRequired, match="superuser must reconnect"):
        MsalTokenProvider(config(), http_cache={}).access_token()

    assert entra.grants == []


def test_the_database_never_holds_a_token_in_plain_text(
    entra: FakeEntra, http_cache: dict[str, Any], clock: Clock
) -> None:
    connect(entra, http_cache)
    clock.advance(3600)
    MsalTokenProvider(config(), http_cache=http_cache).access_token()

    raw = raw_stored_values()
    for token in entra.issued_access_tokens + entra.issued_refresh_tokens:
        assert token not in raw
    assert "secret" not in raw  # msal's cache keys its tokens as "secret"
    assert CLIENT_SECRET not in raw
    # ...while the decrypted cache does hold the current tokens.
    assert entra.issued_refresh_tokens[-1] in stored_cache_text()


def test_a_cache_encrypted_with_a_key_rotated_away_asks_for_a_reconnect(
    entra: FakeEntra, http_cache: dict[str, Any], settings: Settings
) -> None:
    connect(entra, http_cache)
    settings.PORTAL_ENCRYPTION_KEYS = [crypto.generate_key()]

    with pytest.raises(SignInRequired, match="rotated away"):
        MsalTokenProvider(config(), http_cache=http_cache).access_token()


def test_a_rotation_that_keeps_the_old_key_keeps_the_sign_in(
    entra: FakeEntra, http_cache: dict[str, Any], settings: Settings
) -> None:
    old = crypto.generate_key()
    settings.PORTAL_ENCRYPTION_KEYS = [old]
    connect(entra, http_cache)
    settings.PORTAL_ENCRYPTION_KEYS = [crypto.generate_key(), old]

    assert (
        MsalTokenProvider(config(), http_cache=http_cache).access_token()
        == (entra.issued_access_tokens[0])
    )


def test_a_wrong_app_secret_is_refused_and_named(entra: FakeEntra) -> None:
    wrong = MsalConfig(tenant_id=TENANT, client_id=CLIENT_ID, client_secret="not-the-secret")

    with pytest.raises(SignInRefused, match="PARTNER_CENTER_APP_SECRET") as raised:
        connect_with_refresh_token(entra.new_refresh_token(), config=wrong, http_cache={})

    assert raised.value.code == "invalid_client"
    assert not PartnerCenterTokenCache.objects.exists()


def test_an_unreachable_identity_provider_is_unavailable(
    entra: FakeEntra, http_cache: dict[str, Any], rsps: responses.RequestsMock, clock: Clock
) -> None:
    connect(entra, http_cache)
    rsps.replace(responses.POST, TOKEN_ENDPOINT, body=requests.ConnectionError("down"))
    clock.advance(3600)

    with pytest.raises(Unavailable, match="could not be reached"):
        MsalTokenProvider(config(), http_cache=http_cache).access_token()


def test_app_only_tokens_come_from_client_credentials_and_are_reused(entra: FakeEntra) -> None:
    provider = MsalAppOnlyTokenProvider(config(), cache=msal.TokenCache(), http_cache={})

    first = provider.access_token()
    again = provider.access_token()
    forced = provider.access_token(force_refresh=True)

    assert first == again == entra.issued_access_tokens[0]
    assert forced == entra.issued_access_tokens[1]
    assert [grant["grant_type"] for grant in entra.grants] == ["client_credentials"] * 2
    assert entra.grants[0]["scope"] == APP_ONLY_SCOPE


def test_live_mode_clients_get_the_msal_provider(settings: Settings) -> None:
    settings.SANDBOX_ENABLED = False
    settings.PARTNER_CENTER_TENANT_ID = TENANT
    settings.PARTNER_CENTER_APP_ID = CLIENT_ID
    settings.PARTNER_CENTER_APP_SECRET = CLIENT_SECRET

    client = partner_center()

    assert isinstance(client._tokens, MsalTokenProvider)
    assert client._tokens.config == config()
    assert CLIENT_SECRET not in repr(client._tokens.config)


def test_live_mode_without_the_app_settings_names_them(settings: Settings) -> None:
    settings.SANDBOX_ENABLED = False
    settings.PARTNER_CENTER_TENANT_ID = TENANT
    settings.PARTNER_CENTER_APP_ID = ""
    settings.PARTNER_CENTER_APP_SECRET = ""

    with pytest.raises(Exception, match="PARTNER_CENTER_APP_ID, PARTNER_CENTER_APP_SECRET"):
        partner_center()


def test_token_shaped_text_reaching_msals_loggers_is_redacted(
    caplog: pytest.LogCaptureFixture,
) -> None:
    jwt = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL2FwaSJ9.c2lnbmF0dXJlLXBhcnQ"
    refresh = "1.AXoA" + "x" * 60

    logging.getLogger("msal.application").debug("answer %s and %s", jwt, refresh)

    assert jwt not in caplog.text
    assert refresh not in caplog.text
    assert "answer [redacted] and [redacted]" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_two_processes_renewing_at_once_redeem_the_refresh_token_once(
    entra: FakeEntra, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    connect(entra, {})
    clock.advance(3600)
    # Two processes: no shared in-process lock, separate msal discovery caches; only the
    # database row is shared.
    monkeypatch.setattr(msal_auth, "PROCESS_LOCK", nullcontext())
    results: dict[str, Any] = {}

    def second_process() -> None:
        try:
            results["second"] = MsalTokenProvider(config(), http_cache={}).access_token()
        except Exception as error:  # pragma: no cover - reported by the assertion below
            results["second"] = error
        finally:
            connection.close()

    second = threading.Thread(target=second_process)

    def while_the_first_is_renewing() -> None:
        if second.is_alive() or "second" in results:
            return
        second.start()
        # The second process reaches the locked row and waits there; it must not get past it
        # while the first one holds the lock (joining with a timeout only bounds the check).
        second.join(timeout=0.5)
        results["second_was_blocked"] = second.is_alive()

    entra.on_refresh = while_the_first_is_renewing
    first = MsalTokenProvider(config(), http_cache={}).access_token()
    second.join(timeout=30)

    assert results["second_was_blocked"] is True
    assert results["second"] == first  # read the renewed cache instead of renewing again
    assert len(entra.refresh_grants) == 2  # the import, and one renewal
    assert entra.issued_refresh_tokens[-1] in stored_cache_text()
