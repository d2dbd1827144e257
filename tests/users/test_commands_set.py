"""manage.py customer_user_set (Set-PCCustomerUser): roles and protected accounts as in the UI."""

# ruff: noqa: F811 (pytest fixtures imported from commands_support, used as arguments)

from __future__ import annotations

import json

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


def set_user(scene: Scene, staff: str, user_id: str, *argv: str) -> Outcome:
    return run("customer_user_set", "--as", staff, *scene.customer, "--user-id", user_id, *argv)


def test_an_admin_agent_renames_a_user_and_the_audit_log_has_before_and_after(
    scene: Scene, admin_agent: User
) -> None:
    result = set_user(
        scene,
        "amara",
        str(scene.bob.pk),
        *["--user-principal-name", "robert@contoso.com", "--display-name", "Robert Builder"],
        *["--first-name", "Robert", "--ticket", "INC-9"],
    )
    assert result.code == 0, result.err
    assert result.out.startswith("Updated robert@contoso.com.")
    bob = refresh(scene.bob)
    assert (bob.user_principal_name, bob.display_name, bob.first_name, bob.last_name) == (
        "robert@contoso.com",
        "Robert Builder",
        "Robert",
        "Builder",
    )
    [record] = audit("user_update")
    assert (record.via, record.staff, record.ticket) == ("command", admin_agent, "INC-9")
    assert record.changes["user_principal_name"] == [
        "bob@contoso.onmicrosoft.com",
        "robert@contoso.com",
    ]
    assert "last_name" not in record.changes


def test_a_helpdesk_agent_changes_names_and_location(scene: Scene, helpdesk_agent: User) -> None:
    result = set_user(
        scene, "hugo", str(scene.bob.pk), "--display-name", "Bob B.", "--usage-location", "ie"
    )
    assert result.code == 0, result.err
    bob = refresh(scene.bob)
    assert (bob.display_name, bob.usage_location) == ("Bob B.", "IE")


def test_an_empty_value_clears_an_optional_field(scene: Scene, admin_agent: User) -> None:
    result = set_user(scene, "amara", str(scene.bob.pk), "--last-name", "", "--json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["last_name"] is None
    assert data["changed"] == ["last_name"]
    assert refresh(scene.bob).last_name == ""


def test_a_helpdesk_agent_may_not_change_the_username(scene: Scene, helpdesk_agent: User) -> None:
    result = set_user(
        scene, "hugo", str(scene.bob.pk), "--user-principal-name", "robert@contoso.com"
    )
    assert result.code == 3
    assert result.error_line == (
        "NotAllowed: hugo (Helpdesk agent) may change names, display name and location, not the "
        "username (--user-principal-name)."
    )
    assert refresh(scene.bob).user_principal_name == "bob@contoso.onmicrosoft.com"
    assert not AuditRecord.objects.exists()


def test_a_helpdesk_agent_may_repeat_the_current_username(
    scene: Scene, helpdesk_agent: User
) -> None:
    # Not a change of username, so not refused: as the web form, which sends it unchanged.
    result = set_user(
        scene,
        "hugo",
        str(scene.bob.pk),
        *["--user-principal-name", "bob@contoso.onmicrosoft.com", "--display-name", "Bob B."],
    )
    assert result.code == 0, result.err
    assert refresh(scene.bob).display_name == "Bob B."


def test_a_protected_account_is_changed_by_admin_agents_only(
    scene: Scene, helpdesk_agent: User, admin_agent: User
) -> None:
    refused = set_user(scene, "hugo", str(scene.alice.pk), "--display-name", "Alice A.")
    assert refused.code == 3
    assert "only an Admin agent can change, reset, delete or restore it" in refused.error_line
    assert refresh(scene.alice).display_name == "Alice Admin"
    assert not AuditRecord.objects.exists()

    allowed = set_user(scene, "amara", str(scene.alice.pk), "--display-name", "Alice A.")
    assert allowed.code == 0, allowed.err
    assert refresh(scene.alice).display_name == "Alice A."


def test_a_sales_agent_changes_nothing(scene: Scene, sales_agent: User) -> None:
    result = set_user(scene, "sofia", str(scene.bob.pk), "--display-name", "Bob B.")
    assert result.code == 3
    assert refresh(scene.bob).display_name == "Bob Builder"


def test_nothing_to_change_is_bad_input(scene: Scene, admin_agent: User) -> None:
    result = set_user(scene, "amara", str(scene.bob.pk))
    assert result.code == 2
    assert result.error_line.startswith("BadInput: Nothing to change: give at least one of")


def test_the_same_values_change_nothing_and_write_no_record(
    scene: Scene, admin_agent: User
) -> None:
    result = set_user(scene, "amara", str(scene.bob.pk), "--display-name", "Bob Builder")
    assert result.code == 0, result.err
    assert result.out.startswith("Nothing to change.")
    assert not AuditRecord.objects.exists()


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (["--display-name", ""], 2, "BadInput: --display-name cannot be empty."),
        (["--usage-location", "USA"], 2, "is not a two-letter country code"),
        (["--user-principal-name", "robert@fabrikam.com"], 2, "is not at one of Contoso's"),
        (["--user-principal-name", "alice@contoso.onmicrosoft.com"], 1, "already exists"),
    ],
)
def test_bad_values_change_nothing(
    scene: Scene, admin_agent: User, argv: list[str], code: int, message: str
) -> None:
    result = set_user(scene, "amara", str(scene.bob.pk), *argv)
    assert result.code == code
    assert message in result.error_line
    bob = refresh(scene.bob)
    assert (bob.display_name, bob.user_principal_name) == (
        "Bob Builder",
        "bob@contoso.onmicrosoft.com",
    )


def test_set_needs_a_user_id(scene: Scene, admin_agent: User) -> None:
    result = run("customer_user_set", "--as", "amara", *scene.customer, "--display-name", "X")
    assert result.code == 2
    assert "the following arguments are required: --user-id" in result.error_line


def test_an_unknown_user_exits_4(scene: Scene, admin_agent: User) -> None:
    result = set_user(scene, "amara", "0b9a3f3e-1111-4222-8333-944455556666", "--display-name", "X")
    assert result.code == 4
    assert "code 60002" in result.error_line


def test_a_deleted_user_must_be_restored_first(scene: Scene, admin_agent: User) -> None:
    result = set_user(scene, "amara", str(scene.dora.pk), "--display-name", "Dora D.")
    assert result.code == 4
    assert "is deleted: restore it first" in result.error_line


# --- Set-PartnerCustomerUser -ForceChangePasswordNextLogin ----------------------------------------


def test_the_next_sign_in_can_require_a_new_password_without_setting_one(
    scene: Scene, helpdesk_agent: User
) -> None:
    bob = refresh(scene.bob)
    bob.force_change_password = False
    bob.save(update_fields=["force_change_password"])
    password_set_at = bob.password_last_set_at
    result = set_user(
        scene,
        "hugo",
        str(scene.bob.pk),
        "--force-change-password-next-sign-in",
        "--ticket",
        "INC-4",
    )
    assert result.code == 0, result.err
    assert "Changed              must_change_at_next_sign_in" in result.out.splitlines()
    bob = refresh(scene.bob)
    assert bob.force_change_password is True
    assert bob.password_last_set_at == password_set_at
    [record] = audit("user_update")
    assert (record.via, record.ticket, record.changes) == (
        "command",
        "INC-4",
        {"must_change_at_next_sign_in": True},
    )
    assert audit("user_reset_password") == []


def test_the_flag_and_a_name_are_two_changes_each_audited(scene: Scene, admin_agent: User) -> None:
    result = set_user(
        scene,
        "amara",
        str(scene.bob.pk),
        *["--display-name", "Robert", "--force-change-password-next-sign-in", "--json"],
    )
    assert result.code == 0, result.err
    assert json.loads(result.out)["changed"] == ["display_name", "must_change_at_next_sign_in"]
    first, second = audit("user_update")
    assert first.changes == {"display_name": ["Bob Builder", "Robert"]}
    assert second.changes == {"must_change_at_next_sign_in": True}
    assert refresh(scene.bob).force_change_password is True


def test_only_an_admin_agent_requires_it_of_a_protected_account(
    scene: Scene, helpdesk_agent: User
) -> None:
    result = set_user(scene, "hugo", str(scene.alice.pk), "--force-change-password-next-sign-in")
    assert result.code == 3
    assert "holds an administrator role" in result.error_line
    assert audit("user_update") == []
