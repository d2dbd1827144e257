"""--what-if on every command that changes something: the checks run as usual, then it prints the
request it would send (a password masked) and sends nothing, audits nothing, exit 0."""

# ruff: noqa: F811 (pytest fixtures imported from commands_support, used as arguments)

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import User

from portal.models import AuditRecord
from tests.sandbox_data import BUSINESS_BASIC, GLOBAL_ADMIN, OFFICE_E3
from tests.test_authorization_matrix import sandbox_state
from tests.users.commands_support import LICENSE_ADMIN, Scene, arrange, run, scene  # noqa: F401 (fixtures)
from users.command_io import MASKED
from users.models import OneTimeRequest

pytestmark = [
    pytest.mark.django_db(databases=["default", "sandbox"]),
    pytest.mark.usefixtures("empty_cache"),
]

TYPED = "Typed-Passw0rd-1"


@dataclass(frozen=True)
class Change:
    name: str
    argv: Callable[[Scene], list[str]]
    method: str
    path: Callable[[Scene], str]  # below /v1/customers/<tenant id>
    body: dict[str, object] | None
    stdin: str = ""


def _bob(scene: Scene) -> list[str]:
    return ["--user-id", str(scene.bob.pk)]


def _user_path(attribute: str, tail: str = "") -> Callable[[Scene], str]:
    return lambda scene: f"/users/{getattr(scene, attribute).pk}{tail}"


CHANGES = [
    Change(
        "customer_user_new",
        lambda scene: ["--user-principal-name", "new@contoso.com", "--display-name", "New One"],
        "POST",
        lambda scene: "/users",
        {
            "displayName": "New One",
            "userPrincipalName": "new@contoso.com",
            "passwordProfile": {"password": MASKED, "forceChangePassword": True},
        },
    ),
    Change(
        "customer_user_set",
        lambda scene: [*_bob(scene), "--display-name", "Robert"],
        "PATCH",
        _user_path("bob"),
        {"displayName": "Robert"},
    ),
    Change(
        "customer_user_reset_password",
        lambda scene: [*_bob(scene), "--password-stdin"],
        "PATCH",
        _user_path("bob"),
        {"passwordProfile": {"password": MASKED, "forceChangePassword": True}},
        stdin=f"{TYPED}\n",
    ),
    Change("customer_user_remove", _bob, "DELETE", _user_path("bob"), None),
    Change(
        "customer_user_restore",
        lambda scene: ["--user-principal-name", "dora@contoso.onmicrosoft.com"],
        "PATCH",
        _user_path("dora"),
        {"state": "active"},
    ),
    Change(
        "customer_user_license_set",
        lambda scene: [*_bob(scene), "--add", "ENTERPRISEPACK"],
        "POST",
        _user_path("bob", "/licenseupdates"),
        {"licensesToAssign": [{"skuId": OFFICE_E3, "excludedPlans": None}]},
    ),
    Change(
        "customer_user_role_add",
        lambda scene: [*_bob(scene), "--role-id", LICENSE_ADMIN],
        "POST",
        lambda scene: f"/directoryroles/{LICENSE_ADMIN}/usermembers",
        {"id": "<bob>", "userPrincipalName": "bob@contoso.onmicrosoft.com"},
    ),
    Change(
        "customer_user_role_remove",
        lambda scene: ["--user-id", str(scene.alice.pk), "--role-id", GLOBAL_ADMIN],
        "DELETE",
        lambda scene: f"/directoryroles/{GLOBAL_ADMIN}/usermembers/{scene.alice.pk}",
        None,
    ),
]


def what_if(scene: Scene, change: Change, *extra: str, staff: str = "amara") -> list[str]:
    """Run the change with --what-if; its argv and what it must leave as it was."""
    return ["--as", staff, *scene.customer, *change.argv(scene), "--what-if", *extra]


@pytest.mark.parametrize("change", CHANGES, ids=lambda change: change.name)
def test_what_if_prints_the_request_and_sends_and_audits_nothing(
    scene: Scene, admin_agent: User, change: Change
) -> None:
    before = sandbox_state()
    result = run(
        change.name,
        *what_if(scene, change, "--ticket", "INC-1", "--json"),
        stdin=io.StringIO(change.stdin),
    )
    assert result.code == 0, result.err
    [request] = json.loads(result.out)["requests"]
    assert request["method"] == change.method
    assert request["path"] == f"/v1/customers/{scene.customer_id}{change.path(scene)}"
    for key, value in (change.body or {}).items():
        expected = str(scene.bob.pk) if value == "<bob>" else value
        assert request["body"][key] == expected, key
    if change.body is None:
        assert request["body"] is None
    assert TYPED not in result.out
    assert sandbox_state() == before
    assert not AuditRecord.objects.exists()
    assert not OneTimeRequest.objects.exists()


def test_what_if_as_a_table_says_nothing_was_sent(scene: Scene, admin_agent: User) -> None:
    result = run("customer_user_remove", *what_if(scene, CHANGES[3]))
    assert result.code == 0, result.err
    assert result.out.splitlines() == [
        "What if: nothing was sent or audited. Partner Center would get:",
        f"DELETE /v1/customers/{scene.customer_id}/users/{scene.bob.pk}",
    ]


def test_what_if_shows_each_change_of_a_command_that_makes_two(
    scene: Scene, admin_agent: User
) -> None:
    before = sandbox_state()
    argv = ["--display-name", "Robert", "--force-change-password-next-sign-in", "--json"]
    result = run("customer_user_set", *what_if(scene, CHANGES[1], *argv))
    assert result.code == 0, result.err
    [details, flag] = json.loads(result.out)["requests"]
    assert details["body"]["displayName"] == "Robert"
    assert flag["body"]["passwordProfile"] == {"forceChangePassword": True}
    assert sandbox_state() == before
    assert not AuditRecord.objects.exists()


def test_what_if_with_nothing_to_change_says_so(scene: Scene, admin_agent: User) -> None:
    result = run("customer_user_set", *what_if(scene, CHANGES[1], "--display-name", "Bob Builder"))
    assert result.code == 0, result.err
    assert result.out.startswith("Nothing to change.")


@pytest.mark.parametrize(
    ("name", "argv", "staff", "code"),
    [
        ("customer_user_set", ["--display-name", "Al"], "hugo", 3),  # a protected account
        ("customer_user_reset_password", [], "hugo", 3),
        ("customer_user_remove", [], "hugo", 3),  # the role
        ("customer_user_license_set", ["--add", BUSINESS_BASIC], "amara", 2),  # no seat left
        ("customer_user_role_add", ["--role-id", GLOBAL_ADMIN], "amara", 0),  # already held
    ],
)
def test_what_if_still_checks_first(
    scene: Scene,
    admin_agent: User,
    helpdesk_agent: User,
    name: str,
    argv: list[str],
    staff: str,
    code: int,
) -> None:
    alice = ["--user-id", str(scene.alice.pk)]
    result = run(name, "--as", staff, *scene.customer, *alice, *argv, "--what-if")
    assert result.code == code, result.err
    if code == 0:
        assert result.out.startswith("Nothing to change")


def test_what_if_on_a_privileged_role_still_asks_for_the_confirmation(
    scene: Scene, admin_agent: User
) -> None:
    argv = ["--user-id", str(scene.bob.pk), "--role-id", GLOBAL_ADMIN, "--what-if"]
    result = run("customer_user_role_add", "--as", "amara", *scene.customer, *argv)
    assert result.code == 2
    assert "add --confirm-privileged" in result.error_line


def test_what_if_on_an_unknown_user_exits_4(scene: Scene, admin_agent: User) -> None:
    unknown = ["--user-principal-name", "zed@contoso.com", "--what-if"]
    result = run("customer_user_remove", "--as", "amara", *scene.customer, *unknown)
    assert result.code == 4


def test_reads_take_no_what_if(scene: Scene, sales_agent: User) -> None:
    result = run("customer_subscribed_sku_get", "--as", "sofia", *scene.customer, "--what-if")
    assert result.code == 2
    assert "unrecognized arguments: --what-if" in result.error_line
