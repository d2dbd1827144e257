"""A second factor for local accounts: enrolment at the next sign-in when required, the code at
every sign-in, wrong codes refused and throttled, recovery codes used once, a superuser's reset;
Microsoft accounts and the sandbox's demo account are not asked."""

from __future__ import annotations

import re
import time

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from pytest_django import Settings

from portal.audit.records import Action
from portal.demo import demo_account_ensure
from portal.models import AuditRecord, EntraAccount, RecoveryCode
from tests.client_response import ClientResponse
from tests.conftest import STAFF_PASSWORD

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])


@pytest.fixture(autouse=True)
def _required(settings: Settings) -> None:
    settings.PORTAL_REQUIRE_MFA = True


def sign_in(
    client: Client, username: str, password: str = STAFF_PASSWORD, next_page: str = "/"
) -> ClientResponse:
    return client.post(
        f"/sign-in/?next={next_page}",
        {"username": username, "password": password, "next": next_page},
    )


def code_now(user: User) -> str:
    device = TOTPDevice.objects.get(user=user)
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def enrol(client: Client, user: User) -> list[str]:
    """The enrolment a required sign-in leads to: the page, the first code, the codes shown."""
    page = client.get("/account/second-factor/").content.decode()
    assert "<svg" in page and 'class="otp-secret"' in page
    response = client.post("/account/second-factor/", {"code": code_now(user), "next": "/"})
    assert response.status_code == 200
    assert (
        response["Cache-Control"].startswith("no-store") or "no-store" in response["Cache-Control"]
    )
    return re.findall(r"<li><code>([a-z0-9]{10})</code></li>", response.content.decode())


def test_a_local_account_with_a_role_enrols_at_its_next_sign_in(
    client: Client, admin_agent: User
) -> None:
    response = sign_in(client, "amara", next_page="/customers/")
    assert response.status_code == 302
    # Anything else first goes to enrolment, keeping where it was going.
    response = client.get("/customers/")
    assert response.status_code == 302
    assert response["Location"].startswith("/account/second-factor/?next=")
    codes = enrol(client, admin_agent)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert client.get("/customers/").status_code == 200
    assert AuditRecord.objects.filter(action=Action.SECOND_FACTOR_ENROLLED).count() == 1


def test_every_sign_in_then_asks_for_the_code_and_refuses_a_wrong_one(
    client: Client, admin_agent: User
) -> None:
    sign_in(client, "amara")
    enrol(client, admin_agent)
    client.post("/sign-out/")
    sign_in(client, "amara")
    response = client.get("/customers/")
    assert response["Location"].startswith("/sign-in/code/?next=")
    wrong = client.post("/sign-in/code/", {"code": "000000", "next": "/customers/"})
    assert wrong.status_code == 400
    assert "That code is not right." in wrong.content.decode()
    assert client.get("/customers/").status_code == 302  # still not through
    # A wrong code makes the next try wait: the right code too, until then.
    throttled = client.post("/sign-in/code/", {"code": code_now(admin_agent)})
    assert "Too many wrong codes: try again" in throttled.content.decode()
    TOTPDevice.objects.filter(user=admin_agent).update(throttling_failure_timestamp=None)
    TOTPDevice.objects.filter(user=admin_agent).update(throttling_failure_count=0, last_t=-1)
    right = client.post("/sign-in/code/", {"code": code_now(admin_agent), "next": "/customers/"})
    assert right.status_code == 302 and right["Location"] == "/customers/"
    assert client.get("/customers/").status_code == 200
    assert AuditRecord.objects.filter(action=Action.SIGN_IN_FAILED).count() >= 1


def test_a_recovery_code_works_once_and_is_kept_only_as_a_digest(
    client: Client, admin_agent: User
) -> None:
    sign_in(client, "amara")
    codes = enrol(client, admin_agent)
    kept = list(RecoveryCode.objects.filter(user=admin_agent).values_list("digest", flat=True))
    assert len(kept) == 10
    assert not any(code in digest for code in codes for digest in kept)
    for attempt in range(2):
        other = Client()
        sign_in(other, "amara")
        response = other.post("/sign-in/code/", {"code": codes[0].upper(), "next": "/"})
        if attempt == 0:
            assert response.status_code == 302
        else:
            assert response.status_code == 400  # used already
            assert other.get("/customers/").status_code == 302


def test_a_superuser_resets_someones_factor_and_it_is_audited(
    client: Client, admin_agent: User, superuser: User
) -> None:
    sign_in(client, "amara")
    enrol(client, admin_agent)
    admin = Client()
    admin.force_login(superuser)
    # The superuser has given their own code in this session.
    own = TOTPDevice.objects.create(user=superuser, name="app", confirmed=True)
    session = admin.session
    session[DEVICE_ID_SESSION_KEY] = own.persistent_id
    session.save()
    response = admin.post(
        "/admin/auth/user/",
        {"action": "reset_second_factor", "_selected_action": [admin_agent.pk]},
        follow=True,
    )
    assert "Reset the second factor of 1 staff member(s)." in response.content.decode()
    assert not TOTPDevice.objects.filter(user=admin_agent).exists()
    record = AuditRecord.objects.get(action=Action.SECOND_FACTOR_RESET)
    assert record.staff_username == "sam" and record.changes == {"staff": "amara"}
    # Their next sign-in sets up an app again; the session they had is no longer enough.
    assert client.get("/customers/")["Location"].startswith("/account/second-factor/")


def test_microsoft_accounts_and_the_demo_account_are_not_asked(
    client: Client, admin_agent: User, settings: Settings
) -> None:
    EntraAccount.objects.create(user=admin_agent, tenant_id="t", object_id="o")
    client.force_login(admin_agent)
    assert client.get("/customers/").status_code == 200
    demo = demo_account_ensure("demo-password-1234")
    demo_client = Client()
    demo_client.force_login(demo)
    assert demo_client.get("/customers/").status_code == 200


def test_not_required_nobody_is_asked_until_they_enrol(
    client: Client, admin_agent: User, settings: Settings
) -> None:
    settings.PORTAL_REQUIRE_MFA = False
    sign_in(client, "amara")
    assert client.get("/customers/").status_code == 200
    page = client.get("/account/").content.decode()
    assert "Set up an authenticator app" in page
    enrol(client, admin_agent)
    client.post("/sign-out/")
    time.sleep(0)  # a new sign-in
    sign_in(client, "amara")
    assert client.get("/customers/")["Location"].startswith("/sign-in/code/")
