"""What every customer_user_* command shares: the customer, --as, --ticket, no password argument,
one-line errors with exit codes — through call_command and through a real `manage.py` process."""

# ruff: noqa: F811 (pytest fixtures imported from commands_support, used as arguments)

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import User
from django.core.management import load_command_class
from pytest_django.fixtures import Settings

from portal.models import AuditRecord
from portal.sandbox.models import CustomerUser
from tests.child_process import child_env
from tests.sandbox_data import make_customer, make_user
from tests.users.commands_support import (  # noqa: F401 (fixtures)
    CUSTOM_DOMAIN,
    DOMAIN,
    Outcome,
    Scene,
    arrange,
    refresh,
    run,
    scene,
)

pytestmark = [
    pytest.mark.django_db(databases=["default", "sandbox"]),
    pytest.mark.usefixtures("empty_cache"),
]

COMMANDS = [
    "customer_user_new",
    "customer_user_get",
    "customer_user_set",
    "customer_user_remove",
    "customer_user_restore",
    "customer_user_reset_password",
    "customer_subscribed_sku_get",
    "customer_user_license_get",
    "customer_user_license_set",
    "customer_user_role_get",
    "customer_user_role_add",
    "customer_user_role_remove",
]
CHANGING = [name for name in COMMANDS if not name.endswith("_get")]
UNKNOWN_TENANT = "0b9a3f3e-1111-4222-8333-944455556666"


def users_of(result: Outcome) -> set[str]:
    return {user["user_principal_name"] for user in json.loads(result.out)}


# --- The customer ---------------------------------------------------------------------------------


@pytest.mark.parametrize("domain", [DOMAIN, CUSTOM_DOMAIN, "CONTOSO.COM"])
def test_a_customer_is_found_by_any_of_its_domains(
    scene: Scene, sales_agent: User, domain: str
) -> None:
    make_user(make_customer("Contosoft", "contosoft.onmicrosoft.com"), "x", "Not Contoso")
    result = run("customer_user_get", "--as", "sofia", "--domain", domain, "--json")
    assert result.code == 0, result.err
    assert users_of(result) == {"alice@contoso.onmicrosoft.com", "bob@contoso.onmicrosoft.com"}


def test_a_domain_must_match_whole(scene: Scene, sales_agent: User) -> None:
    # Partner Center's filter matches the start of a domain: "contoso" is not contoso.com.
    result = run("customer_user_get", "--as", "sofia", "--domain", "contoso")
    assert result.code == 4
    assert result.error_line == "NotFound: No customer has the domain contoso."


def test_an_unknown_tenant_exits_4_with_partner_centers_ids(sales_agent: User) -> None:
    result = run("customer_user_get", "--as", "sofia", "--tenant-id", UNKNOWN_TENANT)
    assert result.code == 4
    assert result.error_line.startswith(f"NotFound: No customer with tenant id {UNKNOWN_TENANT}: ")
    assert re.search(
        r"\[Partner Center code \d+, correlation id [0-9a-f-]{36}, request id ", (result.error_line)
    )


def test_a_customer_without_delegated_access_fails_with_the_code(sales_agent: User) -> None:
    customer = make_customer("Aloof", "aloof.onmicrosoft.com", delegated=False)
    result = run("customer_user_get", "--as", "sofia", "--tenant-id", str(customer.id))
    assert result.code == 1
    assert result.error_line.startswith("Failed: The partner is not allowed to do this")
    assert "[Partner Center code 2032, correlation id " in result.error_line


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--tenant-id", "contoso"], "argument --tenant-id: 'contoso' is not an id"),
        (["--tenant-id", UNKNOWN_TENANT, "--domain", DOMAIN], "not allowed with argument"),
        ([], "one of the arguments --tenant-id --domain is required"),
        (["--domain", " "], "--domain: give one of the customer's domains"),
    ],
)
def test_the_customer_options_are_checked(sales_agent: User, argv: list[str], message: str) -> None:
    result = run("customer_user_get", "--as", "sofia", *argv)
    assert result.code == 2
    assert message in result.error_line


# --- The staff member -----------------------------------------------------------------------------


def test_as_is_required(scene: Scene) -> None:
    result = run("customer_user_get", *scene.customer)
    assert result.code == 2
    assert "the following arguments are required: --as" in result.error_line


def test_as_names_an_existing_staff_account(scene: Scene) -> None:
    result = run("customer_user_get", "--as", "nobody", *scene.customer)
    assert result.code == 2
    assert result.error_line == "BadInput: --as: there is no staff account named 'nobody'."


def test_a_superuser_acts_as_an_admin_agent(scene: Scene, superuser: User) -> None:
    result = run(
        "customer_user_remove", "--as", "sam", *scene.customer, "--user-id", str(scene.alice.pk)
    )
    assert result.code == 0, result.err
    [record] = AuditRecord.objects.all()
    assert (record.staff_username, record.via) == ("sam", "command")


# --- The ticket -----------------------------------------------------------------------------------


def test_a_malformed_ticket_is_refused_before_anything_changes(
    scene: Scene, admin_agent: User
) -> None:
    result = run(
        "customer_user_remove",
        *["--as", "amara", *scene.customer, "--user-id", str(scene.bob.pk), "--ticket", "INC 1"],
    )
    assert result.code == 2
    assert result.error_line.startswith("BadInput: --ticket: A ticket reference is letters")
    assert refresh(scene.bob).state == CustomerUser.ACTIVE
    assert not AuditRecord.objects.exists()


def test_a_ticket_is_required_when_the_portal_says_so(
    scene: Scene, admin_agent: User, settings: Settings
) -> None:
    settings.PORTAL_TICKET_REQUIRED = True
    argv = ["--as", "amara", *scene.customer, "--user-id", str(scene.bob.pk)]
    refused = run("customer_user_remove", *argv)
    assert refused.code == 2
    assert refused.error_line == "BadInput: --ticket: This field is required."
    assert refresh(scene.bob).state == CustomerUser.ACTIVE
    assert run("customer_user_remove", *argv, "--ticket", "INC0012345").code == 0
    [record] = AuditRecord.objects.all()
    assert record.ticket == "INC0012345"


# --- No password argument -------------------------------------------------------------------------


@pytest.mark.parametrize("name", COMMANDS)
@pytest.mark.parametrize(
    "argv", [["--password", "hunter2-Secret"], ["--password=hunter2-Secret"], ["--password"]]
)
def test_no_command_takes_a_password_argument(
    scene: Scene, admin_agent: User, name: str, argv: list[str]
) -> None:
    result = run(name, "--as", "amara", *scene.customer, "--user-id", str(scene.bob.pk), *argv)
    assert result.code == 2
    assert "A password is never taken from the command line" in result.error_line
    assert "hunter2" not in result.err
    assert not AuditRecord.objects.exists()


@pytest.mark.parametrize("name", COMMANDS)
def test_no_command_takes_a_password_through_call_command_either(
    scene: Scene, admin_agent: User, name: str
) -> None:
    result = run(name, "--as", "amara", *scene.customer, password="hunter2-Secret")
    assert result.code == 2
    assert "hunter2" not in result.err


@pytest.mark.parametrize(
    ("name", "argv"),
    [
        ("customer_user_new", ["--user-principal-name", "c@contoso.com", "--display-name", "C"]),
        ("customer_user_reset_password", ["--user-principal-name", "bob@contoso.com"]),
    ],
)
def test_an_abbreviated_password_option_is_not_taken_or_echoed(
    scene: Scene, admin_agent: User, name: str, argv: list[str]
) -> None:
    result = run(name, "--as", "amara", *scene.customer, *argv, "--pass", "hunter2-Secret")
    assert result.code == 2
    assert result.error_line.endswith("unrecognized arguments: --pass")


@pytest.mark.parametrize("name", COMMANDS)
def test_the_help_offers_no_password_option(name: str) -> None:
    help_text = load_command_class("users", name).create_parser("manage.py", name).format_help()
    assert "--as USERNAME" in help_text
    assert re.search(r"--password(?!-prompt|-stdin)", help_text) is None


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_writes_json_and_every_change_takes_what_if_and_a_ticket(name: str) -> None:
    help_text = load_command_class("users", name).create_parser("manage.py", name).format_help()
    assert "--json" in help_text
    assert ("--what-if" in help_text) == ("--ticket" in help_text) == (name in CHANGING)


# --- Through a real manage.py process -------------------------------------------------------------


def _manage(
    *argv: str, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`manage.py` in a child process, on this test run's (file-backed) databases."""
    return subprocess.run(
        [sys.executable, "manage.py", *argv],
        input=stdin,
        capture_output=True,
        text=True,
        env=child_env(**(env or {})),
        cwd=django_settings.BASE_DIR,
        timeout=120,
        check=False,
    )


def _not_log_lines(text: str) -> list[str]:
    # Log lines (settings.LOGGING: "<date> <time> LEVEL logger message") go to stderr as well.
    return [line for line in text.splitlines() if not re.match(r"\d{4}-\d\d-\d\d ", line)]


@pytest.mark.django_db(databases=["default", "sandbox"], transaction=True)
def test_the_commands_through_a_real_manage_py_process(admin_agent: User) -> None:
    scene = arrange()
    typed = "Typed-Passw0rd-1"
    created = _manage(
        "customer_user_new",
        *["--as", "amara", "--domain", CUSTOM_DOMAIN, "--json", "--password-stdin"],
        *["--user-principal-name", "carol@contoso.com", "--display-name", "Carol Singer"],
        stdin=f"{typed}\n",
        # Every log line, even DEBUG, goes to stderr: stdout stays parseable JSON.
        env={"LOG_LEVEL": "debug"},
    )
    assert created.returncode == 0, created.stderr
    data = json.loads(created.stdout)
    assert data["user_principal_name"] == "carol@contoso.com"
    assert "password" not in data
    assert "DEBUG portal.partnercenter Partner Center POST" in created.stderr  # logs: stderr
    assert typed not in created.stdout + created.stderr
    assert CustomerUser.objects.get(pk=data["id"]).display_name == "Carol Singer"
    [record] = AuditRecord.objects.filter(action="user_create")
    assert (record.via, record.staff_username) == ("command", "amara")

    missing = _manage(
        "customer_user_get", "--as", "amara", *scene.customer, "--user-id", UNKNOWN_TENANT
    )
    assert missing.returncode == 4
    assert missing.stdout == ""
    [line] = _not_log_lines(missing.stderr)
    assert line.startswith(f"NotFound: No user with id {UNKNOWN_TENANT}: ")
    assert "[Partner Center code 60002, correlation id " in line

    refused = _manage(
        "customer_user_reset_password",
        *["--as", "amara", *scene.customer, "--user-id", str(scene.bob.pk)],
        *["--password", "hunter2-Secret"],
    )
    assert refused.returncode == 2
    assert refused.stderr.count("\n") == 1
    assert "A password is never taken from the command line" in refused.stderr
    assert "hunter2" not in refused.stderr

    helpdesk = _manage(
        "customer_user_remove", "--as", "nobody", *scene.customer, "--user-id", str(scene.bob.pk)
    )
    assert helpdesk.returncode == 2
    assert _not_log_lines(helpdesk.stderr) == [
        "BadInput: --as: there is no staff account named 'nobody'."
    ]
