"""manage.py customer_user_remove and customer_user_restore (Remove-/Restore-PCCustomerUser)."""

# ruff: noqa: F811 (pytest fixtures imported from commands_support, used as arguments)

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import User

from portal.models import AuditRecord
from portal.sandbox.models import CustomerUser
from tests.sandbox_data import deleted, make_user
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


def remove(scene: Scene, staff: str, *argv: str) -> Outcome:
    return run("customer_user_remove", "--as", staff, *scene.customer, *argv)


def restore(scene: Scene, staff: str, *argv: str) -> Outcome:
    return run("customer_user_restore", "--as", staff, *scene.customer, *argv)


# --- Remove ---------------------------------------------------------------------------------------


def test_an_admin_agent_deletes_a_user_softly(scene: Scene, admin_agent: User) -> None:
    result = remove(scene, "amara", "--user-id", str(scene.bob.pk), "--ticket", "INC-3")
    assert result.code == 0, result.err
    assert result.out.startswith("Deleted bob@contoso.onmicrosoft.com.")
    assert f"customer_user_restore --tenant-id {scene.customer_id}" in result.out
    bob = refresh(scene.bob)
    assert bob.state == CustomerUser.INACTIVE
    [record] = audit("user_delete")
    assert (record.via, record.staff, record.ticket, record.outcome) == (
        "command",
        admin_agent,
        "INC-3",
        "succeeded",
    )


def test_remove_by_username_with_json(scene: Scene, admin_agent: User) -> None:
    result = remove(
        scene, "amara", "--user-principal-name", "bob@contoso.onmicrosoft.com", "--json"
    )
    assert result.code == 0, result.err
    assert json.loads(result.out) == {
        "id": str(scene.bob.pk),
        "user_principal_name": "bob@contoso.onmicrosoft.com",
        "state": "inactive",
    }


def test_an_admin_agent_may_delete_a_protected_account(scene: Scene, admin_agent: User) -> None:
    assert remove(scene, "amara", "--user-id", str(scene.alice.pk)).code == 0
    assert refresh(scene.alice).state == CustomerUser.INACTIVE


@pytest.mark.parametrize("staff", ["helpdesk_agent", "sales_agent", "no_role_staff"])
def test_only_admin_agents_delete(scene: Scene, staff: str, request: pytest.FixtureRequest) -> None:
    member: User = request.getfixturevalue(staff)
    result = remove(scene, member.username, "--user-id", str(scene.bob.pk))
    assert result.code == 3
    assert result.error_line.startswith(f"NotAllowed: {member.username}: ")
    assert refresh(scene.bob).state == CustomerUser.ACTIVE
    assert not AuditRecord.objects.exists()


def test_removing_an_unknown_or_deleted_user_exits_4(scene: Scene, admin_agent: User) -> None:
    assert remove(scene, "amara", "--user-principal-name", "nobody@contoso.com").code == 4
    again = remove(scene, "amara", "--user-id", str(scene.dora.pk))
    assert again.code == 4
    assert "is deleted" in again.error_line
    assert not AuditRecord.objects.exists()


def test_a_malformed_user_id_is_bad_input(scene: Scene, admin_agent: User) -> None:
    result = remove(scene, "amara", "--user-id", "bob")
    assert result.code == 2
    assert "'bob' is not an id" in result.error_line


# --- Restore --------------------------------------------------------------------------------------


def test_a_helpdesk_agent_restores_a_deleted_user(scene: Scene, helpdesk_agent: User) -> None:
    result = restore(scene, "hugo", "--user-principal-name", "dora@contoso.onmicrosoft.com")
    assert result.code == 0, result.err
    assert result.out.startswith("Restored dora@contoso.onmicrosoft.com.")
    assert refresh(scene.dora).state == CustomerUser.ACTIVE
    [record] = audit("user_restore")
    assert (record.via, record.staff, record.target_user_id, record.outcome) == (
        "command",
        helpdesk_agent,
        str(scene.dora.pk),
        "succeeded",
    )


def test_restore_by_id_with_json(scene: Scene, helpdesk_agent: User) -> None:
    result = restore(scene, "hugo", "--user-id", str(scene.dora.pk), "--json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert (data["id"], data["state"], data["usage_location"]) == (
        str(scene.dora.pk),
        "active",
        "FR",
    )


def test_the_latest_deletion_of_a_reused_username_is_restored(
    scene: Scene, admin_agent: User
) -> None:
    older = deleted(make_user(scene.dora.customer, "dora2", "Dora Older"), 10)
    older.user_principal_name = "dora@contoso.onmicrosoft.com"
    older.save(update_fields=["user_principal_name"])
    result = restore(scene, "amara", "--user-principal-name", "dora@contoso.onmicrosoft.com")
    assert result.code == 0, result.err
    assert refresh(scene.dora).state == CustomerUser.ACTIVE
    assert refresh(older).state == CustomerUser.INACTIVE


def test_a_helpdesk_agent_may_not_restore_a_protected_account(
    scene: Scene, helpdesk_agent: User, admin_agent: User
) -> None:
    refused = restore(scene, "hugo", "--user-id", str(scene.gus.pk))
    assert refused.code == 3
    assert "only an Admin agent" in refused.error_line
    assert refresh(scene.gus).state == CustomerUser.INACTIVE
    assert not AuditRecord.objects.exists()
    assert restore(scene, "amara", "--user-id", str(scene.gus.pk)).code == 0


@pytest.mark.parametrize("staff", ["sales_agent", "no_role_staff"])
def test_sales_and_outsiders_restore_nothing(
    scene: Scene, staff: str, request: pytest.FixtureRequest
) -> None:
    member: User = request.getfixturevalue(staff)
    assert restore(scene, member.username, "--user-id", str(scene.dora.pk)).code == 3
    assert refresh(scene.dora).state == CustomerUser.INACTIVE


def test_an_active_or_purged_user_is_not_found_among_the_deleted(
    scene: Scene, helpdesk_agent: User
) -> None:
    active = restore(scene, "hugo", "--user-id", str(scene.bob.pk))
    assert active.code == 4
    assert active.error_line.startswith(f"NotFound: No deleted user {scene.bob.pk} in Contoso")
    purged = deleted(make_user(scene.dora.customer, "old", "Old Timer"), 31)
    assert restore(scene, "hugo", "--user-id", str(purged.pk)).code == 4


def test_a_taken_username_fails_with_the_reason_and_partner_centers_ids(
    scene: Scene, helpdesk_agent: User
) -> None:
    make_user(scene.dora.customer, "dora", "Dora Newcomer")  # took Dora's username meanwhile
    result = restore(scene, "hugo", "--user-id", str(scene.dora.pk))
    assert result.code == 1
    line = result.error_line
    assert line.startswith(
        "Failed: dora@contoso.onmicrosoft.com was not restored: Another active user now has the "
        "username dora@contoso.onmicrosoft.com"
    )
    assert "[Partner Center code 3000, correlation id " in line
    [record] = audit("user_restore")
    assert record.outcome == "failed"
    assert record.ms_correlation_id in line
