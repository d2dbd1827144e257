"""The authorization matrix for the commands: every command × every role (`--as`), with the
same rules as the web UI, and a refusal changes nothing in Partner Center (the sandbox).

The scope axis: every command × every role given on a customer scope. In scope, the same answer
as the role everywhere; out of scope, the customer is not found (exit 4; a role that may not do
this anywhere is refused first, exit 3), its name is not printed, and nothing changes."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import find_commands

import users
from tests.sandbox_data import GLOBAL_ADMIN
from tests.test_authorization_matrix import (
    ADMINS,
    HELPDESK_AND_UP,
    NO_ROLE,
    SALES,
    SUPERUSER,
    VIEWERS,
    sandbox_state,
)
from tests.users.commands_support import LICENSE_ADMIN, Outcome, Scene, arrange, run

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])

ROLES = sorted(VIEWERS | {NO_ROLE})
NOT_ALLOWED = 3  # the commands' exit code for a refusal by role
NOT_FOUND = 4


@dataclass(frozen=True)
class CommandCase:
    name: str
    argv: Callable[[Scene], list[str]]
    allowed: frozenset[str]
    note: str = ""
    stdin: str | None = None

    def label(self) -> str:
        return f"{self.name}{' ' + self.note if self.note else ''}"


def _user(attribute: str) -> Callable[[Scene], list[str]]:
    return lambda scene: ["--user-id", str(getattr(scene, attribute).pk)]


CASES = [
    CommandCase("customer_user_get", lambda scene: [], VIEWERS, "(list)"),
    CommandCase("customer_user_get", _user("bob"), VIEWERS, "(one)"),
    CommandCase("customer_user_get", lambda scene: ["--deleted"], VIEWERS, "(deleted)"),
    CommandCase(
        "customer_user_new",
        lambda scene: ["--user-principal-name", "new@contoso.com", "--display-name", "New One"],
        ADMINS,
    ),
    CommandCase(
        "customer_user_set",
        lambda scene: [*_user("bob")(scene), "--display-name", "Robert"],
        HELPDESK_AND_UP,
    ),
    CommandCase(
        "customer_user_set",
        lambda scene: [*_user("bob")(scene), "--user-principal-name", "rob@contoso.com"],
        ADMINS,
        "(username)",
    ),
    CommandCase(
        "customer_user_set",
        lambda scene: [*_user("alice")(scene), "--display-name", "Al"],
        ADMINS,
        "(protected account)",
    ),
    CommandCase("customer_user_reset_password", _user("bob"), HELPDESK_AND_UP),
    CommandCase("customer_user_reset_password", _user("alice"), ADMINS, "(protected account)"),
    CommandCase("customer_user_remove", _user("bob"), ADMINS),
    CommandCase("customer_user_restore", _user("dora"), HELPDESK_AND_UP),
    CommandCase("customer_user_restore", _user("gus"), ADMINS, "(protected account)"),
    CommandCase(
        "customer_user_set",
        lambda scene: [*_user("bob")(scene), "--force-change-password-next-sign-in"],
        HELPDESK_AND_UP,
        "(next sign-in)",
    ),
    CommandCase(
        "customer_user_remove",
        lambda scene: [*_user("bob")(scene), "--what-if"],
        ADMINS,
        "(what-if)",
    ),
    CommandCase("customer_subscribed_sku_get", lambda scene: [], VIEWERS),
    CommandCase("customer_user_license_get", _user("alice"), VIEWERS),
    CommandCase(
        "customer_user_license_set",
        lambda scene: [*_user("bob")(scene), "--add", "ENTERPRISEPACK"],
        ADMINS,
    ),
    CommandCase(
        "customer_user_license_set",
        lambda scene: [*_user("alice")(scene), "--remove", "ENTERPRISEPACK"],
        ADMINS,
        "(protected account)",
    ),
    CommandCase("customer_user_role_get", lambda scene: [], VIEWERS, "(customer)"),
    CommandCase("customer_user_role_get", _user("alice"), VIEWERS, "(one)"),
    CommandCase(
        "customer_user_role_add",
        lambda scene: [*_user("bob")(scene), "--role-id", LICENSE_ADMIN],
        ADMINS,
    ),
    CommandCase(
        "customer_user_role_add",
        lambda scene: [*_user("bob")(scene), "--role-id", GLOBAL_ADMIN, "--confirm-privileged"],
        ADMINS,
        "(privileged)",
    ),
    CommandCase(
        "customer_user_role_remove",
        lambda scene: [*_user("alice")(scene), "--role-id", GLOBAL_ADMIN],
        ADMINS,
        "(protected account)",
    ),
]


def test_every_customer_command_is_in_the_matrix() -> None:
    management = str(Path(users.__file__).parent / "management")
    commands = {name for name in find_commands(management) if name.startswith("customer_")}
    assert commands == {case.name for case in CASES}, "give each new command rows in CASES"


@pytest.fixture
def staff(request: pytest.FixtureRequest) -> Callable[[str], User]:
    fixtures = {
        NO_ROLE: "no_role_staff",
        SALES: "sales_agent",
        "helpdesk": "helpdesk_agent",
        "admin": "admin_agent",
        SUPERUSER: "superuser",
    }
    return lambda role: request.getfixturevalue(fixtures[role])


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", CASES, ids=CommandCase.label)
def test_each_role_may_run_only_what_it_may_in_the_ui(
    case: CommandCase, role: str, staff: Callable[[str], User]
) -> None:
    scene = arrange()
    member = staff(role)
    before = sandbox_state()
    outcome = _run_as(case, member, scene)
    if role in case.allowed:
        assert outcome.code == 0, f"{role} was refused {case.label()}: {outcome.err}"
    else:
        assert outcome.code == NOT_ALLOWED, f"{role} got {outcome.code} for {case.label()}"
        assert sandbox_state() == before, f"a refused {case.label()} changed Partner Center"


def _run_as(case: CommandCase, member: User, scene: Scene) -> Outcome:
    return run(
        case.name,
        "--as",
        member.username,
        *scene.customer,
        *case.argv(scene),
        stdin=io.StringIO(case.stdin or ""),
    )


SCOPED_ROLES = {"sales": "Sales agent", "helpdesk": "Helpdesk agent", "admin": "Admin agent"}


@pytest.mark.parametrize("where", ["in scope", "out of scope"])
@pytest.mark.parametrize("role", sorted(SCOPED_ROLES))
@pytest.mark.parametrize("case", CASES, ids=CommandCase.label)
def test_each_role_on_a_scope_runs_commands_only_on_its_customers(
    case: CommandCase, role: str, where: str, scoped_staff: Callable[..., User]
) -> None:
    scene = arrange()
    in_scope = where == "in scope"
    other = "00000000-0000-0000-0000-00000000c0de"  # any customer but this one
    member = scoped_staff(SCOPED_ROLES[role], [scene.customer_id if in_scope else other])
    before = sandbox_state()
    outcome = _run_as(case, member, scene)
    if not in_scope:
        # A role that may not do this anywhere is refused before the customer is looked up.
        expected = {NOT_FOUND} if role in case.allowed else {NOT_FOUND, NOT_ALLOWED}
        assert outcome.code in expected, f"{role} out of scope got {outcome.code}: {outcome.err}"
        assert "Contoso" not in outcome.out + outcome.err
        assert sandbox_state() == before, f"an out-of-scope {case.label()} changed Partner Center"
    elif role in case.allowed:
        assert outcome.code == 0, f"{role} was refused {case.label()}: {outcome.err}"
    else:
        assert outcome.code == NOT_ALLOWED, f"{role} got {outcome.code} for {case.label()}"
        assert sandbox_state() == before, f"a refused {case.label()} changed Partner Center"
