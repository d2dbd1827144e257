"""Offboarding a leaver in one action: licenses removed, admin roles taken away, the password
reset to one nobody sees, the account deleted — each step recorded with what it removed,
stopping at the first failure with what is left, and carried on by Retry failed rows."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from customers.directory.user_queries import users_of
from portal.audit.records import Action, Actor
from portal.models import AuditRecord
from portal.partnercenter import PartnerCenterError
from portal.partnercenter.roles_and_licenses import UserMemberCollection
from portal.sandbox.models import CustomerUser, LicenseAssignment, RoleMember, SubscribedSku
from tests.directory_data import synced
from tests.sandbox_data import (
    BUSINESS_BASIC,
    GLOBAL_ADMIN,
    OFFICE_E3,
    make_customer,
    make_role,
    make_sku,
    make_user,
)
from tests.users.bulk_jobs_support import no_worker, run  # noqa: F401 (the no_worker fixture)
from users.bulk.jobs import bulk_job_retry_failed
from users.bulk.models import BulkJob, BulkRow
from users.selected import SelectedAction, selected_job_create

pytestmark = [
    pytest.mark.django_db(databases=["default", "sandbox"]),
    pytest.mark.usefixtures("no_worker"),
]


@pytest.fixture
def leaver(db: None) -> CustomerUser:
    """An admin of Contoso with two licenses and the Global Administrator role."""
    customer = make_customer("Contoso", "contoso.onmicrosoft.com", custom_domain="contoso.com")
    role = make_role(customer, GLOBAL_ADMIN, "Global Administrator")
    e3 = make_sku(customer, OFFICE_E3, "Office 365 E3", "ENTERPRISEPACK", 5)
    basic = make_sku(customer, BUSINESS_BASIC, "Microsoft 365 Business Basic", "O365_BASIC", 5)
    user = make_user(customer, "lee", "Lee Leaver", usage_location="SE")
    RoleMember.objects.create(role=role, user=user)
    LicenseAssignment.objects.create(user=user, sku=e3)
    LicenseAssignment.objects.create(user=user, sku=basic)
    synced(str(customer.pk))
    return user


def _offboard(leaver: CustomerUser, staff: User) -> BulkJob:
    mirror = synced(str(leaver.customer_id))
    return selected_job_create(
        customer=mirror,
        action=SelectedAction.OFFBOARD,
        users=list(users_of(mirror).filter(user_id=str(leaver.pk))),
        actor=Actor.for_command(staff),
        form_token="",
        ticket="CHG-100",
    )


def test_a_leaver_is_offboarded_in_order_and_what_it_had_is_recorded(
    leaver: CustomerUser, admin_agent: User
) -> None:
    password_set = leaver.password_last_set_at
    done = run(_offboard(leaver, admin_agent))
    assert done.state == BulkJob.FINISHED
    [row] = done.rows.all()
    assert row.state == BulkRow.DONE
    assert row.status_update.startswith("Offboarded: removed ")
    assert "took away Global Administrator; password reset; deleted." in row.status_update
    assert {item["name"] for item in row.progress["licenses"]} == {
        "Office 365 E3",
        "Microsoft 365 Business Basic",
    }
    assert row.progress["roles"] == [{"id": GLOBAL_ADMIN, "name": "Global Administrator"}]
    assert row.password_encrypted == ""  # the new password was never kept

    leaver.refresh_from_db()
    assert leaver.state == CustomerUser.INACTIVE
    assert leaver.password_last_set_at != password_set
    assert not LicenseAssignment.objects.filter(user=leaver).exists()
    assert not RoleMember.objects.filter(user=leaver).exists()
    [record] = AuditRecord.objects.filter(action=Action.USER_OFFBOARD)
    assert (record.outcome, record.ticket) == ("succeeded", "CHG-100")
    assert record.changes["roles_removed"] == ["Global Administrator"]
    assert record.changes["deleted"] is True


def test_a_failure_stops_it_says_what_is_left_and_retry_carries_on(
    leaver: CustomerUser, admin_agent: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_remove = UserMemberCollection.remove

    def refused(self: UserMemberCollection, user_id: str, **kwargs: object) -> None:
        raise PartnerCenterError("The role cannot be removed right now.", status=400)

    monkeypatch.setattr(UserMemberCollection, "remove", refused)
    job = run(_offboard(leaver, admin_agent))
    [row] = job.rows.all()
    assert row.state == BulkRow.FAILED
    assert row.status_update.startswith("Stopped at: take away the admin roles. ")
    assert "The role cannot be removed right now." in row.status_update
    assert "Done: remove the licenses." in row.status_update
    assert "Left: take away the admin roles, reset the password, delete the account." in (
        row.status_update
    )
    leaver.refresh_from_db()
    assert leaver.state == CustomerUser.ACTIVE  # not deleted with a role still held
    assert not LicenseAssignment.objects.filter(user=leaver).exists()
    assert RoleMember.objects.filter(user=leaver).exists()

    monkeypatch.setattr(UserMemberCollection, "remove", real_remove)
    assert bulk_job_retry_failed(job=job, actor=Actor.for_command(admin_agent)) == 1
    done = run(job)
    [row] = done.rows.all()
    assert row.state == BulkRow.DONE
    # The licenses removed on the first attempt are still what it had.
    assert {item["name"] for item in row.progress["licenses"]} == {
        "Office 365 E3",
        "Microsoft 365 Business Basic",
    }
    leaver.refresh_from_db()
    assert leaver.state == CustomerUser.INACTIVE


def test_offboard_from_the_users_page_asks_first_and_is_for_admin_agents(
    client: Client, leaver: CustomerUser, admin_agent: User, helpdesk_agent: User
) -> None:
    customer = str(leaver.customer_id)
    client.force_login(admin_agent)
    page = client.get(reverse("users:detail", args=[customer, leaver.pk])).content.decode()
    assert "Offboard…" in page
    ask = client.get(
        reverse("users:selected", args=[customer]), {"action": "offboard", "users": str(leaver.pk)}
    )
    assert "Offboard Lee Leaver?" in ask.content.decode()
    client.force_login(helpdesk_agent)
    refused = client.get(
        reverse("users:selected", args=[customer]),
        {"action": "offboard", "users": str(leaver.pk)},
    )
    assert refused.status_code == 403


def test_restoring_a_mistaken_leaver_gives_back_what_it_had_where_seats_allow(
    client: Client, leaver: CustomerUser, admin_agent: User
) -> None:
    run(_offboard(leaver, admin_agent))
    # Meanwhile the last E3 seats went to others.
    e3 = SubscribedSku.objects.get(customer=leaver.customer, sku_id=OFFICE_E3)
    e3.active_units = LicenseAssignment.objects.filter(sku=e3).count()
    e3.save()
    synced(str(leaver.customer_id))
    client.force_login(admin_agent)
    customer = str(leaver.customer_id)
    tab = client.get(reverse("customers:deleted", args=[customer])).content.decode()
    assert "Restore with the licenses and roles it had" in tab
    client.post(
        reverse("users:restore", args=[customer]),
        {"users": [str(leaver.pk)], "ticket": "CHG-101", "give_back": "1"},
    )
    leaver.refresh_from_db()
    assert leaver.state == CustomerUser.ACTIVE
    assert RoleMember.objects.filter(user=leaver, role__role_id=GLOBAL_ADMIN).exists()
    held = LicenseAssignment.objects.filter(user=leaver).values_list("sku__sku_id", flat=True)
    assert {str(sku_id) for sku_id in held} == {BUSINESS_BASIC}
    report = client.get(reverse("customers:deleted", args=[customer])).content.decode()
    assert "gave back Microsoft 365 Business Basic, Global Administrator" in report
    assert "could not give back Office 365 E3 (no seat left)" in report


def test_a_restore_without_give_back_leaves_it_bare(
    client: Client, leaver: CustomerUser, admin_agent: User
) -> None:
    run(_offboard(leaver, admin_agent))
    client.force_login(admin_agent)
    client.post(
        reverse("users:restore", args=[str(leaver.customer_id)]),
        {"users": [str(leaver.pk)], "ticket": "CHG-102"},
    )
    leaver.refresh_from_db()
    assert leaver.state == CustomerUser.ACTIVE
    assert not LicenseAssignment.objects.filter(user=leaver).exists()
    assert not RoleMember.objects.filter(user=leaver).exists()
