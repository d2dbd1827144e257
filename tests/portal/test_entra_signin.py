"""Sign in with Microsoft: Entra faked at the HTTP boundary, the portal's views and msal real."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
import responses
from django.contrib.auth.models import User
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test import Client
from pytest_django.fixtures import Settings as SettingsWrapper

from portal.models import AuditRecord, EntraAccount
from portal.staff.access import Role, role_of
from portal.staff.entra_settings import ROLE_NAMES, check_entra_settings, parse_group_roles
from tests.conftest import STAFF_PASSWORD
from tests.portal.fake_entra_signin import (
    ADMIN_GROUP,
    ANA,
    ANA_OID,
    HELPDESK_GROUP,
    OTHER_GROUP,
    SALES_GROUP,
    FakeEntraSignIn,
    claims_for,
    entra_settings,
    sign_in_with_microsoft,
    start,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def fake_entra(settings: SettingsWrapper) -> Iterator[FakeEntraSignIn]:
    entra_settings(settings)
    fake = FakeEntraSignIn()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        fake.register(rsps)
        yield fake


def _signed_in_user(client: Client) -> User | None:
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id) if user_id else None


def _page_messages(client: Client) -> str:
    """The sign-in page the browser lands on, after a refusal, with its message."""
    page = client.get("/sign-in/")
    assert page.status_code == 200
    return page.content.decode()


# --- Roles from Entra groups ---------------------------------------------------------------------


def test_a_mapped_group_signs_in_with_its_role_and_no_usable_password(
    client: Client, fake_entra: FakeEntraSignIn
) -> None:
    response = sign_in_with_microsoft(client, fake_entra, claims_for(groups=[HELPDESK_GROUP]))

    assert response.status_code == 302
    assert response["Location"] == "/"
    user = _signed_in_user(client)
    assert user is not None
    assert user.username == ANA
    assert user.get_full_name() == "Ana Silva"
    assert role_of(user) is Role.HELPDESK
    assert not user.has_usable_password()
    account = EntraAccount.objects.get(user=user)
    assert (account.object_id, account.tenant_id) == (
        ANA_OID,
        "5f1c1a2b-0000-4000-8000-00000000c0de",
    )
    assert account.last_sign_in_at is not None
    # The code went to Entra with the app's secret and the redirect URI it was issued for.
    grant = fake_entra.grants[-1]
    assert grant["grant_type"] == "authorization_code"
    assert grant["redirect_uri"] == "http://testserver/sign-in/microsoft/callback/"
    assert grant["code_verifier"]  # PKCE
    [audited] = AuditRecord.objects.filter(action="sign_in")
    assert (audited.staff, audited.outcome) == (user, "succeeded")


def test_the_sign_in_lands_on_the_page_that_asked_for_it(
    client: Client, fake_entra: FakeEntraSignIn
) -> None:
    response = sign_in_with_microsoft(
        client, fake_entra, claims_for(groups=[SALES_GROUP]), next_page="/audit/?ticket=INC-1"
    )
    assert response["Location"] == "/audit/?ticket=INC-1"


def test_a_next_page_on_another_site_is_ignored(
    client: Client, fake_entra: FakeEntraSignIn
) -> None:
    response = sign_in_with_microsoft(
        client, fake_entra, claims_for(groups=[SALES_GROUP]), next_page="https://evil.example/"
    )
    assert response["Location"] == "/"


def test_the_strongest_mapped_role_wins(client: Client, fake_entra: FakeEntraSignIn) -> None:
    sign_in_with_microsoft(client, fake_entra, claims_for(groups=[SALES_GROUP, ADMIN_GROUP]))
    assert role_of(_signed_in_user(client)) is Role.ADMIN


def test_groups_changed_in_entra_replace_the_role_at_the_next_sign_in(
    fake_entra: FakeEntraSignIn,
) -> None:
    sign_in_with_microsoft(Client(), fake_entra, claims_for(groups=[ADMIN_GROUP, OTHER_GROUP]))
    user = User.objects.get(username=ANA)
    assert set(user.groups.values_list("name", flat=True)) == {"Admin agent"}

    client = Client()
    sign_in_with_microsoft(client, fake_entra, claims_for(groups=[SALES_GROUP]))

    again = _signed_in_user(client)
    assert again is not None and again.pk == user.pk  # the same account, found by its oid
    assert set(again.groups.values_list("name", flat=True)) == {"Sales agent"}
    assert role_of(again) is Role.SALES
    assert User.objects.filter(entra_account__isnull=False).count() == 1


def test_a_user_renamed_in_entra_keeps_the_same_account(
    client: Client, fake_entra: FakeEntraSignIn
) -> None:
    sign_in_with_microsoft(Client(), fake_entra, claims_for(groups=[SALES_GROUP]))
    first = User.objects.get(username=ANA)
    sign_in_with_microsoft(
        client,
        fake_entra,
        claims_for(username="ana.costa@contosopartner.example", name="Ana Costa", groups=[]),
    )
    renamed = _signed_in_user(client)
    assert renamed is not None and renamed.pk == first.pk
    assert (renamed.username, renamed.get_full_name()) == (
        "ana.costa@contosopartner.example",
        "Ana Costa",
    )


def test_an_unmapped_user_is_signed_in_without_a_role_and_sees_the_no_role_page(
    client: Client, fake_entra: FakeEntraSignIn
) -> None:
    sign_in_with_microsoft(client, fake_entra, claims_for(groups=[OTHER_GROUP]))

    user = _signed_in_user(client)
    assert user is not None and role_of(user) is None
    assert not user.groups.exists()
    for url in ["/", "/customers/", "/audit/"]:
        page = client.get(url)
        assert page.status_code == 403
        assert "Your account has no role yet" in page.content.decode()


def test_a_user_without_a_groups_claim_gets_no_role(
    client: Client, fake_entra: FakeEntraSignIn
) -> None:
    sign_in_with_microsoft(client, fake_entra, claims_for(groups=[ADMIN_GROUP]))
    sign_in_with_microsoft(client, fake_entra, claims_for())  # no groups claim at all
    assert role_of(_signed_in_user(client)) is None


def test_too_many_groups_to_list_is_said_plainly_and_signs_no_one_in(
    client: Client, fake_entra: FakeEntraSignIn
) -> None:
    overage = claims_for(_claim_names={"groups": "src1"}, _claim_sources={"src1": {}})
    response = sign_in_with_microsoft(client, fake_entra, overage)
    assert response["Location"] == "/sign-in/"
    assert _signed_in_user(client) is None
    assert "too many groups" in _page_messages(client)


def test_a_local_account_with_the_same_name_is_not_taken_over(
    client: Client, fake_entra: FakeEntraSignIn
) -> None:
    local = User.objects.create_user(username=ANA, password=STAFF_PASSWORD)
    sign_in_with_microsoft(client, fake_entra, claims_for(groups=[ADMIN_GROUP]))
    assert _signed_in_user(client) is None
    assert "A local staff account is already named" in _page_messages(client)
    local.refresh_from_db()
    assert local.has_usable_password() and not local.groups.exists()


def test_a_deactivated_account_is_refused(client: Client, fake_entra: FakeEntraSignIn) -> None:
    sign_in_with_microsoft(Client(), fake_entra, claims_for(groups=[ADMIN_GROUP]))
    User.objects.filter(username=ANA).update(is_active=False)
    sign_in_with_microsoft(client, fake_entra, claims_for(groups=[ADMIN_GROUP]))
    assert _signed_in_user(client) is None
    assert "deactivated" in _page_messages(client)


def test_a_microsoft_account_cannot_sign_in_with_a_password(
    client: Client, fake_entra: FakeEntraSignIn
) -> None:
    sign_in_with_microsoft(Client(), fake_entra, claims_for(groups=[ADMIN_GROUP]))
    user = User.objects.get(username=ANA)
    user.set_password(STAFF_PASSWORD)  # as a superuser might, by mistake, in the admin
    user.save()
    refused = client.post("/sign-in/", {"username": ANA, "password": STAFF_PASSWORD})
    assert refused.status_code == 200  # the form again, with its error
    assert _signed_in_user(client) is None
    # ... and the next Microsoft sign-in takes the password away again.
    sign_in_with_microsoft(client, fake_entra, claims_for(groups=[ADMIN_GROUP]))
    user.refresh_from_db()
    assert not user.has_usable_password()


# --- The sign-in page and local sign-in ---------------------------------------------------------


def test_the_sign_in_page_offers_microsoft_only_when_it_is_turned_on(
    client: Client, settings: SettingsWrapper
) -> None:
    settings.PORTAL_ENTRA_SIGNIN = False
    page = client.get("/sign-in/").content.decode()
    assert "Sign in with Microsoft" not in page
    assert client.get("/sign-in/microsoft/").status_code == 404
    assert client.get("/sign-in/microsoft/callback/?code=x&state=y").status_code == 404

    entra_settings(settings)
    page = client.get("/sign-in/?next=/audit/").content.decode()
    assert "Sign in with Microsoft" in page
    assert 'href="/sign-in/microsoft/?next=/audit/"' in page
    assert 'name="password"' in page  # local sign-in is still on


def test_with_local_sign_in_off_the_form_is_hidden_and_refused(
    client: Client, settings: SettingsWrapper, admin_agent: User, superuser: User
) -> None:
    entra_settings(settings)
    settings.PORTAL_LOCAL_SIGNIN = False

    page = client.get("/sign-in/").content.decode()
    assert 'name="password"' not in page
    assert "Sign in with Microsoft" in page

    refused = client.post("/sign-in/", {"username": "amara", "password": STAFF_PASSWORD})
    assert refused.status_code == 403
    assert "Sign-in with a portal password is turned off" in refused.content.decode()
    assert _signed_in_user(client) is None
    # The password backend refuses too: Django's admin sign-in form, or anything else.
    admin = client.post(
        "/admin/login/?next=/admin/", {"username": "sam", "password": STAFF_PASSWORD}
    )
    assert admin.status_code == 200  # the form again, with its error
    assert _signed_in_user(client) is None


def test_turning_local_sign_in_off_ends_local_sessions(
    client: Client, settings: SettingsWrapper, admin_agent: User
) -> None:
    client.force_login(admin_agent)
    assert client.get("/audit/").status_code == 200
    entra_settings(settings)
    settings.PORTAL_LOCAL_SIGNIN = False
    assert client.get("/audit/").status_code == 302


def test_microsoft_sessions_end_when_microsoft_sign_in_is_turned_off(
    client: Client, settings: SettingsWrapper, fake_entra: FakeEntraSignIn
) -> None:
    sign_in_with_microsoft(client, fake_entra, claims_for(groups=[SALES_GROUP]))
    assert client.get("/audit/").status_code == 200
    settings.PORTAL_ENTRA_SIGNIN = False
    assert client.get("/audit/").status_code == 302


# --- Errors: shown on the sign-in page, no one signed in -----------------------------------------


def test_a_state_mismatch_shows_a_message_and_signs_no_one_in(
    client: Client, fake_entra: FakeEntraSignIn
) -> None:
    started = start(client)
    code = fake_entra.code_for(claims_for(groups=[ADMIN_GROUP], nonce=started.nonce_hash))
    response = client.get("/sign-in/microsoft/callback/", {"code": code, "state": "forged-state"})
    assert response.status_code == 302 and response["Location"] == "/sign-in/"
    assert _signed_in_user(client) is None
    assert "did not match this browser" in _page_messages(client)
    assert not [grant for grant in fake_entra.grants if grant.get("code") == code]
    assert not User.objects.filter(username=ANA).exists()


def test_an_answer_replayed_after_the_sign_in_is_refused(
    client: Client, fake_entra: FakeEntraSignIn
) -> None:
    started = start(client)
    code = fake_entra.code_for(claims_for(groups=[ADMIN_GROUP], nonce=started.nonce_hash))
    callback = {"code": code, "state": started.state}
    client.get("/sign-in/microsoft/callback/", callback)
    assert _signed_in_user(client) is not None

    other = Client()
    response = other.get("/sign-in/microsoft/callback/", callback)  # no sign-in started here
    assert response["Location"] == "/sign-in/"
    assert _signed_in_user(other) is None
    assert "expired or was started in another browser" in _page_messages(other)


def test_access_denied_from_entra_shows_a_message_and_signs_no_one_in(
    client: Client, fake_entra: FakeEntraSignIn
) -> None:
    started = start(client)
    response = client.get(
        "/sign-in/microsoft/callback/",
        {
            "error": "access_denied",
            "error_description": "AADSTS65004: User declined to consent to access the app.\r\n"
            "Trace ID: 0f3c\r\nCorrelation ID: 9d1e",
            "state": started.state,
        },
    )
    assert response["Location"] == "/sign-in/"
    assert _signed_in_user(client) is None
    page = _page_messages(client)
    assert "Microsoft sign-in was cancelled or refused" in page
    assert "AADSTS65004: User declined to consent to access the app." in page
    assert "Trace ID" not in page


def test_an_error_redeeming_the_code_shows_a_message(
    client: Client, fake_entra: FakeEntraSignIn
) -> None:
    started = start(client)
    response = client.get(
        "/sign-in/microsoft/callback/", {"code": "0.never-issued", "state": started.state}
    )
    assert response["Location"] == "/sign-in/"
    assert _signed_in_user(client) is None
    assert "AADSTS54005" in _page_messages(client)


def test_a_wrong_nonce_signs_no_one_in(client: Client, fake_entra: FakeEntraSignIn) -> None:
    started = start(client)
    code = fake_entra.code_for(claims_for(groups=[ADMIN_GROUP], nonce="another-sign-in"))
    client.get("/sign-in/microsoft/callback/", {"code": code, "state": started.state})
    assert _signed_in_user(client) is None
    assert "replay check" in _page_messages(client)


def test_an_account_of_another_tenant_is_refused(
    client: Client, fake_entra: FakeEntraSignIn
) -> None:
    claims = claims_for(groups=[ADMIN_GROUP], tid="0badc0de-0000-4000-8000-000000000000")
    sign_in_with_microsoft(client, fake_entra, claims)
    assert _signed_in_user(client) is None
    assert "another organisation" in _page_messages(client)


def test_microsoft_unreachable_is_said_plainly(
    client: Client, settings: SettingsWrapper, monkeypatch: pytest.MonkeyPatch
) -> None:
    entra_settings(settings)
    monkeypatch.setattr(
        "portal.staff.entra._HTTP_CACHE", {}
    )  # no discovery document kept from before
    with responses.RequestsMock():  # nothing registered: every call fails to connect
        response = client.get("/sign-in/microsoft/")
    assert response["Location"] == "/sign-in/"
    assert "could not be reached" in _page_messages(client)


# --- No token anywhere ---------------------------------------------------------------------------


def test_no_token_reaches_the_logs_or_the_database(
    client: Client, fake_entra: FakeEntraSignIn, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    sign_in_with_microsoft(client, fake_entra, claims_for(groups=[ADMIN_GROUP]))
    assert _signed_in_user(client) is not None
    assert client.get("/audit/").status_code == 200
    assert len(fake_entra.issued) == 4  # the code, an id, an access and a refresh token

    logged = caplog.text + " ".join(str(record.args) for record in caplog.records)
    assert "Signed in with Microsoft" in logged  # the log was captured at all
    with connection.cursor() as cursor:
        stored = []
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT * FROM "{table}"')  # the table names come from the schema
            stored.append(repr(cursor.fetchall()))
    database = "\n".join(stored)
    session = repr(dict(client.session))
    for secret in fake_entra.issued:
        assert secret not in logged
        assert secret not in database
        assert secret not in session
    for marker in ("plaintext-access-marker", "plaintext-refresh-marker", "plaintext-code-marker"):
        assert marker not in logged and marker not in database


# --- Settings ------------------------------------------------------------------------------------


def test_the_role_names_are_the_portals_roles() -> None:
    assert set(ROLE_NAMES) == {role.value for role in Role}


def test_group_roles_parse_in_any_case_and_refuse_mistakes() -> None:
    parsed = parse_group_roles(
        "X", f" {ADMIN_GROUP.upper()} = admin agent , {HELPDESK_GROUP}=Helpdesk agent,"
    )
    assert parsed == {ADMIN_GROUP: "Admin agent", HELPDESK_GROUP: "Helpdesk agent"}
    for bad, words in [
        ("not-a-guid=Admin agent", "is not <group object id>=<role>"),
        (f"{ADMIN_GROUP}", "is not <group object id>=<role>"),
        (f"{ADMIN_GROUP}=Superhero", "is not a role"),
        (f"{ADMIN_GROUP}=Admin agent,{ADMIN_GROUP}=Sales agent", "listed twice"),
    ]:
        with pytest.raises(ImproperlyConfigured, match=words):
            parse_group_roles("X", bad)


def test_microsoft_sign_in_needs_its_settings_and_one_tenant() -> None:
    with pytest.raises(ImproperlyConfigured, match="PORTAL_ENTRA_CLIENT_SECRET"):
        check_entra_settings(
            tenant_id="t", client_id="c", client_secret="", group_roles={"g": "Admin agent"}
        )
    with pytest.raises(ImproperlyConfigured, match="any organisation"):
        check_entra_settings(
            tenant_id="organizations",
            client_id="c",
            client_secret="s",
            group_roles={"g": "Admin agent"},
        )
