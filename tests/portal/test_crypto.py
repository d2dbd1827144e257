"""`portal.crypto`: secrets at rest, with rotating keys, and a live mode that brings its own key."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from pytest_django import Settings

from portal import crypto
from tests.portal.test_settings import LIVE_KEY, load_settings

SECRET = "a refresh token, or a temporary password: Zx9!"
LIVE = {
    "PARTNER_CENTER_MODE": "live",
    "DJANGO_SECRET_KEY": LIVE_KEY,
    "ALLOWED_HOSTS": "portal.example.com",
    "DATABASE_URL": "postgres://portal@db/portal",  # live mode requires one
    "PARTNER_CENTER_TENANT_ID": "contoso.onmicrosoft.com",
    "PARTNER_CENTER_APP_ID": "0b1e2c3d-1111-4222-8333-000000000a99",
    "PARTNER_CENTER_APP_SECRET": "app-secret",
}


@pytest.fixture(autouse=True)
def _no_key_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ["PORTAL_ENCRYPTION_KEY", "PORTAL_ENCRYPTION_KEY_FILE"]:
        monkeypatch.delenv(name, raising=False)


def test_what_is_encrypted_decrypts_and_is_not_readable(settings: Settings) -> None:
    settings.PORTAL_ENCRYPTION_KEYS = [crypto.generate_key()]

    token = crypto.encrypt(SECRET)

    assert SECRET not in token
    assert token.isascii()
    assert crypto.decrypt(token) == SECRET
    assert crypto.encrypt(SECRET) != token  # a fresh IV every time


def test_after_a_new_key_is_put_first_old_values_still_decrypt(settings: Settings) -> None:
    old, new = crypto.generate_key(), crypto.generate_key()
    settings.PORTAL_ENCRYPTION_KEYS = [old]
    before = crypto.encrypt(SECRET)

    settings.PORTAL_ENCRYPTION_KEYS = [new, old]
    after = crypto.encrypt(SECRET)

    assert crypto.decrypt(before) == SECRET
    assert crypto.decrypt(after) == SECRET
    Fernet(new).decrypt(after.encode())  # the first key encrypts
    assert crypto.decrypt(crypto.reencrypt(before)) == SECRET
    settings.PORTAL_ENCRYPTION_KEYS = [new]
    assert crypto.decrypt(crypto.reencrypt(after)) == SECRET


def test_a_value_no_key_opens_is_refused_with_a_hint_about_rotation(settings: Settings) -> None:
    settings.PORTAL_ENCRYPTION_KEYS = [crypto.generate_key()]
    token = crypto.encrypt(SECRET)
    settings.PORTAL_ENCRYPTION_KEYS = [crypto.generate_key()]

    with pytest.raises(crypto.DecryptionError, match="probably rotated away") as raised:
        crypto.decrypt(token)

    assert token not in str(raised.value)
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt("not a token at all")


def test_sandbox_mode_without_a_key_derives_a_stable_one_from_the_secret_key(
    settings: Settings,
) -> None:
    settings.SANDBOX_ENABLED = True
    settings.PORTAL_ENCRYPTION_KEYS = []
    settings.SECRET_KEY = "s" * 60
    token = crypto.encrypt(SECRET)

    assert crypto.decrypt(token) == SECRET
    assert crypto.derive_sandbox_key("s" * 60) == crypto.derive_sandbox_key("s" * 60)
    assert crypto.is_valid_key(crypto.derive_sandbox_key("s" * 60))
    settings.SECRET_KEY = "t" * 60
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(token)


def test_live_mode_never_derives_a_key(settings: Settings) -> None:
    settings.SANDBOX_ENABLED = False
    settings.PORTAL_ENCRYPTION_KEYS = []

    with pytest.raises(ImproperlyConfigured, match="PORTAL_ENCRYPTION_KEY"):
        crypto.encrypt(SECRET)


def test_settings_refuse_live_mode_without_a_key(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with pytest.raises(ImproperlyConfigured, match=r"PORTAL_ENCRYPTION_KEY \(or .*\) is required"):
        load_settings(monkeypatch, tmp_path, **LIVE)


@pytest.mark.parametrize("mode", ["live", "sandbox"])
def test_settings_refuse_a_malformed_key_by_position_without_echoing_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, mode: str
) -> None:
    good, bad = crypto.generate_key(), "not-a-fernet-key-but-a-secret-anyway"

    with pytest.raises(ImproperlyConfigured, match="PORTAL_ENCRYPTION_KEY: key 2") as raised:
        load_settings(
            monkeypatch,
            tmp_path,
            **{**LIVE, "PARTNER_CENTER_MODE": mode},
            PORTAL_ENCRYPTION_KEY=f"{good}, {bad}",
        )

    assert bad not in str(raised.value)


def test_settings_read_several_keys_or_a_key_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    first, second = crypto.generate_key(), crypto.generate_key()
    loaded = load_settings(monkeypatch, tmp_path, **LIVE, PORTAL_ENCRYPTION_KEY=f"{first},{second}")
    assert [first, second] == loaded.PORTAL_ENCRYPTION_KEYS

    key_file = tmp_path / "encryption-key"
    key_file.write_text(f"{second}\n")
    monkeypatch.delenv("PORTAL_ENCRYPTION_KEY")
    loaded = load_settings(monkeypatch, tmp_path, **LIVE, PORTAL_ENCRYPTION_KEY_FILE=str(key_file))
    assert [second] == loaded.PORTAL_ENCRYPTION_KEYS


def test_sandbox_settings_need_no_key(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert load_settings(monkeypatch, tmp_path).PORTAL_ENCRYPTION_KEYS == []


@pytest.mark.parametrize(
    "missing", ["PARTNER_CENTER_TENANT_ID", "PARTNER_CENTER_APP_ID", "PARTNER_CENTER_APP_SECRET"]
)
def test_settings_refuse_live_mode_without_the_partner_center_app(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, missing: str
) -> None:
    variables = {**LIVE, "PORTAL_ENCRYPTION_KEY": crypto.generate_key()}
    del variables[missing]
    monkeypatch.delenv(missing, raising=False)

    with pytest.raises(ImproperlyConfigured, match=f"Live mode needs {missing}"):
        load_settings(monkeypatch, tmp_path, **variables)


def test_the_key_command_prints_a_new_valid_key_each_time() -> None:
    printed = []
    for _ in range(2):
        out = StringIO()
        call_command("portal_encryption_key", stdout=out)
        printed.append(out.getvalue().strip())

    assert all(crypto.is_valid_key(key) for key in printed)
    assert printed[0] != printed[1]
