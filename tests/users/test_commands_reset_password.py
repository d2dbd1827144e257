"""manage.py customer_user_reset_password: a new password, shown once, never logged or audited."""

# ruff: noqa: F811 (pytest fixtures imported from commands_support, used as arguments)

from __future__ import annotations

import io
import json
import logging

import pytest
from django.contrib.auth.models import User

from portal.models import AuditRecord
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


def reset(scene: Scene, staff: str, *argv: str, stdin: io.StringIO | None = None) -> Outcome:
    return run("customer_user_reset_password", "--as", staff, *scene.customer, *argv, stdin=stdin)


def test_a_helpdesk_agent_resets_a_password_shown_once(scene: Scene, helpdesk_agent: User) -> None:
    before = scene.bob.password_last_set_at
    result = reset(scene, "hugo", "--user-principal-name", "bob@contoso.onmicrosoft.com")
    assert result.code == 0, result.err
    assert result.out.startswith("Reset the password of bob@contoso.onmicrosoft.com.")
    [line] = [line for line in result.out.splitlines() if line.startswith("Password")]
    password = line.split()[-1]
    assert len(password) == 16
    bob = refresh(scene.bob)
    assert bob.password_last_set_at > before
    assert bob.force_change_password is True
    [record] = audit("user_reset_password")
    assert (record.via, record.staff, record.target_user_id) == (
        "command",
        helpdesk_agent,
        str(bob.pk),
    )
    assert record.changes == {"must_change_at_next_sign_in": True}
    assert password not in record.message


def test_json_output_and_no_forced_change(scene: Scene, helpdesk_agent: User) -> None:
    result = reset(
        scene, "hugo", "--user-id", str(scene.bob.pk), "--force-change-password", "false", "--json"
    )
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["id"] == str(scene.bob.pk)
    assert data["force_change_password"] is False
    assert len(data["password"]) == 16
    assert refresh(scene.bob).force_change_password is False


def test_a_password_from_standard_input_is_used_and_not_printed(
    scene: Scene, helpdesk_agent: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_generating() -> str:
        raise AssertionError("a typed password must be used")

    monkeypatch.setattr("users.services.generate_password", no_generating)
    typed = "Typed Passw0rd with spaces"
    result = reset(
        scene,
        "hugo",
        *["--user-id", str(scene.bob.pk), "--password-stdin", "--json"],
        stdin=io.StringIO(f"{typed}\nignored second line\n"),
    )
    assert result.code == 0, result.err
    assert "password" not in json.loads(result.out)
    assert typed not in result.out + result.err


def test_an_empty_standard_input_is_bad_input(scene: Scene, helpdesk_agent: User) -> None:
    before = scene.bob.password_last_set_at
    result = reset(
        scene, "hugo", "--user-id", str(scene.bob.pk), "--password-stdin", stdin=io.StringIO("")
    )
    assert result.code == 2
    assert "standard input has no password" in result.error_line
    assert refresh(scene.bob).password_last_set_at == before
    assert not AuditRecord.objects.exists()


def test_prompt_and_stdin_are_one_or_the_other(scene: Scene, helpdesk_agent: User) -> None:
    result = reset(
        scene, "hugo", "--user-id", str(scene.bob.pk), "--password-prompt", "--password-stdin"
    )
    assert result.code == 2
    assert "not allowed with argument" in result.error_line


def test_a_helpdesk_agent_may_not_reset_a_protected_account(
    scene: Scene, helpdesk_agent: User
) -> None:
    before = scene.alice.password_last_set_at
    result = reset(scene, "hugo", "--user-id", str(scene.alice.pk))
    assert result.code == 3
    assert result.error_line.startswith("NotAllowed: hugo: This user holds an administrator role")
    assert result.error_line.endswith("(alice@contoso.onmicrosoft.com)")
    assert "Password" not in result.out
    assert refresh(scene.alice).password_last_set_at == before
    assert not AuditRecord.objects.exists()


def test_an_admin_agent_resets_a_protected_account(scene: Scene, admin_agent: User) -> None:
    result = reset(scene, "amara", "--user-id", str(scene.alice.pk))
    assert result.code == 0, result.err


@pytest.mark.parametrize("staff", ["sales_agent", "no_role_staff"])
def test_sales_and_outsiders_reset_nothing(
    scene: Scene, staff: str, request: pytest.FixtureRequest
) -> None:
    member: User = request.getfixturevalue(staff)
    result = reset(scene, member.username, "--user-id", str(scene.bob.pk))
    assert result.code == 3
    assert not AuditRecord.objects.exists()


def test_a_user_is_needed_and_must_exist(scene: Scene, helpdesk_agent: User) -> None:
    missing = reset(scene, "hugo")
    assert missing.code == 2
    assert "one of the arguments --user-id --user-principal-name is required" in (
        missing.error_line
    )
    unknown = reset(scene, "hugo", "--user-principal-name", "nobody@contoso.com")
    assert unknown.code == 4


def test_no_password_reaches_the_logs(
    scene: Scene, helpdesk_agent: User, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    result = reset(scene, "hugo", "--user-id", str(scene.bob.pk), "--json")
    password = json.loads(result.out)["password"]
    assert caplog.records
    assert password not in caplog.text
    for record in AuditRecord.objects.all():
        assert password not in json.dumps(record.changes) + record.message
