"""manage.py customer_user_new (New-PCCustomerUser): the password is shown once and kept nowhere."""

# ruff: noqa: F811 (pytest fixtures imported from commands_support, used as arguments)

from __future__ import annotations

import io
import json
import logging

import pytest
from django.contrib.auth.models import User

from portal.models import AuditRecord
from portal.sandbox.models import CustomerUser
from tests.users.commands_support import Outcome, Scene, arrange, audit, run, scene  # noqa: F401 (fixtures)
from users.models import OneTimeRequest

pytestmark = [
    pytest.mark.django_db(databases=["default", "sandbox"]),
    pytest.mark.usefixtures("empty_cache"),
]

CAROL = [
    "--user-principal-name",
    "carol@contoso.com",
    "--display-name",
    "Carol Singer",
    "--first-name",
    "Carol",
    "--last-name",
    "Singer",
    "--usage-location",
    "de",
]


def new(scene: Scene, staff: str, *argv: str, stdin: io.StringIO | None = None) -> Outcome:
    return run("customer_user_new", "--as", staff, *scene.customer, *argv, stdin=stdin)


def carol() -> CustomerUser | None:
    return CustomerUser.objects.filter(user_principal_name="carol@contoso.com").first()


def test_it_creates_the_user_and_shows_the_generated_password_once(
    scene: Scene, admin_agent: User
) -> None:
    result = run("customer_user_new", "--as", "amara", *scene.customer, *CAROL, "--ticket", "INC-7")
    assert result.code == 0, result.err
    created = carol()
    assert created is not None
    assert (created.display_name, created.first_name, created.usage_location) == (
        "Carol Singer",
        "Carol",
        "DE",
    )
    assert created.force_change_password is True
    [line] = [line for line in result.out.splitlines() if line.startswith("Password")]
    password = line.split()[-1]
    assert len(password) == 16
    assert "shown only this once" in result.out
    [record] = audit("user_create")
    assert (record.via, record.staff, record.ticket, record.outcome) == (
        "command",
        admin_agent,
        "INC-7",
        "succeeded",
    )
    assert record.target_user_id == str(created.pk)
    assert record.customer_name == "Contoso"
    assert password not in json.dumps(record.changes) + record.message
    assert OneTimeRequest.objects.filter(user_id=str(created.pk), done_at__isnull=False).exists()


def test_json_output_carries_the_user_and_the_password(scene: Scene, admin_agent: User) -> None:
    result = run(
        "customer_user_new",
        *["--as", "amara", "--domain", "contoso.com", *CAROL, "--json"],
        *["--force-change-password", "FALSE"],
    )
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["user_principal_name"] == "carol@contoso.com"
    assert data["usage_location"] == "DE"
    assert data["force_change_password"] is False
    assert len(data["password"]) == 16
    created = carol()
    assert created is not None
    assert data["id"] == str(created.pk)
    assert created.force_change_password is False


def test_a_password_from_standard_input_is_used_and_not_printed(
    scene: Scene, admin_agent: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_generating() -> str:
        raise AssertionError("a typed password must be used")

    monkeypatch.setattr("users.services.generate_password", no_generating)
    typed = "Typed-Passw0rd-1"
    result = new(scene, "amara", *CAROL, "--password-stdin", "--json", stdin=io.StringIO(typed))
    assert result.code == 0, result.err
    assert "password" not in json.loads(result.out)
    assert typed not in result.out + result.err
    assert carol() is not None


def test_a_password_from_the_prompt_must_be_typed_the_same_twice(
    scene: Scene, admin_agent: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers = iter(["Typed-Passw0rd-1", "Typed-Passw0rd-2"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    result = new(scene, "amara", *CAROL, "--password-prompt")
    assert result.code == 2
    assert result.error_line == "BadInput: The two passwords differ; nothing was changed."
    assert carol() is None
    assert not AuditRecord.objects.exists()


def test_a_prompted_password_is_used(
    scene: Scene, admin_agent: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("getpass.getpass", lambda prompt="": "Typed-Passw0rd-1")
    monkeypatch.setattr("users.services.generate_password", lambda: "not-this-one")
    result = new(scene, "amara", *CAROL, "--password-prompt")
    assert result.code == 0, result.err
    assert "Password " not in result.out
    assert carol() is not None


def test_a_weak_password_is_refused_before_partner_center(scene: Scene, admin_agent: User) -> None:
    result = new(scene, "amara", *CAROL, "--password-stdin", stdin=io.StringIO("short\n"))
    assert result.code == 2
    assert "8 to 256 characters" in result.error_line
    assert carol() is None
    assert not AuditRecord.objects.exists()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--user-principal-name", "carol"], "'carol' is not an email address"),
        (["--user-principal-name", "car ol@contoso.com"], "may only have letters"),
        (["--user-principal-name", ".carol@contoso.com"], "cannot start or end with a dot"),
        (["--user-principal-name", "carol@contoſo.com"], "the domain may only have letters A-Z"),
        (["--user-principal-name", "carøl@contoso.com"], "(remove 'ø')"),
        (["--usage-location", "Germany"], "is not a two-letter country code"),
        (["--usage-location", "XX"], "is not a two-letter country code"),
        (["--force-change-password", "maybe"], "expected true or false, not 'maybe'"),
        (["--display-name", "D" * 51], "the limit is 50"),
    ],
)
def test_bad_values_are_refused_in_one_line_and_nothing_is_created(
    scene: Scene, admin_agent: User, argv: list[str], message: str
) -> None:
    result = new(scene, "amara", *CAROL, *argv)
    assert result.code == 2
    assert message in result.error_line
    assert carol() is None
    assert not CustomerUser.objects.filter(display_name="D" * 51).exists()
    assert not AuditRecord.objects.exists()


def test_a_missing_required_option_is_named(scene: Scene, admin_agent: User) -> None:
    result = new(scene, "amara", "--user-principal-name", "carol@contoso.com")
    assert result.code == 2
    assert "the following arguments are required: --display-name" in result.error_line


def test_a_username_at_another_customers_domain_is_refused(scene: Scene, admin_agent: User) -> None:
    result = new(
        scene, "amara", "--user-principal-name", "carol@fabrikam.com", "--display-name", "Carol"
    )
    assert result.code == 2
    assert result.error_line == (
        "BadInput: carol@fabrikam.com is not at one of Contoso's domains "
        "(contoso.onmicrosoft.com, contoso.com). Nothing was changed."
    )
    assert not AuditRecord.objects.exists()


def test_a_taken_username_fails_with_partner_centers_code_and_ids(
    scene: Scene, admin_agent: User
) -> None:
    result = new(
        scene,
        "amara",
        *["--user-principal-name", "BOB@contoso.onmicrosoft.com", "--display-name", "Bobby"],
    )
    assert result.code == 1
    line = result.error_line
    assert line.startswith("Failed: It already exists in Partner Center.")
    assert "[Partner Center code 3000, correlation id " in line
    [record] = audit("user_create")
    assert record.outcome == "failed"
    assert record.ms_correlation_id and record.ms_correlation_id in line


@pytest.mark.parametrize(
    ("staff", "message"),
    [
        ("helpdesk_agent", "hugo: Your role (Helpdesk agent) does not allow this."),
        ("sales_agent", "sofia: Your role (Sales agent) does not allow this."),
        ("no_role_staff", "oscar: Your account has no role in the portal yet"),
    ],
)
def test_only_admin_agents_add_users(
    scene: Scene, staff: str, message: str, request: pytest.FixtureRequest
) -> None:
    member: User = request.getfixturevalue(staff)
    result = new(scene, member.username, *CAROL)
    assert result.code == 3
    assert result.error_line.startswith(f"NotAllowed: {message}")
    assert carol() is None
    assert not AuditRecord.objects.exists()


def test_a_repeated_request_id_creates_nothing_more(scene: Scene, admin_agent: User) -> None:
    request_id = "5f2b8d8e-3c1a-4e0b-9a7e-0d2c4b6a8f10"
    first = new(scene, "amara", *CAROL, "--request-id", request_id)
    assert first.code == 0, first.err
    again = new(scene, "amara", *CAROL, "--request-id", request_id, "--json")
    assert again.code == 0, again.err
    data = json.loads(again.out)
    assert data["already_created"] is True
    assert "password" not in data
    assert CustomerUser.objects.filter(user_principal_name="carol@contoso.com").count() == 1
    assert len(audit("user_create")) == 1


def test_no_password_reaches_the_logs_or_the_audit_log(
    scene: Scene, admin_agent: User, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    result = new(scene, "amara", *CAROL, "--json")
    assert result.code == 0, result.err
    password = json.loads(result.out)["password"]
    assert caplog.records, "the Partner Center calls are logged at DEBUG"
    assert password not in caplog.text
    assert all(password not in str(record.__dict__) for record in caplog.records)
    for record in AuditRecord.objects.all():
        assert password not in json.dumps(record.changes) + record.message
