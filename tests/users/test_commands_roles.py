"""manage.py customer_user_role_get, customer_user_role_add and customer_user_role_remove
(Get-PartnerCustomerUserRole, Add-/Remove-PartnerCustomerUserRoleMember): a privileged role needs
--confirm-privileged, as the user page asks first; audited and ticketed as the user page."""

# ruff: noqa: F811 (pytest fixtures imported from commands_support, used as arguments)

from __future__ import annotations

import json
from uuid import UUID

import pytest
from django.contrib.auth.models import User

from portal.sandbox.models import RoleMember
from tests.sandbox_data import GLOBAL_ADMIN
from tests.test_authorization_matrix import sandbox_state
from tests.users.commands_support import (  # noqa: F401 (fixtures)
    LICENSE_ADMIN,
    Outcome,
    Scene,
    arrange,
    audit,
    run,
    scene,
)

pytestmark = [
    pytest.mark.django_db(databases=["default", "sandbox"]),
    pytest.mark.usefixtures("empty_cache"),
]


def roles_of(user_pk: UUID) -> set[str]:
    members = RoleMember.objects.filter(user_id=user_pk)
    return {str(role_id) for role_id in members.values_list("role__role_id", flat=True)}


def role(scene: Scene, name: str, user_pk: object, *argv: str, staff: str = "amara") -> Outcome:
    user = ["--user-id", str(user_pk)]
    return run(f"customer_user_role_{name}", "--as", staff, *scene.customer, *user, *argv)


# --- Listing --------------------------------------------------------------------------------------


def test_the_customers_roles_are_listed_with_the_privileged_ones_marked(
    scene: Scene, sales_agent: User
) -> None:
    result = run("customer_user_role_get", "--as", "sofia", *scene.customer, "--json")
    assert result.code == 0, result.err
    assert sorted(json.loads(result.out), key=lambda row: row["name"]) == [
        {"id": GLOBAL_ADMIN, "name": "Global Administrator", "privileged": True},
        {"id": LICENSE_ADMIN, "name": "License Administrator", "privileged": False},
    ]


def test_one_users_roles_by_username(scene: Scene, sales_agent: User) -> None:
    result = run(
        "customer_user_role_get",
        *["--as", "sofia", *scene.customer, "--user-principal-name"],
        "alice@contoso.onmicrosoft.com",
    )
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0] == "alice@contoso.onmicrosoft.com:"
    assert lines[3].split() == ["Global", "Administrator", "true", GLOBAL_ADMIN]
    assert lines[-1] == "1 role"


def test_a_user_without_roles_has_none(scene: Scene, sales_agent: User) -> None:
    user = ["--user-id", str(scene.bob.pk), "--json"]
    result = run("customer_user_role_get", "--as", "sofia", *scene.customer, *user)
    assert json.loads(result.out) == []


def test_an_unknown_username_exits_4(scene: Scene, sales_agent: User) -> None:
    result = run(
        "customer_user_role_get",
        *["--as", "sofia", *scene.customer, "--user-principal-name", "zed@contoso.com"],
    )
    assert result.code == 4
    assert result.error_line.startswith("NotFound: No active user zed@contoso.com in Contoso")


# --- Adding and removing --------------------------------------------------------------------------


def test_an_admin_agent_gives_a_role_by_name_audited_with_the_ticket(
    scene: Scene, admin_agent: User
) -> None:
    result = role(
        scene, "add", scene.bob.pk, "--role-name", "license administrator", "--ticket", "INC-3"
    )
    assert result.code == 0, result.err
    assert result.out.splitlines()[0] == (
        "Gave bob@contoso.onmicrosoft.com the role License Administrator."
    )
    assert roles_of(scene.bob.pk) == {LICENSE_ADMIN}
    [record] = audit("user_roles_change")
    assert (record.via, record.staff, record.ticket, record.target_user_id) == (
        "command",
        admin_agent,
        "INC-3",
        str(scene.bob.pk),
    )
    assert record.changes == {"added": ["License Administrator"]}


def test_a_privileged_role_needs_confirmation_naming_it(scene: Scene, admin_agent: User) -> None:
    before = sandbox_state()
    refused = role(scene, "add", scene.bob.pk, "--role-id", GLOBAL_ADMIN)
    assert refused.code == 2
    assert refused.error_line == (
        "BadInput: Global Administrator is a privileged role: to give it to "
        "bob@contoso.onmicrosoft.com, add --confirm-privileged. Nothing was changed."
    )
    assert sandbox_state() == before
    assert audit("user_roles_change") == []

    result = role(scene, "add", scene.bob.pk, "--role-id", GLOBAL_ADMIN, "--confirm-privileged")
    assert result.code == 0, result.err
    assert roles_of(scene.bob.pk) == {GLOBAL_ADMIN}
    [record] = audit("user_roles_change")
    assert record.changes == {"added": ["Global Administrator"], "privileged": True}


def test_an_admin_agent_takes_a_role_away_from_a_protected_account(
    scene: Scene, admin_agent: User
) -> None:
    result = role(scene, "remove", scene.alice.pk, "--role-id", GLOBAL_ADMIN, "--json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert (data["role"], data["privileged"], data["changed"]) == (
        "Global Administrator",
        True,
        True,
    )
    assert roles_of(scene.alice.pk) == set()
    [record] = audit("user_roles_change")
    assert record.changes == {"removed": ["Global Administrator"]}


@pytest.mark.parametrize(
    ("name", "user", "held"),
    [("add", "alice", "already holds"), ("remove", "bob", "does not hold")],
)
def test_a_role_already_so_is_nothing_to_change(
    scene: Scene, admin_agent: User, name: str, user: str, held: str
) -> None:
    person = getattr(scene, user)
    result = role(scene, name, person.pk, "--role-id", GLOBAL_ADMIN)
    assert result.code == 0, result.err
    assert result.out.splitlines()[0] == (
        f"Nothing to change: {person.user_principal_name} {held} Global Administrator."
    )
    assert audit("user_roles_change") == []


@pytest.mark.parametrize(
    "argv", [["--role-name", "Astronaut"], ["--role-id", "0b9a3f3e-1111-4222-8333-944455556666"]]
)
def test_an_unknown_role_exits_4(scene: Scene, admin_agent: User, argv: list[str]) -> None:
    result = role(scene, "add", scene.bob.pk, *argv)
    assert result.code == 4
    assert result.error_line.startswith("NotFound: No directory role ")


def test_an_unknown_user_exits_4(scene: Scene, admin_agent: User) -> None:
    unknown = "0b9a3f3e-1111-4222-8333-944455556666"
    result = role(scene, "add", unknown, "--role-id", LICENSE_ADMIN)
    assert result.code == 4


@pytest.mark.parametrize("name", ["add", "remove"])
def test_a_helpdesk_agent_may_not_change_roles(
    scene: Scene, helpdesk_agent: User, name: str
) -> None:
    result = role(scene, name, scene.bob.pk, "--role-id", LICENSE_ADMIN, staff="hugo")
    assert result.code == 3
    assert result.error_line.startswith("NotAllowed: hugo: Your role (Helpdesk agent)")
