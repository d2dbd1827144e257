"""`manage.py portal_demo_user`: the sandbox's demo sign-in, stable across runs, absent live."""

from __future__ import annotations

import logging
import re
import stat
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command
from django.test import Client, RequestFactory
from pytest_django.fixtures import Settings

from portal.demo import demo_accounts_retire, is_demo_account
from portal.models import DemoAccount

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])

SIGN_IN = re.compile(r"Sign in at http://127\.0\.0\.1:(\d+)/ as admin with password (\S+)$")


@pytest.fixture
def data_dir(settings: Settings, tmp_path: Path) -> Path:
    data_dir = tmp_path / "data"
    settings.DATA_DIR = data_dir
    return data_dir


def run(*args: str) -> tuple[str, str]:
    """The port and password printed in the sign-in line."""
    out = StringIO()
    call_command("portal_demo_user", *args, stdout=out)
    match = SIGN_IN.search(out.getvalue().strip())
    assert match, out.getvalue()
    return match.group(1), match.group(2)


def test_it_creates_a_superuser_admin_who_can_sign_in_with_the_printed_password(
    data_dir: Path,
) -> None:
    port, password = run()
    assert port == "8000"
    user = authenticate(RequestFactory().post("/sign-in/"), username="admin", password=password)
    assert user is not None
    assert user.is_superuser and user.is_staff and user.is_active
    assert len(password) >= 16


def test_it_keeps_the_password_in_a_file_only_its_owner_can_read(data_dir: Path) -> None:
    _, password = run()
    path = data_dir / "demo-password"
    assert path.read_text(encoding="utf-8").strip() == password
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_it_keeps_the_same_password_on_every_run(data_dir: Path) -> None:
    _, first = run()
    _, second = run()
    assert first == second
    assert get_user_model().objects.filter(username="admin").count() == 1


def test_it_sets_the_password_from_the_file_again_on_every_run(data_dir: Path) -> None:
    _, password = run()
    user = get_user_model().objects.get(username="admin")
    user.set_password("changed-in-the-admin")
    user.is_superuser = False
    user.save()
    run()
    assert (
        authenticate(RequestFactory().post("/sign-in/"), username="admin", password=password)
        is not None
    )
    assert get_user_model().objects.get(username="admin").is_superuser


def test_it_shows_the_port_it_is_given(data_dir: Path) -> None:
    port, _ = run("--port", "9123")
    assert port == "9123"


def test_it_never_logs_the_password(data_dir: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        _, password = run()
    assert password not in caplog.text


def test_it_refuses_in_live_mode_and_makes_no_account(data_dir: Path, settings: Settings) -> None:
    settings.PARTNER_CENTER_MODE = "live"
    settings.SANDBOX_ENABLED = False
    with pytest.raises(CommandError, match="no demo account in live mode"):
        call_command("portal_demo_user", stdout=StringIO())
    assert not get_user_model().objects.filter(username="admin").exists()
    assert not (data_dir / "demo-password").exists()


# --- Sandbox to live: the demo account never signs in live ------------------------------------


def _live(settings: Settings) -> None:
    settings.PARTNER_CENTER_MODE = "live"
    settings.SANDBOX_ENABLED = False


def _signs_in(username: str, password: str) -> bool:
    request = RequestFactory().post("/sign-in/")
    return authenticate(request, username=username, password=password) is not None


def test_the_demo_account_is_marked_when_it_is_made(data_dir: Path) -> None:
    run()
    user = get_user_model().objects.get(username="admin")
    assert is_demo_account(user)


def test_live_mode_refuses_the_demo_account_and_ends_its_session(
    data_dir: Path, settings: Settings, client: Client
) -> None:
    _, password = run()
    client.force_login(get_user_model().objects.get(username="admin"))
    assert client.get("/").status_code == 200
    _live(settings)
    assert not _signs_in("admin", password)
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/sign-in/")
    assert client.get("/admin/").status_code == 302


def test_live_start_up_deactivates_the_demo_account_and_says_so(
    data_dir: Path, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    _, password = run()
    _live(settings)
    with caplog.at_level(logging.WARNING, logger="portal.demo"):
        call_command("migrate", verbosity=0)
    user = get_user_model().objects.get(username="admin")
    assert not user.is_active and not user.has_usable_password()
    assert "demo account 'admin' is deactivated" in caplog.text
    assert password not in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="portal.demo"):
        call_command("migrate", verbosity=0)  # the next start: nothing more to say
    assert "deactivated" not in caplog.text


def test_a_real_superuser_called_admin_is_untouched_in_live_mode(
    data_dir: Path, settings: Settings
) -> None:
    run()  # a sandbox once ran here: the password file exists
    get_user_model().objects.filter(username="admin").delete()
    real = get_user_model().objects.create_superuser("admin", "", "a-real-and-long-password")
    _live(settings)
    assert demo_accounts_retire() == []
    real.refresh_from_db()
    assert real.is_active and not is_demo_account(real)
    assert _signs_in("admin", "a-real-and-long-password")


def test_a_demo_admin_made_before_the_mark_is_found_by_its_password(
    data_dir: Path, settings: Settings
) -> None:
    _, password = run()
    DemoAccount.objects.all().delete()  # as an older portal made it
    _live(settings)
    assert demo_accounts_retire() == ["admin"]
    assert not _signs_in("admin", password)
    assert not get_user_model().objects.get(username="admin").is_active


def test_sandbox_mode_keeps_the_demo_account(data_dir: Path) -> None:
    _, password = run()
    call_command("migrate", verbosity=0)
    assert _signs_in("admin", password)
