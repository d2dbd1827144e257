"""Audit records cannot be changed or deleted through Django's admin; only retention prunes them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.contrib.auth.models import User
from django.test import Client
from pytest_django.fixtures import Settings

from portal.audit.records import Action, Actor, audit_record
from portal.audit.services import audit_prune
from portal.maintenance import audit_log_prune
from portal.models import AuditRecord

# The admin's pages reach the sandbox's database too (its models are in the admin).
pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def _record_at(at: datetime, ticket: str = "INC-1") -> AuditRecord:
    with mock.patch("django.utils.timezone.now", return_value=at):
        return audit_record(
            actor=Actor(None, "amara"),
            action=Action.USER_UPDATE,
            succeeded=True,
            ticket=ticket,
            changes={"display_name": ["Ann", "Anne"]},
        )


@pytest.fixture
def record() -> AuditRecord:
    return _record_at(NOW)


@pytest.fixture
def admin_client(client: Client, superuser: User) -> Client:
    client.force_login(superuser)
    return client


# --- Django's admin -----------------------------------------------------------------------------


def test_superusers_can_list_search_and_read_records_in_the_admin(
    admin_client: Client, record: AuditRecord
) -> None:
    listing = admin_client.get("/admin/portal/auditrecord/", {"q": "INC-1"})
    assert listing.status_code == 200
    page = listing.content.decode()
    assert "amara" in page
    assert "By action" in page and "By outcome" in page  # list filters
    assert "Add audit record" not in page
    detail = admin_client.get(f"/admin/portal/auditrecord/{record.pk}/change/")
    assert detail.status_code == 200  # a read-only view
    assert 'name="_save"' not in detail.content.decode()


def test_a_superusers_post_to_the_change_form_changes_nothing(
    admin_client: Client, record: AuditRecord
) -> None:
    response = admin_client.post(
        f"/admin/portal/auditrecord/{record.pk}/change/",
        {"staff_username": "mallory", "action": "user_delete", "outcome": "failed", "ticket": "X"},
    )
    assert response.status_code == 403
    record.refresh_from_db()
    assert (record.staff_username, record.ticket) == ("amara", "INC-1")


def test_a_superuser_cannot_delete_a_record_in_the_admin(
    admin_client: Client, record: AuditRecord
) -> None:
    assert admin_client.get(f"/admin/portal/auditrecord/{record.pk}/delete/").status_code == 403
    assert (
        admin_client.post(
            f"/admin/portal/auditrecord/{record.pk}/delete/", {"post": "yes"}
        ).status_code
        == 403
    )
    # The list's "delete selected" action is not offered, so posting it does nothing.
    admin_client.post(
        "/admin/portal/auditrecord/",
        {"action": "delete_selected", "_selected_action": [record.pk], "post": "yes"},
    )
    assert AuditRecord.objects.filter(pk=record.pk).exists()


def test_a_superuser_cannot_add_a_record_in_the_admin(admin_client: Client) -> None:
    assert admin_client.get("/admin/portal/auditrecord/add/").status_code == 403
    response = admin_client.post(
        "/admin/portal/auditrecord/add/",
        {"at": "2026-01-01 00:00", "staff_username": "x", "action": "user_create"},
    )
    assert response.status_code == 403
    assert not AuditRecord.objects.exists()


def test_staff_who_are_not_superusers_do_not_reach_the_admin(
    client: Client, admin_agent: User, record: AuditRecord
) -> None:
    client.force_login(admin_agent)
    response = client.get("/admin/portal/auditrecord/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


# --- Retention ----------------------------------------------------------------------------------


def test_pruning_deletes_records_older_than_the_retention_period(settings: Settings) -> None:
    settings.PORTAL_AUDIT_RETENTION_DAYS = 400
    too_old = _record_at(NOW - timedelta(days=400, seconds=1))
    just_kept = _record_at(NOW - timedelta(days=399, hours=23))
    recent = _record_at(NOW - timedelta(days=1))

    assert audit_prune(now=NOW) == 1

    assert set(AuditRecord.objects.values_list("pk", flat=True)) == {just_kept.pk, recent.pk}
    assert not AuditRecord.objects.filter(pk=too_old.pk).exists()
    assert audit_prune(now=NOW) == 0


def test_a_retention_of_zero_keeps_every_record(settings: Settings) -> None:
    settings.PORTAL_AUDIT_RETENTION_DAYS = 0
    _record_at(NOW - timedelta(days=5000))
    assert audit_prune(now=NOW) == 0
    assert AuditRecord.objects.count() == 1


def test_the_maintenance_loop_prunes_the_audit_log(settings: Settings) -> None:
    settings.PORTAL_AUDIT_RETENTION_DAYS = 30
    _record_at(NOW - timedelta(days=31))
    kept = _record_at(NOW - timedelta(days=29))
    assert audit_log_prune(now=NOW) == 1
    assert list(AuditRecord.objects.all()) == [kept]


def test_records_still_refuse_to_be_deleted_one_by_one(record: AuditRecord) -> None:
    with pytest.raises(ValueError, match="never deleted one by one"):
        record.delete()
