"""Add user through the views: the form, Save's one-time answer, resubmits, errors, tickets."""

from __future__ import annotations

# ruff: noqa: F811 (pytest fixtures imported from lifecycle_support, used as arguments)
import html
import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone
from pytest_django import Settings

from portal.partnercenter import InvalidInput, Throttled, Unavailable
from portal.sandbox.models import CustomerUser, FaultSettings, SubscribedSku
from tests.sandbox_data import BUSINESS_BASIC, HELPDESK_ADMIN, OFFICE_E3
from tests.users.lifecycle_support import (  # noqa: F401 (fixtures)
    Scene,
    add_fields,
    add_user,
    audit,
    form_id_of,
    scene,
    shown_password,
    signed_in,
    ticket_links,
)
from users.bulk.models import BulkJob
from users.bulk.schedule import scheduled_jobs_release
from users.bulk.worker import bulk_job_run
from users.models import OneTimeRequest

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])


def carols() -> int:
    return CustomerUser.objects.filter(user_principal_name="carol@contoso.com").count()


# --- The form -------------------------------------------------------------------------------------


def test_the_form_has_every_field_and_a_new_one_time_id_each_time(
    client: Client, admin_agent: User, scene: Scene
) -> None:
    signed_in(client, admin_agent)
    first = client.get(scene.add_url() + "?ticket=INC-77")
    page = first.content.decode()
    assert first.status_code == 200
    for label in (
        "First name",
        "Last name",
        "Display name",
        "Username",
        "Location",
        "Permissions",
        "Licenses",
        "Generate a password",
        "Let me type a password",
        "Make this user change the password when they first sign in",
        "Ticket reference",
    ):
        assert label in page
    assert '<option value="contoso.com">contoso.com</option>' in page
    assert '<option value="contoso.onmicrosoft.com">contoso.onmicrosoft.com</option>' in page
    assert '<option value="DE">Germany</option>' in page
    # Roles: the customer's directory roles, none checked.
    assert "Global Administrator" in page and "Helpdesk Administrator" in page
    assert f'value="{HELPDESK_ADMIN}"' in page
    assert 'name="roles" value' in page and "checked" not in _between(
        page, "Permissions", "Licenses"
    )
    # The E3 licence has no seat left: shown, disabled.
    assert "Office 365 E3 (0 of 1 available)" in page
    e3 = _input(page, f'value="{OFFICE_E3}"')
    assert "disabled" in e3
    assert "disabled" not in _input(page, f'value="{BUSINESS_BASIC}"')
    assert 'value="INC-77"' in page  # ?ticket= pre-fills
    assert "checked" in _input(page, 'id="id_force_change_password"')
    second = client.get(scene.add_url()).content.decode()
    assert form_id_of(page) != form_id_of(second)


def test_htmx_gets_the_modal_fragment(client: Client, admin_agent: User, scene: Scene) -> None:
    signed_in(client, admin_agent)
    response = client.get(scene.add_url(), headers={"HX-Request": "true"})
    page = response.content.decode()
    assert response.status_code == 200
    assert page.lstrip().startswith('<div class="modal-header">')
    assert 'id="dialog-title"' in page
    assert f'hx-post="{scene.add_url()}"' in page
    assert "<html" not in page


def test_the_users_list_has_add_user_for_admin_agents_only(
    client: Client, admin_agent: User, helpdesk_agent: User, scene: Scene
) -> None:
    signed_in(client, admin_agent)
    assert f'href="{scene.add_url()}"' in client.get(scene.users_url()).content.decode()
    signed_in(client, helpdesk_agent)
    assert scene.add_url() not in client.get(scene.users_url()).content.decode()


@pytest.mark.parametrize("role", ["helpdesk_agent", "sales_agent", "no_role_staff"])
def test_only_admin_agents_may_add_users(
    client: Client, role: str, request: pytest.FixtureRequest, scene: Scene
) -> None:
    signed_in(client, request.getfixturevalue(role))
    assert client.get(scene.add_url()).status_code == 403
    response = client.post(
        scene.add_url(), {**add_fields(), "form_id": "8c8e1c3c-7d8e-4a4e-9b5f-0f6b1a2c3d4e"}
    )
    assert response.status_code == 403
    assert carols() == 0


# --- Save -----------------------------------------------------------------------------------------


def test_save_shows_the_generated_password_once_in_the_answer_itself(
    client: Client, admin_agent: User, scene: Scene
) -> None:
    signed_in(client, admin_agent)
    form_id, response = add_user(client, scene)
    assert response.status_code == 200  # the answer itself, not a redirect
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    password = shown_password(page)
    assert len(password) == 16
    assert "Copy the temporary password now." in page
    assert "won't be available later" in page
    assert 'data-copy-from="temporary-password"' in page  # the Copy button (shown by script)
    assert "readonly" in _input(page, 'id="temporary-password"')  # the fallback
    assert "✓</span> Created carol@contoso.com" in page
    user = CustomerUser.objects.get(user_principal_name="carol@contoso.com")
    assert (user.display_name, user.usage_location, user.first_name) == (
        "Carol Singer",
        "DE",
        "Carol",
    )
    assert OneTimeRequest.objects.get(request_id=form_id, done_at__isnull=False).user_id == str(
        user.pk
    )
    [record] = audit("user_create")
    assert (record.ticket, record.ms_request_id, record.staff_username) == (
        "INC-1234",
        form_id,
        "amara",
    )


def test_a_resubmitted_form_answers_already_created_and_never_the_password(
    client: Client, admin_agent: User, scene: Scene
) -> None:
    signed_in(client, admin_agent)
    form_id, first = add_user(client, scene)
    password = shown_password(first.content.decode())
    # Reload, back-and-Save, or a double click: the same form, the same one-time id.
    again = client.post(scene.add_url(), {**add_fields(), "form_id": form_id})
    page = again.content.decode()
    assert again.status_code == 200
    assert "Already created</strong> — <a href=" in page
    assert "reset the password</a> if it was lost" in page
    assert password not in page
    assert 'id="temporary-password"' not in page
    assert carols() == 1
    assert len(audit("user_create")) == 1


def test_an_empty_display_name_is_filled_from_first_and_last_name(
    client: Client, admin_agent: User, scene: Scene
) -> None:
    signed_in(client, admin_agent)
    _, response = add_user(client, scene, display_name="")
    assert response.status_code == 200
    assert CustomerUser.objects.get(user_principal_name="carol@contoso.com").display_name == (
        "Carol Singer"
    )


def test_a_typed_password_is_used_and_checked(
    client: Client, admin_agent: User, scene: Scene
) -> None:
    signed_in(client, admin_agent)
    _, weak = add_user(client, scene, password_choice="typed", password="weakweak")
    page = weak.content.decode()
    assert "A password needs three of these four" in page
    assert 'value="weakweak"' not in page  # a typed password is never sent back
    assert carols() == 0
    _, response = add_user(client, scene, password_choice="typed", password="Typed!Pass123")
    assert shown_password(response.content.decode()) == "Typed!Pass123"
    assert carols() == 1


def test_roles_and_licences_are_given_and_reported(
    client: Client, admin_agent: User, scene: Scene
) -> None:
    signed_in(client, admin_agent)
    form_id, response = add_user(client, scene, roles=[HELPDESK_ADMIN], licences=[BUSINESS_BASIC])
    # Helpdesk Administrator is privileged: a confirmation step first, nothing created yet.
    page = response.content.decode()
    assert "Confirm a privileged role." in page
    assert "Carol Singer (carol@contoso.com) the privileged role" in page
    assert f'name="confirm_privileged" value="{HELPDESK_ADMIN}"' in page
    assert form_id_of(page) == form_id and carols() == 0
    response = client.post(
        scene.add_url(),
        {
            **add_fields(roles=[HELPDESK_ADMIN], licences=[BUSINESS_BASIC]),
            "form_id": form_id,
            "confirm_privileged": HELPDESK_ADMIN,
        },
    )
    page = response.content.decode()
    assert "✓</span> Gave the privileged role Helpdesk Administrator" in page
    assert "✓</span> Changed the licenses" in page
    user = CustomerUser.objects.get(user_principal_name="carol@contoso.com")
    assert list(user.role_members.values_list("role__name", flat=True)) == [
        "Helpdesk Administrator"
    ]
    assert [audit("user_roles_change")[0].ticket, audit("user_licenses_change")[0].ticket] == [
        "INC-1234",
        "INC-1234",
    ]


def test_a_failed_later_step_says_what_was_and_was_not_done(
    client: Client, admin_agent: User, scene: Scene
) -> None:
    # One E3 seat is free when the form is shown, and taken before Save: the licence step fails.
    signed_in(client, admin_agent)
    e3 = SubscribedSku.objects.filter(customer=scene.customer, sku_id=OFFICE_E3)
    e3.update(active_units=2)
    form_id = form_id_of(client.get(scene.add_url()).content.decode())
    e3.update(active_units=1)
    response = client.post(
        scene.add_url(), {**add_fields(licences=[OFFICE_E3]), "form_id": form_id}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "The user was added, but not everything was done." in page
    assert "✓</span> Created carol@contoso.com" in page
    assert "✗</span> <strong>Not done:</strong> Changed the licenses" in page
    assert shown_password(page)  # the user exists: its password is still shown once
    assert carols() == 1


# --- Refused before Save --------------------------------------------------------------------------


def test_form_errors_re_show_the_form_with_a_new_id(
    client: Client, admin_agent: User, scene: Scene
) -> None:
    signed_in(client, admin_agent)
    form_id, response = add_user(
        client,
        scene,
        first_name="x" * 51,
        display_name="",
        alias="bad..alias",
        licences=[BUSINESS_BASIC],
        usage_location="",
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Ensure this value has at most 50 characters" in page
    assert "This username: the part before the @ cannot have two dots in a row." in page
    assert "Licenses need a location" in page
    assert form_id_of(page) != form_id
    assert carols() == 0


def test_a_licence_with_no_seat_left_is_refused(
    client: Client, admin_agent: User, scene: Scene
) -> None:
    signed_in(client, admin_agent)
    _, response = add_user(client, scene, licences=[OFFICE_E3])
    assert "Office 365 E3 has no seat left" in response.content.decode()
    assert carols() == 0


def test_a_taken_username_lands_on_the_username_field(
    client: Client, admin_agent: User, scene: Scene
) -> None:
    signed_in(client, admin_agent)
    form_id, response = add_user(client, scene, alias="BOB", domain="contoso.onmicrosoft.com")
    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_alias_error">Another user of this customer already has this username' in page
    assert form_id_of(page) != form_id
    assert audit("user_create")[0].outcome == "failed"


def test_invalid_input_lands_on_the_form_with_the_correlation_id(
    client: Client, admin_agent: User, scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(**kwargs: object) -> None:
        raise InvalidInput("The usage location is not valid", correlation_id="corr-400")

    monkeypatch.setattr("users.views.add.user_create", refuse)
    signed_in(client, admin_agent)
    form_id, response = add_user(client, scene)
    page = response.content.decode()
    assert "Partner Center rejected the request. The usage location is not valid." in page
    assert "Correlation id: corr-400" in page
    assert form_id_of(page) != form_id


def test_throttling_says_when_to_try_again(
    client: Client, admin_agent: User, scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    def busy(**kwargs: object) -> None:
        raise Throttled("busy", retry_after=12, correlation_id="corr-429")

    monkeypatch.setattr("users.views.add.user_create", busy)
    signed_in(client, admin_agent)
    _, response = add_user(client, scene)
    assert "Partner Center is busy. Try again in 12 seconds." in response.content.decode()


def test_an_unconfirmed_save_keeps_the_same_id_and_saving_again_creates_one_user(
    client: Client, admin_agent: User, scene: Scene
) -> None:
    signed_in(client, admin_agent)
    form_id = form_id_of(client.get(scene.add_url()).content.decode())
    faults = FaultSettings.current()
    faults.error_rate = 1.0  # every attempt fails with a 5xx: the outcome is unknown
    faults.save()
    response = client.post(scene.add_url(), {**add_fields(), "form_id": form_id})
    page = response.content.decode()
    assert "Partner Center did not confirm" in page
    assert "press Save again — it will not create a second user" in page.replace("Press", "press")
    assert form_id_of(page) == form_id  # the SAME id
    assert 'name="pending" value="1"' in page
    faults.error_rate = 0.0
    faults.save()
    again = client.post(scene.add_url(), {**add_fields(pending="1"), "form_id": form_id})
    assert shown_password(again.content.decode())
    assert carols() == 1
    assert OneTimeRequest.objects.get(done_at__isnull=False).request_id == form_id


def test_an_unconfirmed_save_with_a_typed_password_asks_for_it_again_and_keeps_the_id(
    client: Client, admin_agent: User, scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    def lost(**kwargs: object) -> None:
        raise Unavailable("timeout", outcome_unknown=True)

    monkeypatch.setattr("users.views.add.user_create", lost)
    signed_in(client, admin_agent)
    form_id, response = add_user(client, scene, password_choice="typed", password="Typed!Pass123")
    page = response.content.decode()
    assert "Type the password again" in page
    assert "Typed!Pass123" not in page
    # Saved again without the password: still the same id, so no second user can follow.
    retry = client.post(
        scene.add_url(),
        {**add_fields(pending="1", password_choice="typed"), "form_id": form_id},
    )
    assert form_id_of(retry.content.decode()) == form_id


def test_a_lost_answer_retried_by_the_sdk_still_shows_the_password(
    client: Client, admin_agent: User, scene: Scene
) -> None:
    signed_in(client, admin_agent)
    form_id = form_id_of(client.get(scene.add_url()).content.decode())
    faults = FaultSettings.current()
    faults.lost_response_rate = 1.0  # committed, then answered 504; the retry gets the replay
    faults.save()
    response = client.post(scene.add_url(), {**add_fields(), "form_id": form_id})
    page = response.content.decode()
    assert shown_password(page)
    assert "is not known" not in page
    assert carols() == 1


def test_a_second_save_after_a_lost_answer_says_the_password_is_unknown_and_offers_reset(
    client: Client, admin_agent: User, scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    signed_in(client, admin_agent)
    form_id = form_id_of(client.get(scene.add_url()).content.decode())
    FaultSettings.objects.update(lost_response_rate=1.0)

    def network_down(seconds: float) -> None:  # every retry after the lost answer fails
        FaultSettings.objects.update(lost_response_rate=0.0, error_rate=1.0)

    monkeypatch.setattr("portal.partnercenter.retry._sleep", network_down)
    first = client.post(scene.add_url(), {**add_fields(), "form_id": form_id}).content.decode()
    assert "Partner Center did not confirm" in first and form_id_of(first) == form_id
    FaultSettings.objects.update(error_rate=0.0)
    response = client.post(scene.add_url(), {**add_fields(pending="1"), "form_id": form_id})
    page = response.content.decode()
    assert "The temporary password is not known." in page
    assert 'id="temporary-password"' not in page
    user = CustomerUser.objects.get(user_principal_name="carol@contoso.com")
    assert f'action="{scene.user_url(user, "reset-password")}"' in page
    assert ">Reset password</button>" in page
    # The one click resets it, as a new action with its own id.
    reset_id = re.search(r'name="reset-form_id" value="([0-9a-f-]{36})"', page)
    assert reset_id and reset_id.group(1) != form_id
    reset = client.post(
        scene.user_url(user, "reset-password"),
        {"reset-form_id": reset_id.group(1), "reset-force_change_password": "on"},
    )
    assert shown_password(reset.content.decode())


def test_a_required_ticket_is_required(
    client: Client, admin_agent: User, scene: Scene, settings: Settings
) -> None:
    settings.PORTAL_TICKET_REQUIRED = True
    signed_in(client, admin_agent)
    _, response = add_user(client, scene, ticket="")
    assert "This field is required." in response.content.decode()
    assert carols() == 0


def _between(page: str, start: str, end: str) -> str:
    return page[page.index(start) : page.index(end, page.index(start))]


def _input(page: str, marker: str) -> str:
    """The whole <input ...> tag containing `marker`."""
    at = page.index(marker)
    return page[page.rindex("<input", 0, at) : page.index(">", at) + 1]


def test_add_another_user_comes_back_empty_with_the_same_domain_location_and_licences(
    client: Client, admin_agent: User, scene: Scene
) -> None:
    signed_in(client, admin_agent)
    _, response = add_user(client, scene, licences=[BUSINESS_BASIC])
    page = response.content.decode()
    match = re.search(r'href="([^"]+)"[^>]*>Add another user</a>', page)
    assert match, "the answer offers Add another user"
    another = html.unescape(match.group(1))
    assert another.startswith(scene.add_url() + "?")
    form = client.get(another).content.decode()
    assert '<option value="DE" selected>' in form
    assert re.search(rf'value="{BUSINESS_BASIC}"[^>]*checked', form)
    assert '<option value="contoso.com" selected>' in form
    assert 'value="INC-1234"' in form
    assert 'name="alias" value=' not in form  # the new user's own fields are empty
    assert 'value="Carol' not in form
    # The next Save is a new user with a new one-time id.
    second = client.post(
        scene.add_url(),
        {
            **add_fields(first_name="Dave", last_name="Singer", display_name="Dave Singer"),
            "alias": "dave",
            "licences": [BUSINESS_BASIC],
            "form_id": form_id_of(form),
        },
    )
    assert "User added:" in second.content.decode()
    assert CustomerUser.objects.filter(user_principal_name="dave@contoso.com").exists()


# --- The username, checked as it is typed ---------------------------------------------------------


def test_the_username_is_checked_against_the_directory_as_it_is_typed(
    client: Client, admin_agent: User, scene: Scene
) -> None:
    signed_in(client, admin_agent)
    page = client.get(scene.add_url()).content.decode()  # the form: the customer is read
    check = f"/customers/{scene.id}/users/add/username/"
    assert f'hx-get="{check}"' in page

    def said(alias: str, domain: str = "contoso.onmicrosoft.com") -> str:
        response = client.get(check, {"alias": alias, "domain": domain})
        assert response.status_code == 200
        return html.unescape(re.sub(r"<[^>]+>", "", response.content.decode())).strip()

    assert said("ALICE") == (
        "Another user of this customer already has this username. Choose another one."
    )
    assert said("carol") == "carol@contoso.onmicrosoft.com is free."
    assert said("dora") == (
        "dora@contoso.onmicrosoft.com is free. A deleted user had it: restoring that user later "
        "will conflict with this one."
    )
    assert said("carol", "fabrikam.com").startswith("This username is not at one of")
    assert said("car ol") == (
        "This username: the part before the @ may only have letters A-Z, digits and "
        ". - _ ! # ^ ~ ' (remove the space)."
    )
    assert said("") == ""


def test_only_who_may_add_users_may_check_usernames(
    client: Client, helpdesk_agent: User, scene: Scene
) -> None:
    signed_in(client, helpdesk_agent)
    response = client.get(f"/customers/{scene.id}/users/add/username/", {"alias": "alice"})
    assert response.status_code == 403


# --- At a date and time ---------------------------------------------------------------------------


def _at(**overrides: object) -> dict[str, object]:
    day = (timezone.now() + timedelta(days=5)).date().isoformat()
    return {
        "when": "at",
        "run_date": day,
        "run_time": "08:00",
        "run_zone": "Europe/Berlin",
        **overrides,
    }


def test_a_new_starter_scheduled_for_monday_is_created_then_once(
    client: Client, admin_agent: User, scene: Scene
) -> None:
    signed_in(client, admin_agent)
    form_id, response = add_user(client, scene, **_at())
    job = BulkJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/customers/{scene.id}/uploads/{job.public_id}/"
    assert (job.state, job.usage_location, job.run_time_zone) == (
        BulkJob.SCHEDULED,
        "DE",
        "Europe/Berlin",
    )
    assert list(job.rows.values_list("email", "display_name")) == [
        ("carol@contoso.com", "Carol Singer")
    ]
    assert carols() == 0  # nothing sent now
    again = client.post(scene.add_url(), {**add_fields(**_at()), "form_id": form_id})
    assert again["Location"] == response["Location"] and BulkJob.objects.count() == 1

    assert job.run_at is not None
    scheduled_jobs_release(now=job.run_at)
    bulk_job_run(job_id=job.pk, concurrency=1)
    assert carols() == 1
    job.refresh_from_db()
    [row] = job.rows.all()
    assert row.state == "created" and row.password_encrypted  # waiting for its one download


def test_a_scheduled_starter_cannot_have_admin_roles_or_a_typed_password(
    client: Client, admin_agent: User, scene: Scene
) -> None:
    signed_in(client, admin_agent)
    _, with_role = add_user(client, scene, roles=[HELPDESK_ADMIN], **_at())
    assert "Admin roles are given once the user exists" in html.unescape(with_role.content.decode())
    _, typed = add_user(client, scene, password_choice="typed", password="Typed!Pass123", **_at())
    assert "choose Generate" in html.unescape(typed.content.decode())
    _, past = add_user(client, scene, **_at(run_date="2020-01-01"))
    assert "has already passed" in html.unescape(past.content.decode())
    assert not BulkJob.objects.exists() and carols() == 0
