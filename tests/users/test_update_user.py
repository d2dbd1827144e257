"""The user page's actions through the views: Submit, the conflict view, Reset password, Delete
user account, roles, protected accounts, tickets, recent activity."""

from __future__ import annotations

# ruff: noqa: F811 (pytest fixtures imported from lifecycle_support, used as arguments)
import re

import pytest
from django.contrib.auth.models import User
from django.test import Client

from portal.partnercenter import Throttled
from portal.sandbox.models import CustomerUser, FaultSettings
from tests.sandbox_data import BUSINESS_BASIC, HELPDESK_ADMIN
from tests.users.lifecycle_support import (  # noqa: F401 (fixtures)
    Scene,
    audit,
    reset_fields,
    reset_form_id_of,
    scene,
    shown_password,
    signed_in,
    ticket_links,
)

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])

_FINGERPRINT = re.compile(r'name="fingerprint" value="([^"]+)"')


def form_of(client: Client, scene: Scene, user: CustomerUser) -> dict[str, object]:
    """The user page's Submit form as loaded: its fields' current values and the fingerprint."""
    page = client.get(scene.user_url(user)).content.decode()
    alias, _, domain = user.user_principal_name.partition("@")
    fields: dict[str, object] = {
        "first_name": user.first_name,
        "last_name": user.last_name,
        "display_name": user.display_name,
        "usage_location": user.usage_location,
        "fingerprint": _FINGERPRINT.findall(page)[0],
        "ticket": "INC-9",
    }
    if 'name="alias"' in page:
        fields.update(alias=alias, domain=domain)
    for name in ("roles", "licences"):  # the check boxes as a browser sends them: the checked ones
        tags = re.findall(rf'<input[^>]*name="{name}"[^>]*>', page)
        fields[name] = [re.findall(r'value="([^"]+)"', tag)[0] for tag in tags if " checked" in tag]
    return fields


# --- The page, per role ---------------------------------------------------------------------------


def test_an_admin_agent_gets_every_action(client: Client, admin_agent: User, scene: Scene) -> None:
    signed_in(client, admin_agent)
    page = client.get(scene.user_url(scene.bob) + "?ticket=INC-5").content.decode()
    assert f'action="{scene.user_url(scene.bob, "update")}"' in page
    assert 'name="alias" value="bob"' in page
    assert 'name="roles"' in page and 'name="licences"' in page
    assert ">Submit</button>" in page
    reset = f'href="{scene.user_url(scene.bob, "reset-password")}?ticket=INC-5">Reset password…</a>'
    assert reset in page
    assert (
        f'href="{scene.user_url(scene.bob, "delete")}?ticket=INC-5">Delete user account</a>' in page
    )
    assert page.count('value="INC-5"') == 1  # one ticket field on the page: Submit's
    assert "Recent activity" in page


def test_a_helpdesk_agent_may_change_names_and_location_only(
    client: Client, helpdesk_agent: User, scene: Scene
) -> None:
    signed_in(client, helpdesk_agent)
    page = client.get(scene.user_url(scene.bob)).content.decode()
    assert 'name="display_name"' in page and 'name="usage_location"' in page
    assert 'name="alias"' not in page and 'name="domain"' not in page
    assert "only an Admin agent can change it" in page
    assert 'name="roles"' not in page and 'name="licences"' not in page
    assert "Reset password…</a>" in page
    assert "Delete user account" not in page


def test_a_sales_agent_only_reads(client: Client, sales_agent: User, scene: Scene) -> None:
    signed_in(client, sales_agent)
    page = client.get(scene.user_url(scene.bob)).content.decode()
    assert "<dt>Display name</dt><dd>Bob Builder</dd>" in page
    for absent in ('<form method="post" action="/customers', "Submit", "Reset password", "Delete"):
        assert absent not in page
    for action in ("update", "reset-password", "delete"):
        assert client.post(scene.user_url(scene.bob, action), {}).status_code == 403


def test_a_protected_account_is_read_only_for_a_helpdesk_agent_and_says_why(
    client: Client, helpdesk_agent: User, scene: Scene
) -> None:
    signed_in(client, helpdesk_agent)
    page = client.get(scene.user_url(scene.alice)).content.decode()
    assert "Protected account." in page
    assert "you can look at this user but not change, reset or delete it" in page
    assert "Submit" not in page and "Reset password</button>" not in page
    fields = {"display_name": "Hacked", "fingerprint": "x", "ticket": ""}
    assert client.post(scene.user_url(scene.alice, "update"), fields).status_code == 403
    assert client.post(scene.user_url(scene.alice, "reset-password"), {}).status_code == 403
    scene.alice.refresh_from_db()
    assert scene.alice.display_name == "Alice Admin"
    assert not audit("user_reset_password")


def test_protection_is_read_live_not_from_the_directory(
    client: Client, helpdesk_agent: User, scene: Scene
) -> None:
    signed_in(client, helpdesk_agent)
    client.get(scene.users_url())  # a warm mirror in which Bob holds no role
    scene.bob.role_members.create(role=scene.customer.roles.get(role_id=HELPDESK_ADMIN))
    assert client.post(scene.user_url(scene.bob, "reset-password"), {}).status_code == 403


# --- Submit ---------------------------------------------------------------------------------------


def test_submit_sends_only_what_changed_and_clears_an_emptied_field(
    client: Client, helpdesk_agent: User, scene: Scene
) -> None:
    signed_in(client, helpdesk_agent)
    fields = form_of(client, scene, scene.bob)
    fields.update(display_name="Robert Builder", last_name="")
    response = client.post(scene.user_url(scene.bob, "update"), fields, follow=True)
    assert response.redirect_chain == [(scene.user_url(scene.bob), 302)]
    assert "Saved the user&#x27;s details." in response.content.decode()
    scene.bob.refresh_from_db()
    assert (scene.bob.display_name, scene.bob.last_name, scene.bob.first_name) == (
        "Robert Builder",
        "",
        "Bob",
    )
    [record] = audit("user_update")
    assert record.changes == {
        "display_name": ["Bob Builder", "Robert Builder"],
        "last_name": ["Builder", ""],
    }
    assert (record.ticket, record.staff_username) == ("INC-9", "hugo")


def test_an_unchanged_submit_changes_nothing(
    client: Client, admin_agent: User, scene: Scene
) -> None:
    signed_in(client, admin_agent)
    response = client.post(
        scene.user_url(scene.bob, "update"), form_of(client, scene, scene.bob), follow=True
    )
    assert "Nothing changed" in response.content.decode()
    assert not audit("user_update")


def test_a_crafted_username_change_from_a_helpdesk_agent_is_403(
    client: Client, helpdesk_agent: User, scene: Scene
) -> None:
    signed_in(client, helpdesk_agent)
    fields = form_of(client, scene, scene.bob)
    fields.update(alias="robert", domain="contoso.onmicrosoft.com")
    assert client.post(scene.user_url(scene.bob, "update"), fields).status_code == 403
    fields = form_of(client, scene, scene.bob)
    fields.update(roles=[HELPDESK_ADMIN])
    assert client.post(scene.user_url(scene.bob, "update"), fields).status_code == 403
    scene.bob.refresh_from_db()
    assert scene.bob.user_principal_name == "bob@contoso.onmicrosoft.com"
    assert not scene.bob.role_members.exists()


def test_an_admin_agent_changes_the_username_roles_and_licences(
    client: Client, admin_agent: User, scene: Scene
) -> None:
    signed_in(client, admin_agent)
    fields = form_of(client, scene, scene.bob)
    fields.update(
        alias="robert", domain="contoso.com", roles=[HELPDESK_ADMIN], licences=[BUSINESS_BASIC]
    )
    asked = client.post(scene.user_url(scene.bob, "update"), fields).content.decode()
    assert "You are about to give Bob Builder the privileged role" in asked
    scene.bob.refresh_from_db()
    assert scene.bob.user_principal_name == "bob@contoso.onmicrosoft.com"  # nothing changed yet
    fields["confirm_privileged"] = HELPDESK_ADMIN
    response = client.post(scene.user_url(scene.bob, "update"), fields, follow=True)
    page = response.content.decode()
    assert "Gave the privileged role Helpdesk Administrator." in page
    assert "Changed the licenses." in page
    scene.bob.refresh_from_db()
    assert scene.bob.user_principal_name == "robert@contoso.com"
    assert list(scene.bob.role_members.values_list("role__name", flat=True)) == [
        "Helpdesk Administrator"
    ]


def test_a_licence_needs_a_location(client: Client, admin_agent: User, scene: Scene) -> None:
    signed_in(client, admin_agent)
    fields = form_of(client, scene, scene.bob)
    fields.update(usage_location="", licences=[BUSINESS_BASIC])
    response = client.post(scene.user_url(scene.bob, "update"), fields)
    assert response.status_code == 200
    assert "Licenses need a location" in response.content.decode()
    assert not audit("user_update")


def test_a_taken_username_lands_on_the_username_field(
    client: Client, admin_agent: User, scene: Scene
) -> None:
    signed_in(client, admin_agent)
    fields = form_of(client, scene, scene.bob)
    fields.update(alias="alice", domain="contoso.onmicrosoft.com")
    page = client.post(scene.user_url(scene.bob, "update"), fields).content.decode()
    assert 'id="id_alias_error">Another user of this customer already has this username' in page
    assert audit("user_update")[0].outcome == "failed"


def test_a_concurrent_change_shows_both_versions_and_overwrites_nothing(
    client: Client, helpdesk_agent: User, scene: Scene
) -> None:
    signed_in(client, helpdesk_agent)
    fields = form_of(client, scene, scene.bob)
    CustomerUser.objects.filter(pk=scene.bob.pk).update(display_name="Changed Elsewhere")
    fields.update(display_name="Mine")
    response = client.post(scene.user_url(scene.bob, "update"), fields)
    page = response.content.decode()
    assert response.status_code == 409
    assert "Someone changed this user meanwhile" in page
    assert "<td>Changed Elsewhere</td>" in page and "<td>Mine</td>" in page
    assert f'href="{scene.user_url(scene.bob)}">Start over from the current version</a>' in page
    scene.bob.refresh_from_db()
    assert scene.bob.display_name == "Changed Elsewhere"
    assert not audit("user_update")


def test_a_stale_page_reverses_nothing_done_meanwhile(
    client: Client, admin_agent: User, scene: Scene
) -> None:
    """The first review's finding: an Admin opens two users' pages; meanwhile Bob is given a
    role and a license and Alice loses Global Administrator; the Admin changes only display
    names and presses Submit on each."""
    signed_in(client, admin_agent)
    bob, alice = form_of(client, scene, scene.bob), form_of(client, scene, scene.alice)
    assert alice["roles"] and not bob["roles"]  # the pages showed Alice's role, Bob none
    customer = scene.customer
    scene.bob.role_members.create(role=customer.roles.get(role_id=HELPDESK_ADMIN))
    scene.bob.licenses.create(sku=customer.skus.get(sku_id=BUSINESS_BASIC))
    scene.alice.role_members.all().delete()
    for fields, person in ((bob, scene.bob), (alice, scene.alice)):
        fields["display_name"] = f"{person.display_name} (renamed)"
        response = client.post(scene.user_url(person, "update"), fields)
        assert response.status_code == 302
    assert list(scene.bob.role_members.values_list("role__name", flat=True)) == [
        "Helpdesk Administrator"
    ]
    assert scene.bob.licenses.count() == 1
    assert not scene.alice.role_members.exists()
    assert not audit("user_roles_change") and not audit("user_licenses_change")
    assert len(audit("user_update")) == 2


def test_the_conflict_page_shows_the_page_as_loaded_now_and_yours(
    client: Client, admin_agent: User, scene: Scene
) -> None:
    signed_in(client, admin_agent)
    fields = form_of(client, scene, scene.bob)
    CustomerUser.objects.filter(pk=scene.bob.pk).update(display_name="Theirs")
    scene.bob.role_members.create(role=scene.customer.roles.get(role_id=HELPDESK_ADMIN))
    fields.update(display_name="Mine", usage_location="FR")
    response = client.post(scene.user_url(scene.bob, "update"), fields)
    page = response.content.decode()
    assert response.status_code == 409
    assert "When you opened the page" in page
    assert "<td>Bob Builder</td>" in page and "<td>Theirs</td>" in page
    assert "<td>Mine</td>" in page and "Both changed" in page
    assert "Admin roles" in page and "<td>Helpdesk Administrator</td>" in page
    scene.bob.refresh_from_db()
    assert (scene.bob.display_name, scene.bob.usage_location) == ("Theirs", "GB")
    assert not audit("user_update")


def test_a_forged_fingerprint_is_refused(client: Client, admin_agent: User, scene: Scene) -> None:
    signed_in(client, admin_agent)
    fields = form_of(client, scene, scene.bob)
    fields.update(fingerprint="forged", display_name="Mine")
    response = client.post(scene.user_url(scene.bob, "update"), fields)
    assert response.status_code == 400
    assert "The form was not made by this portal" in response.content.decode()


def test_partner_center_errors_on_submit_say_so_with_the_correlation_id(
    client: Client, admin_agent: User, scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    def busy(**kwargs: object) -> None:
        raise Throttled("busy", retry_after=3, correlation_id="corr-upd")

    signed_in(client, admin_agent)
    fields = form_of(client, scene, scene.bob)
    monkeypatch.setattr("users.updates.user_update", busy)
    page = client.post(scene.user_url(scene.bob, "update"), fields).content.decode()
    assert "Partner Center is busy. Try again in 3 seconds. (Correlation id: corr-upd)" in page


# --- Reset password -------------------------------------------------------------------------------


def test_reset_password_shows_the_new_password_once_with_no_store(
    client: Client, helpdesk_agent: User, scene: Scene
) -> None:
    signed_in(client, helpdesk_agent)
    response = client.post(
        scene.user_url(scene.bob, "reset-password"),
        reset_fields(client, scene.user_url(scene.bob), **{"reset-ticket": "INC-3"}),
    )
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    page = response.content.decode()
    password = shown_password(page)
    assert len(password) == 16
    assert "won't be available later" in page
    assert "must change it when they next sign in" in page
    [record] = audit("user_reset_password")
    assert (record.ticket, record.changes) == ("INC-3", {"must_change_at_next_sign_in": True})
    # Afterwards the user page does not show it.
    assert password not in client.get(scene.user_url(scene.bob)).content.decode()


def test_a_resubmitted_reset_form_resets_nothing_and_offers_to_reset_again(
    client: Client, helpdesk_agent: User, scene: Scene
) -> None:
    """Reset password → the password shows → F5 (or Back then Forward) and confirm."""
    signed_in(client, helpdesk_agent)
    fields = reset_fields(client, scene.user_url(scene.bob), **{"reset-ticket": "INC-4"})
    first = client.post(scene.user_url(scene.bob, "reset-password"), fields)
    password = shown_password(first.content.decode())
    scene.bob.refresh_from_db()
    set_at = scene.bob.password_last_set_at
    again = client.post(scene.user_url(scene.bob, "reset-password"), fields)
    page = again.content.decode()
    assert again.status_code == 200
    assert "Already reset" in page and "by you" in page and "Reset again?" in page
    assert password not in page and 'id="temporary-password"' not in page
    assert ">Reset again</button>" in page
    assert reset_form_id_of(page) != fields["reset-form_id"]  # a new, explicit action
    scene.bob.refresh_from_db()
    assert scene.bob.password_last_set_at == set_at
    assert len(audit("user_reset_password")) == 1
    # Reset again really resets, once.
    retry = {**fields, "reset-form_id": reset_form_id_of(page)}
    reset = client.post(scene.user_url(scene.bob, "reset-password"), retry)
    assert shown_password(reset.content.decode())
    assert len(audit("user_reset_password")) == 2


def test_an_unconfirmed_reset_keeps_its_id_and_a_second_press_cannot_know_the_password(
    client: Client, admin_agent: User, scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    signed_in(client, admin_agent)
    fields = reset_fields(client, scene.user_url(scene.bob))
    FaultSettings.objects.update(lost_response_rate=1.0)  # the reset commits, its answer is lost

    def network_down(seconds: float) -> None:  # and every retry fails
        FaultSettings.objects.update(lost_response_rate=0.0, error_rate=1.0)

    monkeypatch.setattr("portal.partnercenter.retry._sleep", network_down)
    page = client.post(scene.user_url(scene.bob, "reset-password"), fields).content.decode()
    assert "did not confirm that the password was reset" in page
    assert reset_form_id_of(page) == fields["reset-form_id"]
    assert 'name="reset-pending" value="1"' in page
    FaultSettings.objects.update(error_rate=0.0)
    scene.bob.refresh_from_db()
    set_at = scene.bob.password_last_set_at
    again = client.post(
        scene.user_url(scene.bob, "reset-password"), {**fields, "reset-pending": "1"}
    ).content.decode()
    # Partner Center answers from the first press: reset once, with a password nobody saw.
    assert "The temporary password is not known." in again
    assert 'id="temporary-password"' not in again
    assert reset_form_id_of(again) != fields["reset-form_id"]  # the one-click reset is new
    scene.bob.refresh_from_db()
    assert scene.bob.password_last_set_at == set_at


def test_a_reset_form_without_its_one_time_id_is_refused(
    client: Client, admin_agent: User, scene: Scene
) -> None:
    signed_in(client, admin_agent)
    response = client.post(
        scene.user_url(scene.bob, "reset-password"), {"reset-force_change_password": "on"}
    )
    assert "This form is out of date" in response.content.decode()
    assert not audit("user_reset_password")


def test_reset_password_asks_first_and_a_get_resets_nothing(
    client: Client, admin_agent: User, scene: Scene
) -> None:
    signed_in(client, admin_agent)
    set_at = scene.bob.password_last_set_at
    page = client.get(scene.user_url(scene.bob, "reset-password") + "?ticket=INC-8")
    html = page.content.decode()
    assert "Reset the password of Bob Builder (bob@contoso.onmicrosoft.com)?" in html
    assert 'name="reset-ticket" value="INC-8"' in html and ">Reset password</button>" in html
    assert reset_form_id_of(html)
    scene.bob.refresh_from_db()
    assert scene.bob.password_last_set_at == set_at
    assert not audit("user_reset_password")


# --- Delete user account --------------------------------------------------------------------------


def test_delete_asks_for_confirmation_naming_the_user_then_deletes(
    client: Client, admin_agent: User, scene: Scene
) -> None:
    signed_in(client, admin_agent)
    confirm = client.get(scene.user_url(scene.bob, "delete") + "?ticket=INC-8")
    page = confirm.content.decode()
    assert "Delete Bob Builder (bob@contoso.onmicrosoft.com)?" in page
    assert 'value="INC-8"' in page
    scene.bob.refresh_from_db()
    assert scene.bob.state == CustomerUser.ACTIVE  # a GET deletes nothing
    response = client.post(scene.user_url(scene.bob, "delete"), {"ticket": "INC-8"}, follow=True)
    assert response.redirect_chain == [(scene.users_url(), 302)]
    page = response.content.decode()
    assert "Deleted bob@contoso.onmicrosoft.com." in page
    assert "Deleted users (3)" in page
    scene.bob.refresh_from_db()
    assert scene.bob.state == CustomerUser.INACTIVE
    assert audit("user_delete")[0].ticket == "INC-8"


@pytest.mark.parametrize("role", ["helpdesk_agent", "sales_agent"])
def test_only_admin_agents_may_delete(
    client: Client, role: str, request: pytest.FixtureRequest, scene: Scene
) -> None:
    signed_in(client, request.getfixturevalue(role))
    assert client.get(scene.user_url(scene.bob, "delete")).status_code == 403
    assert client.post(scene.user_url(scene.bob, "delete"), {}).status_code == 403
    scene.bob.refresh_from_db()
    assert scene.bob.state == CustomerUser.ACTIVE


def test_an_admin_agent_may_delete_a_protected_account(
    client: Client, admin_agent: User, scene: Scene
) -> None:
    signed_in(client, admin_agent)
    page = client.get(scene.user_url(scene.alice, "delete")).content.decode()
    assert "This is a protected account" in page
    client.post(scene.user_url(scene.alice, "delete"), {"ticket": ""})
    scene.alice.refresh_from_db()
    assert scene.alice.state == CustomerUser.INACTIVE


# --- Recent activity and tickets ------------------------------------------------------------------


def test_recent_activity_on_the_user_page_links_its_tickets(
    client: Client, admin_agent: User, scene: Scene, ticket_links: None
) -> None:
    signed_in(client, admin_agent)
    client.post(
        scene.user_url(scene.bob, "reset-password"),
        reset_fields(client, scene.user_url(scene.bob), **{"reset-ticket": "INC-31"}),
    )
    page = client.get(scene.user_url(scene.bob)).content.decode()
    activity = page[page.index("Recent activity") :]
    assert "Reset password" in activity
    assert '<a href="https://tickets.example/INC-31"' in activity
    assert "amara" in activity
    # Another user's page does not list it.
    assert "INC-31" not in client.get(scene.user_url(scene.alice)).content.decode()


def test_a_bad_ticket_reference_is_refused(client: Client, admin_agent: User, scene: Scene) -> None:
    signed_in(client, admin_agent)
    fields = form_of(client, scene, scene.bob)
    fields.update(ticket="not a ticket", display_name="Mine")
    page = client.post(scene.user_url(scene.bob, "update"), fields).content.decode()
    assert "A ticket reference is letters, digits" in page
    assert not audit("user_update")
