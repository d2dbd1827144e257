"""manage.py customer_user_get (Get-PCCustomerUser): one user, every user, the deleted ones."""

# ruff: noqa: F811 (pytest fixtures imported from commands_support, used as arguments)

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from portal.models import AuditRecord
from portal.sandbox.models import Customer, CustomerUser
from tests.users.commands_support import Outcome, Scene, arrange, run, scene  # noqa: F401 (fixtures)

pytestmark = [
    pytest.mark.django_db(databases=["default", "sandbox"]),
    pytest.mark.usefixtures("empty_cache"),
]


def get(scene: Scene, *argv: str, staff: str = "sofia") -> Outcome:
    return run("customer_user_get", "--as", staff, *scene.customer, *argv)


def test_a_sales_agent_sees_one_user_with_roles_and_licences(
    scene: Scene, sales_agent: User
) -> None:
    result = get(scene, "--user-id", str(scene.alice.pk))
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert "User principal name  alice@contoso.onmicrosoft.com" in lines
    assert "Directory roles      Global Administrator" in lines
    assert "Licenses             Office 365 E3" in lines
    assert not AuditRecord.objects.exists()  # reading is not audited


def test_json_for_one_user_found_by_username_in_any_case(scene: Scene, sales_agent: User) -> None:
    result = get(scene, "--user-principal-name", "ALICE@Contoso.onmicrosoft.com", "--json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["id"] == str(scene.alice.pk)
    assert data["directory_roles"] == ["Global Administrator"]
    assert data["licenses"] == ["Office 365 E3"]
    assert data["state"] == "active"


def test_without_a_user_it_lists_every_active_user_across_pages(
    scene: Scene, sales_agent: User
) -> None:
    # More than one page of 500, so the list must follow Partner Center's next links.
    customer = Customer.objects.get(pk=scene.customer_id)
    now = timezone.now()
    CustomerUser.objects.bulk_create(
        CustomerUser(
            customer=customer,
            user_principal_name=f"user{number:03}@contoso.com",
            display_name=f"User {number:03}",
            password_last_set_at=now,
            created_at=now,
        )
        for number in range(520)
    )
    result = get(scene, "--json")
    assert result.code == 0, result.err
    names = [user["user_principal_name"] for user in json.loads(result.out)]
    assert len(names) == len(set(names)) == 522
    assert {"alice@contoso.onmicrosoft.com", "user519@contoso.com"} <= set(names)
    assert "dora@contoso.onmicrosoft.com" not in names


def test_the_list_as_a_table(scene: Scene, sales_agent: User) -> None:
    result = get(scene)
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0].split() == [
        "Id",
        "User",
        "principal",
        "name",
        "Display",
        "name",
        "Usage",
        "location",
    ]
    assert set(lines[1]) <= {"-", " "}
    assert any(f"{scene.bob.pk}  bob@contoso.onmicrosoft.com" in line for line in lines)
    assert lines[-1] == "2 users"


def test_deleted_lists_the_restorable_users(scene: Scene, sales_agent: User) -> None:
    result = get(scene, "--deleted", "--json")
    assert result.code == 0, result.err
    data = {user["user_principal_name"]: user for user in json.loads(result.out)}
    assert set(data) == {"dora@contoso.onmicrosoft.com", "gus@contoso.onmicrosoft.com"}
    dora = data["dora@contoso.onmicrosoft.com"]
    assert dora["state"] == "inactive"
    assert dora["soft_deletion_time"] and dora["restorable_until"] > dora["soft_deletion_time"]


def test_deleted_with_a_username_shows_that_deleted_user(scene: Scene, sales_agent: User) -> None:
    result = get(scene, "--deleted", "--user-principal-name", "dora@contoso.onmicrosoft.com")
    assert result.code == 0, result.err
    assert "Restorable until" in result.out
    assert str(scene.dora.pk) in result.out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--user-id", "0b9a3f3e-1111-4222-8333-944455556666"], "NotFound: No user with id "),
        (["--user-principal-name", "nobody@contoso.com"], "NotFound: No active user nobody@"),
        (["--user-principal-name", "dora@contoso.onmicrosoft.com"], "NotFound: No active user"),
        (["--deleted", "--user-principal-name", "bob@contoso.com"], "NotFound: No deleted user"),
    ],
)
def test_a_user_not_found_exits_4(
    scene: Scene, sales_agent: User, argv: list[str], message: str
) -> None:
    result = get(scene, *argv)
    assert result.code == 4
    assert result.error_line.startswith(message)


def test_a_deleted_users_id_says_to_restore_it(scene: Scene, sales_agent: User) -> None:
    result = get(scene, "--user-id", str(scene.dora.pk))
    assert result.code == 4
    assert "is deleted: restore it first (customer_user_restore)" in result.error_line


def test_an_unknown_user_id_names_partner_centers_code(scene: Scene, sales_agent: User) -> None:
    result = get(scene, "--user-id", "0b9a3f3e-1111-4222-8333-944455556666")
    assert "[Partner Center code 60002, correlation id " in result.error_line


def test_staff_without_a_role_see_nothing(scene: Scene, no_role_staff: User) -> None:
    result = get(scene, staff="oscar")
    assert result.code == 3
    assert result.out == ""
    assert result.error_line.startswith("NotAllowed: oscar: Your account has no role")


def test_an_inactive_staff_account_is_refused(scene: Scene, sales_agent: User) -> None:
    sales_agent.is_active = False
    sales_agent.save(update_fields=["is_active"])
    result = get(scene)
    assert result.code == 3
    assert result.error_line == "NotAllowed: --as: the staff account 'sofia' is deactivated."


def test_a_read_takes_no_ticket(scene: Scene, sales_agent: User) -> None:
    result = get(scene, "--ticket", "INC-1")
    assert result.code == 2
    assert result.error_line.endswith("unrecognized arguments: --ticket")
