"""Sign-in hardening: throttled failures, a clear lockout page, changing one's own password."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from pytest_django import Settings

from tests.conftest import STAFF_PASSWORD

# The dashboard, where a sign-in lands, counts the customers through the (sandbox) API.
pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])

NEW_PASSWORD = "an-even-longer-new-password-7"


def _sign_in(client: Client, username: str, password: str, address: str = "203.0.113.5") -> int:
    response = client.post(
        reverse("staff:login"), {"username": username, "password": password}, REMOTE_ADDR=address
    )
    return response.status_code


def test_five_failures_lock_the_account_from_that_address_with_a_clear_page(
    client: Client, admin_agent: User
) -> None:
    for _ in range(5):
        assert _sign_in(client, "amara", "wrong") in {200, 429}
    locked = client.post(
        reverse("staff:login"),
        {"username": "amara", "password": STAFF_PASSWORD},
        REMOTE_ADDR="203.0.113.5",
    )
    assert locked.status_code == 429
    text = locked.content.decode()
    assert "Sign-in locked" in text
    assert "5 failed sign-ins" in text
    assert "_auth_user_id" not in client.session  # even the right password does not sign in


def test_the_lockout_page_says_how_long_in_words(client: Client, admin_agent: User) -> None:
    for _ in range(6):
        _sign_in(client, "amara", "wrong")
    text = client.post(
        reverse("staff:login"), {"username": "amara", "password": "x"}, REMOTE_ADDR="203.0.113.5"
    ).content.decode()
    assert "locked for 15 minutes." in text
    assert "PT15M" not in text


def test_one_address_spraying_many_usernames_is_locked_by_its_own_threshold(
    client: Client, admin_agent: User, settings: Settings
) -> None:
    settings.PORTAL_LOGIN_ADDRESS_FAILURE_LIMIT = 12
    # Two tries for each of six usernames: no username reaches its own limit of 5.
    for number in range(6):
        for _ in range(2):
            _sign_in(client, f"guess{number}", "Winter2026!")
    locked = client.post(
        reverse("staff:login"),
        {"username": "amara", "password": STAFF_PASSWORD},
        REMOTE_ADDR="203.0.113.5",
    )
    assert locked.status_code == 429
    text = locked.content.decode()
    assert "12 failed sign-ins from your address, for any accounts" in text
    assert "locked for 15 minutes" in text
    assert "_auth_user_id" not in client.session
    # Another address is not affected.
    assert _sign_in(Client(), "amara", STAFF_PASSWORD, address="198.51.100.9") == 302


def test_an_office_behind_one_address_survives_a_few_typos(
    client: Client, admin_agent: User, helpdesk_agent: User
) -> None:
    for username in ("amara", "hugo", "sofia", "noah"):
        for _ in range(3):
            _sign_in(client, username, "typo")
    assert _sign_in(Client(), "amara", STAFF_PASSWORD) == 302
    assert _sign_in(Client(), "hugo", STAFF_PASSWORD) == 302


def test_the_lock_holds_one_username_at_one_address_only(
    client: Client, admin_agent: User, helpdesk_agent: User
) -> None:
    for _ in range(5):
        _sign_in(client, "amara", "wrong")
    assert _sign_in(Client(), "amara", STAFF_PASSWORD, address="198.51.100.9") == 302
    assert _sign_in(Client(), "hugo", STAFF_PASSWORD) == 302


def test_a_successful_sign_in_resets_the_count(client: Client, admin_agent: User) -> None:
    for _ in range(4):
        _sign_in(client, "amara", "wrong")
    assert _sign_in(Client(), "amara", STAFF_PASSWORD) == 302
    for _ in range(4):
        _sign_in(client, "amara", "wrong")
    assert _sign_in(Client(), "amara", STAFF_PASSWORD) == 302


def test_a_failed_sign_in_keeps_no_password(client: Client, admin_agent: User) -> None:
    from axes.models import AccessAttempt

    _sign_in(client, "amara", "Secret-typed-wrong-1")
    for attempt in AccessAttempt.objects.all():
        assert "Secret-typed-wrong-1" not in f"{attempt.post_data} {attempt.get_data}"


def test_staff_change_their_own_password_and_other_sessions_end(admin_agent: User) -> None:
    here, elsewhere = Client(), Client()
    assert _sign_in(here, "amara", STAFF_PASSWORD) == 302
    assert _sign_in(elsewhere, "amara", STAFF_PASSWORD, address="198.51.100.2") == 302
    page = here.get(reverse("staff:password_change"))
    assert page.status_code == 200
    assert "Changing it signs you out everywhere else" in page.content.decode()
    changed = here.post(
        reverse("staff:password_change"),
        {
            "old_password": STAFF_PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
        follow=True,
    )
    assert "Your password was changed" in changed.content.decode()
    assert here.get(reverse("customers:dashboard")).status_code == 200  # still signed in here
    assert elsewhere.get(reverse("customers:dashboard")).status_code == 302  # signed out there
    admin_agent.refresh_from_db()
    assert admin_agent.check_password(NEW_PASSWORD)


def test_a_wrong_old_password_changes_nothing(client: Client, admin_agent: User) -> None:
    client.force_login(admin_agent)
    response = client.post(
        reverse("staff:password_change"),
        {"old_password": "nope", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 200
    assert "Your old password was entered incorrectly" in response.content.decode()
    admin_agent.refresh_from_db()
    assert admin_agent.check_password(STAFF_PASSWORD)


def test_the_top_bar_offers_change_password_to_local_accounts(
    client: Client, admin_agent: User
) -> None:
    client.force_login(admin_agent)
    page = client.get(reverse("customers:dashboard")).content.decode()
    assert reverse("staff:password_change") in page


def test_changing_a_password_needs_a_signed_in_member(client: Client) -> None:
    response = client.get(reverse("staff:password_change"))
    assert response.status_code == 302
    assert reverse("staff:login") in response["Location"]


def test_sign_ins_and_failed_sign_ins_are_audited_without_the_password(
    client: Client, admin_agent: User
) -> None:
    from portal.models import AuditRecord

    assert _sign_in(client, "amara", "Wrong-typed-secret-9") == 200
    assert _sign_in(client, "amara", STAFF_PASSWORD) == 302
    failed, signed_in = AuditRecord.objects.order_by("id")
    assert (failed.action, failed.outcome, failed.staff_username) == (
        "sign_in_failed",
        "failed",
        "amara",
    )
    assert (failed.staff, failed.client_ip) == (None, "203.0.113.5")
    assert (signed_in.action, signed_in.outcome, signed_in.staff) == (
        "sign_in",
        "succeeded",
        admin_agent,
    )
    assert signed_in.client_ip == "203.0.113.5"
    everything = " ".join(
        f"{r.message} {r.changes} {r.staff_username}" for r in (failed, signed_in)
    )
    assert "Wrong-typed-secret-9" not in everything
    assert STAFF_PASSWORD not in everything
