"""`manage.py partnercenter_connect`: a refresh token from standard input becomes the sign-in."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from io import StringIO

import pytest
import responses
from django.core.management import CommandError, call_command
from pytest_django import Settings

from portal.models import PartnerCenterTokenCache
from portal.partnercenter.msal_auth import MsalTokenProvider
from tests.partnercenter.fake_identity import (
    CLIENT_SECRET,
    TENANT_GUID,
    USERNAME,
    FakeEntra,
    config,
    live_mode,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def live(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    live_mode(settings, monkeypatch)


@pytest.fixture
def entra() -> Iterator[FakeEntra]:
    fake = FakeEntra()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        fake.register(rsps)
        yield fake


def run(stdin: str) -> str:
    out = StringIO()
    call_command("partnercenter_connect", stdin=StringIO(stdin), stdout=out, stderr=StringIO())
    return out.getvalue()


def logged(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(record.getMessage() for record in caplog.records)


def test_it_connects_and_says_who_without_printing_any_token(
    live: None, entra: FakeEntra, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    refresh_token = entra.new_refresh_token()

    output = run(f"{refresh_token}\n")

    assert f"Connected to Partner Center as {USERNAME} (Partner Admin)" in output
    assert TENANT_GUID in output
    secrets = [*entra.issued_access_tokens, *entra.issued_refresh_tokens, CLIENT_SECRET]
    assert len(secrets) == 4  # the imported and the rotated refresh token, too
    for secret in secrets:
        assert secret not in output
        assert secret not in logged(caplog)
        assert secret not in PartnerCenterTokenCache.objects.get().encrypted_cache
    # The stored sign-in is the one every process now uses.
    assert (
        MsalTokenProvider(config(), http_cache={}).access_token() == (entra.issued_access_tokens[0])
    )


def test_a_new_import_replaces_the_previous_sign_in(live: None, entra: FakeEntra) -> None:
    run(entra.new_refresh_token())
    run(entra.new_refresh_token())

    assert PartnerCenterTokenCache.objects.count() == 1
    assert (
        MsalTokenProvider(config(), http_cache={}).access_token()
        == (entra.issued_access_tokens[-1])
    )


@pytest.mark.parametrize("stdin", ["", "   \n\n"])
def test_empty_standard_input_is_refused_with_what_to_do(
    live: None, entra: FakeEntra, stdin: str
) -> None:
    with pytest.raises(CommandError, match="No refresh token on standard input"):
        run(stdin)

    assert entra.grants == []
    assert not PartnerCenterTokenCache.objects.exists()


def test_more_than_one_token_is_refused(live: None, entra: FakeEntra) -> None:
    with pytest.raises(CommandError, match="exactly one refresh token"):
        run("first-token second-token")


def test_the_token_is_never_taken_as_an_argument(live: None, entra: FakeEntra) -> None:
    with pytest.raises(CommandError, match="unrecognized arguments"):
        call_command("partnercenter_connect", "a-token-in-the-process-list", stdin=StringIO(""))

    assert entra.grants == []


def test_a_refused_refresh_token_is_a_clear_error_and_stores_nothing(
    live: None, entra: FakeEntra, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)

    with pytest.raises(CommandError, match=r"Not connected: .*AADSTS70043") as raised:
        run("an-expired-refresh-token-value\n")

    assert "an-expired-refresh-token-value" not in str(raised.value)
    assert "an-expired-refresh-token-value" not in logged(caplog)
    assert not PartnerCenterTokenCache.objects.exists()


def test_sandbox_mode_needs_no_sign_in(settings: Settings, entra: FakeEntra) -> None:
    settings.SANDBOX_ENABLED = True

    output = run("")

    assert "Sandbox mode needs no Partner Center sign-in" in output
    assert entra.grants == []
    assert not PartnerCenterTokenCache.objects.exists()
