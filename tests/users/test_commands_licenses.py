"""manage.py customer_subscribed_sku_get, customer_user_license_get and customer_user_license_set
(Get-PartnerCustomerSubscribedSku, Get-/Set-PartnerCustomerUserLicense): seats checked before
anything is sent, audited and ticketed as the user page's license boxes."""

# ruff: noqa: F811 (pytest fixtures imported from commands_support, used as arguments)

from __future__ import annotations

import json
from uuid import UUID

import pytest
from django.contrib.auth.models import User

from portal.sandbox.models import LicenseAssignment
from tests.sandbox_data import BUSINESS_BASIC, MINECRAFT, OFFICE_E3
from tests.test_authorization_matrix import sandbox_state
from tests.users.commands_support import (  # noqa: F401 (fixtures)
    Outcome,
    Scene,
    arrange,
    audit,
    refresh,
    run,
    scene,
)

pytestmark = [
    pytest.mark.django_db(databases=["default", "sandbox"]),
    pytest.mark.usefixtures("empty_cache"),
]


def held(user_pk: UUID) -> set[str]:
    return {
        str(sku_id)
        for sku_id in LicenseAssignment.objects.filter(user_id=user_pk).values_list(
            "sku__sku_id", flat=True
        )
    }


def license_set(scene: Scene, *argv: str, staff: str = "amara") -> Outcome:
    user = ["--user-id", str(scene.bob.pk)]
    return run("customer_user_license_set", "--as", staff, *scene.customer, *user, *argv)


# --- Subscribed SKUs ------------------------------------------------------------------------------


def test_the_subscribed_skus_are_listed_with_their_seats(scene: Scene, sales_agent: User) -> None:
    result = run("customer_subscribed_sku_get", "--as", "sofia", *scene.customer)
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    header = "Sku part number  Name  Available units  Total units  Sku id"
    assert lines[0].split() == header.split()
    [e3] = [line for line in lines if line.startswith("ENTERPRISEPACK")]
    assert e3.split()[:6] == ["ENTERPRISEPACK", "Office", "365", "E3", "4", "5"]
    assert lines[-1] == "2 licenses"  # Group1 only, as Partner Center without a group


def test_a_license_group_is_asked_for_by_name_in_any_case(scene: Scene, sales_agent: User) -> None:
    result = run(
        "customer_subscribed_sku_get",
        *["--as", "sofia", *scene.customer, "--license-group", "group2", "--json"],
    )
    assert result.code == 0, result.err
    [minecraft] = json.loads(result.out)
    assert minecraft == {
        "sku_id": MINECRAFT,
        "sku_part_number": "MEE_STUDENT",
        "name": "Minecraft: Education Edition",
        "license_group_id": "Group2",
        "available_units": 3,
        "consumed_units": 0,
        "total_units": 3,
        "capability_status": "Enabled",
    }
    both = run(
        "customer_subscribed_sku_get",
        *["--as", "sofia", *scene.customer, "--license-group", "Group1"],
        *["--license-group", "Group2", "--json"],
    )
    assert {sku["sku_id"] for sku in json.loads(both.out)} == {OFFICE_E3, BUSINESS_BASIC, MINECRAFT}


def test_an_unknown_license_group_is_bad_input(scene: Scene, sales_agent: User) -> None:
    result = run(
        "customer_subscribed_sku_get", "--as", "sofia", *scene.customer, "--license-group", "G3"
    )
    assert result.code == 2
    assert "'G3' is not a license group (Group1: Microsoft Entra ID" in result.error_line


# --- A user's licenses ----------------------------------------------------------------------------


def test_a_users_licenses_are_listed_by_username(scene: Scene, sales_agent: User) -> None:
    result = run(
        "customer_user_license_get",
        *["--as", "sofia", "--domain", "contoso.com"],
        *["--user-principal-name", "ALICE@contoso.onmicrosoft.com", "--json"],
    )
    assert result.code == 0, result.err
    [e3] = json.loads(result.out)
    assert (e3["sku_id"], e3["sku_part_number"], e3["license_group_id"]) == (
        OFFICE_E3,
        "ENTERPRISEPACK",
        "Group1",
    )
    assert e3["service_plans"] == []  # this SKU has no service plans in the sandbox


def test_a_users_licenses_as_a_table(scene: Scene, sales_agent: User) -> None:
    user = ["--user-id", str(scene.alice.pk)]
    result = run("customer_user_license_get", "--as", "sofia", *scene.customer, *user)
    lines = result.out.splitlines()
    assert lines[0] == "alice@contoso.onmicrosoft.com:"
    assert lines[3].split() == ["ENTERPRISEPACK", "Office", "365", "E3", "Group1", OFFICE_E3]
    assert lines[-1] == "1 license"


@pytest.mark.parametrize(
    "user",
    [
        ["--user-principal-name", "nobody@contoso.onmicrosoft.com"],
        ["--user-id", "0b9a3f3e-1111-4222-8333-944455556666"],
    ],
)
def test_an_unknown_user_exits_4(scene: Scene, sales_agent: User, user: list[str]) -> None:
    result = run("customer_user_license_get", "--as", "sofia", *scene.customer, *user)
    assert result.code == 4
    assert result.error_line.startswith("NotFound: No ")


def test_a_deleted_user_is_not_found(scene: Scene, sales_agent: User) -> None:
    user = ["--user-id", str(scene.dora.pk)]
    result = run("customer_user_license_get", "--as", "sofia", *scene.customer, *user)
    assert result.code == 4
    assert "is deleted: restore it first" in result.error_line


# --- Setting licenses -----------------------------------------------------------------------------


def test_an_admin_agent_assigns_a_license_by_part_number_audited_with_the_ticket(
    scene: Scene, admin_agent: User
) -> None:
    result = license_set(scene, "--add", "enterprisepack", "--ticket", "INC-7")
    assert result.code == 0, result.err
    assert result.out.splitlines()[0] == "Changed the licenses of bob@contoso.onmicrosoft.com."
    assert held(scene.bob.pk) == {OFFICE_E3}
    [record] = audit("user_licenses_change")
    assert (record.via, record.staff, record.ticket, record.target_user_id) == (
        "command",
        admin_agent,
        "INC-7",
        str(scene.bob.pk),
    )
    assert record.changes == {"assigned": [OFFICE_E3], "removed": []}


def test_one_update_assigns_and_removes_and_says_so_in_json(
    scene: Scene, admin_agent: User
) -> None:
    alice = ["--user-id", str(scene.alice.pk)]
    result = run(
        "customer_user_license_set",
        *["--as", "amara", *scene.customer, *alice, "--remove", OFFICE_E3, "--json"],
    )
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert (data["assigned"], data["removed"], data["licenses"]) == ([], ["Office 365 E3"], [])
    assert held(scene.alice.pk) == set()


def test_a_license_with_no_seat_left_is_refused_before_anything_is_sent(
    scene: Scene, admin_agent: User
) -> None:
    before = sandbox_state()
    result = license_set(scene, "--add", OFFICE_E3, "--add", BUSINESS_BASIC)
    assert result.code == 2
    assert result.error_line == (
        "BadInput: Microsoft 365 Business Basic has no seat left. Buy more seats or free one "
        "first. Nothing was changed."
    )
    assert sandbox_state() == before
    assert audit("user_licenses_change") == []


def test_a_user_without_a_location_gets_no_license(scene: Scene, admin_agent: User) -> None:
    bob = refresh(scene.bob)
    bob.usage_location = ""
    bob.save(update_fields=["usage_location"])
    result = license_set(scene, "--add", OFFICE_E3)
    assert result.code == 2
    assert "Licenses need a location, and bob@contoso.onmicrosoft.com has none" in (
        result.error_line
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "Nothing to change: give --add or --remove"),
        (["--add", "NOPE"], "NOPE is not one of Contoso's licenses"),
        (["--add", OFFICE_E3, "--remove", "ENTERPRISEPACK"], "is given to --add and to --remove"),
        (["--add", OFFICE_E3, "--add", MINECRAFT], "One update changes licenses of one license"),
    ],
)
def test_bad_license_choices_are_refused(
    scene: Scene, admin_agent: User, argv: list[str], message: str
) -> None:
    result = license_set(scene, *argv)
    assert result.code == 2
    assert message in result.error_line


def test_a_license_already_held_is_nothing_to_change(scene: Scene, admin_agent: User) -> None:
    alice = ["--user-id", str(scene.alice.pk)]
    result = run(
        "customer_user_license_set",
        *["--as", "amara", *scene.customer, *alice],
        *["--add", OFFICE_E3, "--remove", BUSINESS_BASIC],
    )
    assert result.code == 0, result.err
    assert result.out.startswith("Nothing to change")
    assert audit("user_licenses_change") == []


def test_a_minecraft_license_is_set_in_its_own_update(scene: Scene, admin_agent: User) -> None:
    assert license_set(scene, "--add", "MEE_STUDENT").code == 0
    assert held(scene.bob.pk) == {MINECRAFT}
    result = license_set(scene, "--remove", MINECRAFT)  # held in group 2: read in every group
    assert result.code == 0, result.err
    assert held(scene.bob.pk) == set()


def test_a_helpdesk_agent_may_not_set_licenses(scene: Scene, helpdesk_agent: User) -> None:
    result = license_set(scene, "--add", OFFICE_E3, staff="hugo")
    assert result.code == 3
    assert result.error_line.startswith("NotAllowed: hugo: Your role (Helpdesk agent)")


def test_only_an_id_names_the_user_as_in_the_cmdlet(scene: Scene, admin_agent: User) -> None:
    result = run(
        "customer_user_license_set",
        *["--as", "amara", *scene.customer, "--user-id", str(scene.bob.pk)],
        *["--user-principal-name", "bob@contoso.com", "--add", OFFICE_E3],
    )
    assert result.code == 2
    assert "unrecognized arguments: --user-principal-name" in result.error_line
