"""Key rotation: `manage.py portal_rotate_keys` re-encrypts every stored secret with the first
PORTAL_ENCRYPTION_KEY, and DJANGO_SECRET_KEY_FALLBACKS keeps what an old secret key signed."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core import signing
from django.core.management import CommandError, call_command
from pytest_django.fixtures import Settings

from portal import crypto
from portal.models import PartnerCenterTokenCache
from tests.portal.test_production_settings import load
from tests.users.bulk_jobs_support import make_scene, run, save_job
from users.bulk.models import BulkRow

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])


def _rotate(*args: str) -> str:
    out = StringIO()
    call_command("portal_rotate_keys", *args, stdout=out)
    return out.getvalue()


def _stored_with(settings: Settings, key: str, admin: User) -> list[int]:
    """A token cache and a finished upload's passwords, encrypted with `key` alone."""
    settings.PORTAL_ENCRYPTION_KEYS = [key]
    PartnerCenterTokenCache.objects.create(encrypted_cache=crypto.encrypt('{"RefreshToken": {}}'))
    run(save_job(make_scene(admin), 2))
    return list(BulkRow.objects.exclude(password_encrypted="").values_list("pk", flat=True))


def test_a_rotation_re_encrypts_every_secret_with_the_new_key_and_can_run_twice(
    settings: Settings, admin_agent: User
) -> None:
    old, new = crypto.generate_key(), crypto.generate_key()
    rows = _stored_with(settings, old, admin_agent)
    assert len(rows) == 2
    passwords = [crypto.decrypt(row.password_encrypted) for row in BulkRow.objects.all()]
    settings.PORTAL_ENCRYPTION_KEYS = [new, old]

    with pytest.raises(CommandError, match="still need an older key"):
        _rotate("--check")
    said = _rotate()
    assert "Partner Center token cache: 1 re-encrypted" in said
    assert "bulk upload passwords: 2 re-encrypted" in said
    assert "older keys can go" in said
    assert "Every stored secret uses the first key" in _rotate("--check")
    assert "0 re-encrypted" in _rotate()  # the second run has nothing left to do

    settings.PORTAL_ENCRYPTION_KEYS = [new]  # the old key dropped: everything still opens
    assert crypto.decrypt(PartnerCenterTokenCache.objects.get().encrypted_cache)
    assert [crypto.decrypt(r.password_encrypted) for r in BulkRow.objects.all()] == passwords


def test_a_secret_no_key_opens_is_reported_and_left_alone(
    settings: Settings, admin_agent: User
) -> None:
    lost = crypto.generate_key()
    _stored_with(settings, lost, admin_agent)
    before = PartnerCenterTokenCache.objects.get().encrypted_cache
    settings.PORTAL_ENCRYPTION_KEYS = [crypto.generate_key()]
    with pytest.raises(CommandError, match="put back the key"):
        _rotate()
    assert PartnerCenterTokenCache.objects.get().encrypted_cache == before


def test_old_secret_keys_still_verify_what_they_signed(settings: Settings) -> None:
    old = "old-" + "k" * 10 + "abcdefghijklmnopqrstuvwxyz0123456789"
    settings.SECRET_KEY = old
    signed = signing.dumps({"session": "x"})
    settings.SECRET_KEY = "new-" + "q" * 10 + "ABCDEFGHIJKLMNOPQRSTUVWXYZ9876543210"
    settings.SECRET_KEY_FALLBACKS = [old]
    assert signing.loads(signed) == {"session": "x"}
    settings.SECRET_KEY_FALLBACKS = []
    with pytest.raises(signing.BadSignature):
        signing.loads(signed)


def test_the_fallbacks_are_read_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    loaded = load(monkeypatch, tmp_path, DJANGO_SECRET_KEY_FALLBACKS="first-old, second-old")
    assert loaded.SECRET_KEY_FALLBACKS == ["first-old", "second-old"]
