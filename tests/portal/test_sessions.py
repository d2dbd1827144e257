"""Sessions that end: idle, at their lifetime, everywhere at once; a Microsoft sign-in goes back
through Microsoft within the idle timeout; a local account's new role applies at once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from pytest_django import Settings

from portal.audit.records import Action
from portal.models import AuditRecord, EntraAccount
from portal.staff import sessions
from tests.conftest import STAFF_PASSWORD

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])


class Clock:
    def __init__(self) -> None:
        self.at = 1_800_000_000.0

    def __call__(self) -> float:
        return self.at

    def advance(self, minutes: float) -> None:
        self.at += minutes * 60


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    fake = Clock()
    monkeypatch.setattr(sessions, "now", fake)
    yield fake


def sign_in(client: Client, username: str) -> None:
    response = client.post("/sign-in/", {"username": username, "password": STAFF_PASSWORD})
    assert response.status_code == 302, response.content.decode()


def messages_of(client: Client, url: str) -> str:
    return client.get(url, follow=True).content.decode()


def test_a_session_ends_after_the_idle_timeout_and_says_why(
    client: Client, admin_agent: User, clock: Clock, settings: Settings
) -> None:
    settings.PORTAL_SESSION_IDLE_MINUTES = 30
    sign_in(client, "amara")
    clock.advance(29)
    assert client.get("/customers/").status_code == 200  # activity: the clock starts again
    clock.advance(29)
    assert client.get("/customers/").status_code == 200
    clock.advance(31)
    response = client.get("/customers/?q=contoso")
    assert response.status_code == 302
    assert response["Location"] == "/sign-in/?next=/customers/%3Fq%3Dcontoso"
    page = client.get(response["Location"]).content.decode()
    assert "You were signed out after 30 minutes without activity. Sign in again." in page
    assert client.get("/customers/").status_code == 302  # really signed out


def test_a_busy_session_still_ends_at_its_lifetime(
    client: Client, admin_agent: User, clock: Clock, settings: Settings
) -> None:
    settings.SESSION_COOKIE_AGE = 8 * 3600
    sign_in(client, "amara")
    for _ in range(16):  # a request every 29 minutes, for 7 h 44 min
        clock.advance(29)
        assert client.get("/customers/").status_code == 200
    clock.advance(20)
    page = messages_of(client, "/customers/")
    assert "Your session ended 8 hours after you signed in. Sign in again." in page


def test_sign_out_everywhere_ends_every_session_of_that_person_only(
    admin_agent: User, helpdesk_agent: User, clock: Clock
) -> None:
    laptop, phone, colleague = Client(), Client(), Client()
    sign_in(laptop, "amara")
    sign_in(phone, "amara")
    sign_in(colleague, "hugo")
    page = laptop.get("/account/").content.decode()
    assert "Admin agent" in page and "with a portal password" in page
    assert "Ends after 30 minutes without activity, and 8 hours after signing in." in page
    clock.advance(1)
    response = laptop.post("/account/sign-out-everywhere/", follow=True)
    assert "You were signed out everywhere, in this browser too." in response.content.decode()
    assert laptop.get("/customers/").status_code == 302
    assert "You were signed out everywhere." in messages_of(phone, "/customers/")
    assert colleague.get("/customers/").status_code == 200
    assert AuditRecord.objects.filter(action=Action.SIGNED_OUT_EVERYWHERE).count() == 1
    # Signing in again afterwards is a new session, untouched by it.
    clock.advance(1)
    sign_in(phone, "amara")
    assert phone.get("/customers/").status_code == 200


def test_a_new_role_applies_at_the_next_request(
    client: Client, helpdesk_agent: User, clock: Clock
) -> None:
    sign_in(client, "hugo")
    assert client.get("/audit/").status_code == 200
    helpdesk_agent.groups.clear()
    helpdesk_agent.groups.add(Group.objects.get(name="Sales agent"))
    assert client.post("/audit/export/").status_code == 403


def test_a_microsoft_sign_in_goes_back_through_microsoft_within_the_idle_timeout(
    client: Client, admin_agent: User, clock: Clock, settings: Settings
) -> None:
    settings.PORTAL_ENTRA_SIGNIN = True
    EntraAccount.objects.create(user=admin_agent, tenant_id="t", object_id="o")
    client.force_login(admin_agent, backend="portal.staff.backends.EntraBackend")
    for _ in range(3):  # busy, never idle
        clock.advance(10)
        assert client.get("/customers/").status_code == 200
    clock.advance(1)
    response = client.get("/customers/")
    assert response.status_code == 302
    assert response["Location"] == "/sign-in/microsoft/?next=%2Fcustomers%2F"


def test_a_session_from_before_the_stamps_is_stamped_not_ended(
    client: Client, admin_agent: User, clock: Clock
) -> None:
    client.force_login(admin_agent)
    session = client.session  # as a session made before this release: no stamps
    del session[sessions.SIGNED_IN_AT], session[sessions.LAST_SEEN]
    session.save()
    clock.advance(60 * 24)
    assert client.get("/customers/").status_code == 200
    assert client.session[sessions.SIGNED_IN_AT] == clock()
