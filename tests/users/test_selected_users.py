"""Several users at once, from the Users and licenses list: Manage licenses, Reset passwords and
Delete, each a background job with a result per user, under the same role rules as one user.

Jobs run by calling the task body here (`run`); the Dummy task backend keeps a send from running
anything by itself.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from customers.directory.customer_queries import customer_get
from customers.directory.user_queries import licenses_of, user_get
from portal.audit.records import SELECTED_JOB, Action, recent_activity
from portal.models import AuditRecord
from portal.partnercenter import partner_center
from portal.sandbox.models import (
    Customer,
    CustomerUser,
    DirectoryRole,
    LicenseAssignment,
    RoleMember,
)
from tests.client_response import ClientResponse
from tests.conftest import downloaded
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
from users.bulk.action_work import ActionWork
from users.bulk.models import BulkJob, BulkRow
from users.bulk.worker import worker_name

pytestmark = [
    pytest.mark.django_db(databases=["default", "sandbox"]),
    pytest.mark.usefixtures("no_worker"),
]


@dataclass
class Scene:
    """Contoso: Alice (Global Administrator, the only E3 seat) and twelve plain users."""

    customer: Customer
    alice: CustomerUser
    plain: list[CustomerUser]
    role: DirectoryRole

    @property
    def id(self) -> str:
        return str(self.customer.pk)

    @property
    def users_url(self) -> str:
        return f"/customers/{self.id}/"

    @property
    def selected_url(self) -> str:
        return reverse("users:selected", args=[self.id])


@pytest.fixture
def scene(db: None) -> Scene:
    customer = make_customer("Contoso", "contoso.onmicrosoft.com", custom_domain="contoso.com")
    role = make_role(customer, GLOBAL_ADMIN, "Global Administrator")
    make_sku(
        customer, BUSINESS_BASIC, "Microsoft 365 Business Basic", "O365_BUSINESS_ESSENTIALS", 5
    )
    e3 = make_sku(customer, OFFICE_E3, "Office 365 E3", "ENTERPRISEPACK", 1)
    alice = make_user(customer, "alice", "Alice Admin", usage_location="US")
    RoleMember.objects.create(role=role, user=alice)
    LicenseAssignment.objects.create(user=alice, sku=e3)
    plain = [
        make_user(customer, f"user{n:02}", f"User {n:02}", usage_location="GB") for n in range(12)
    ]
    synced(str(customer.pk))
    return Scene(customer, alice, plain, role)


def signed_in(client: Client, staff: User) -> Client:
    client.force_login(staff)
    return client


def text(response: ClientResponse) -> str:
    return response.content.decode()


def messages_of(response: ClientResponse) -> list[str]:
    return [str(message) for message in response.context["messages"]]


_TOKEN = re.compile(r'name="form_token" value="([0-9a-f-]{36})"')


def confirm(client: Client, scene: Scene, action: str, users: list[CustomerUser]) -> str:
    """Open the confirmation as the list's buttons do; returns its one-time form token."""
    response = client.get(
        scene.selected_url, {"action": action, "users": [str(user.pk) for user in users]}
    )
    assert response.status_code == 200, text(response)
    found = _TOKEN.search(text(response))
    assert found
    return found.group(1)


def send(
    client: Client, scene: Scene, action: str, users: list[CustomerUser], **fields: object
) -> ClientResponse:
    data: dict[str, object] = {
        "action": action,
        "users": [str(user.pk) for user in users],
        "form_token": confirm(client, scene, action, users),
        "ticket": "INC-42",
        **fields,
    }
    return client.post(scene.selected_url, data)


def job_of(response: ClientResponse) -> BulkJob:
    assert response.status_code == 302, text(response)
    job = BulkJob.objects.get()
    assert response["Location"] == reverse("users:bulk_job", args=[job.customer_id, job.public_id])
    return job


# --- The list --------------------------------------------------------------------------------


def test_the_list_has_a_check_box_per_user_and_the_actions_the_role_allows(
    client: Client, scene: Scene, admin_agent: User, helpdesk_agent: User, sales_agent: User
) -> None:
    page = text(signed_in(client, admin_agent).get(scene.users_url))
    assert f'name="users" value="{scene.plain[0].pk}" form="users-selection"' in page
    assert "All 13 users of this list" in page
    for action in ("licenses", "reset", "delete"):
        assert f'name="action" value="{action}"' in page

    page = text(signed_in(client, helpdesk_agent).get(scene.users_url))
    assert 'name="action" value="reset"' in page
    assert 'name="action" value="delete"' not in page
    assert 'name="action" value="licenses"' not in page

    page = text(signed_in(client, sales_agent).get(scene.users_url))
    assert 'form="users-selection"' not in page and "users-selection" not in page


def test_a_select_all_keeps_the_lists_search_and_filters(
    client: Client, scene: Scene, admin_agent: User
) -> None:
    page = text(
        signed_in(client, admin_agent).get(scene.users_url, {"q": "user", "location": "GB"})
    )
    assert "All 12 users of this list" in page
    assert '<input type="hidden" name="q" value="user">' in page
    assert '<input type="hidden" name="location" value="GB">' in page


# --- Choosing ----------------------------------------------------------------------------------


def test_all_of_a_search_selects_every_matching_user_and_sends_their_ids(
    client: Client, scene: Scene, admin_agent: User
) -> None:
    response = signed_in(client, admin_agent).get(
        scene.selected_url, {"action": "delete", "all": "1", "q": "user 0"}
    )
    page = text(response)
    # "User 00" .. "User 09": every word of the search starts a word of the name.
    assert "Delete 10 users?" in page
    for user in scene.plain[:10]:
        assert f'name="users" value="{user.pk}"' in page
    assert f'value="{scene.plain[10].pk}"' not in page


def test_a_selection_beyond_the_limit_is_refused_with_the_count(
    client: Client, scene: Scene, admin_agent: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("users.selected.SELECTION_LIMIT", 5)
    response = signed_in(client, admin_agent).get(
        scene.selected_url, {"action": "reset", "all": "1", "q": "user"}, follow=True
    )
    assert messages_of(response) == [
        "12 users match this list; one action covers at most 5. Narrow the search or filters, "
        "or check users on a page."
    ]
    assert response.redirect_chain == [(f"{scene.users_url}?q=user", 302)]
    assert not BulkJob.objects.exists()


def test_nothing_selected_goes_back_to_the_list_and_says_so(
    client: Client, scene: Scene, admin_agent: User
) -> None:
    response = signed_in(client, admin_agent).get(
        scene.selected_url, {"action": "reset"}, follow=True
    )
    assert messages_of(response)[0].startswith("No user is selected")
    response = client.get(scene.selected_url, {"users": str(scene.alice.pk)}, follow=True)
    assert messages_of(response) == ["Choose what to do with the selected users."]


def test_a_role_without_the_action_is_refused(
    client: Client, scene: Scene, helpdesk_agent: User
) -> None:
    signed_in(client, helpdesk_agent)
    for action in ("delete", "licenses"):
        response = client.get(
            scene.selected_url, {"action": action, "users": [str(scene.plain[0].pk)]}
        )
        assert response.status_code == 403


# --- Reset passwords -------------------------------------------------------------------------


def assert_resets_audited_row_by_row(job: BulkJob) -> None:
    """Two password resets audited with the ticket and the job; one line on the dashboard."""
    records = AuditRecord.objects.filter(action=Action.USER_RESET_PASSWORD)
    assert records.count() == 2
    assert {record.ticket for record in records} == {"INC-42"}
    assert {record.changes[SELECTED_JOB] for record in records} == {str(job.public_id)}
    assert [record.action for record in recent_activity(changes_only=True)] == [
        Action.BULK_PASSWORDS_DOWNLOAD,
        Action.SELECTED_USERS,
    ]


def test_a_helpdesk_reset_leaves_out_protected_accounts_and_says_who_and_why(
    client: Client, scene: Scene, helpdesk_agent: User
) -> None:
    signed_in(client, helpdesk_agent)
    selected = [scene.alice, scene.plain[0], scene.plain[1]]
    page = text(
        client.get(scene.selected_url, {"action": "reset", "users": [str(u.pk) for u in selected]})
    )
    assert "1 selected user left out" in page
    assert (
        "Holds an admin role (Global Administrator): only an Admin agent can reset a protected "
        "account." in page
    )
    assert "Reset 2 passwords" in page

    job = job_of(send(client, scene, "reset", selected))
    assert job.kind == BulkJob.RESET and job.skip_protected and job.ticket == "INC-42"
    assert sorted(job.rows.values_list("email", flat=True)) == [
        "user00@contoso.onmicrosoft.com",
        "user01@contoso.onmicrosoft.com",
    ]
    before = {u.pk: u.password_last_set_at for u in scene.plain[:2]}
    run(job)
    assert set(job.rows.values_list("state", flat=True)) == {BulkRow.DONE}
    for user in scene.plain[:2]:
        user.refresh_from_db()
        assert user.password_last_set_at != before[user.pk]
        assert user.force_change_password

    # The passwords: once, to whoever reset them, as a CSV.
    page = text(client.get(reverse("users:bulk_job", args=[job.customer_id, job.public_id])))
    assert "Done for 2 users" in page and "Download temporary passwords" in page
    response = client.post(
        reverse("users:bulk_job_passwords", args=[job.customer_id, job.public_id])
    )
    lines = list(csv.reader(io.StringIO(downloaded(response).decode("utf-8-sig"))))
    assert [line[1] for line in lines[1:]] == [
        "user00@contoso.onmicrosoft.com",
        "user01@contoso.onmicrosoft.com",
    ]
    assert response["Content-Disposition"].startswith('attachment; filename="reset-')
    assert not job.rows.exclude(password_encrypted="").exists()

    # Audited row by row with the ticket; the dashboard shows the action as one line.
    assert_resets_audited_row_by_row(job)


def test_a_role_given_after_the_mirror_was_read_is_caught_live_by_the_row(
    client: Client, scene: Scene, helpdesk_agent: User
) -> None:
    signed_in(client, helpdesk_agent)
    job = job_of(send(client, scene, "reset", [scene.plain[0]]))
    RoleMember.objects.create(role=scene.role, user=scene.plain[0])  # the mirror does not know
    set_at = scene.plain[0].password_last_set_at
    run(job)
    row = job.rows.get()
    assert row.state == BulkRow.FAILED
    assert row.status_update.startswith("Left out: Holds an admin role")
    assert not row.password_encrypted
    scene.plain[0].refresh_from_db()
    assert scene.plain[0].password_last_set_at == set_at


def test_the_same_form_sent_twice_makes_one_job(
    client: Client, scene: Scene, admin_agent: User
) -> None:
    signed_in(client, admin_agent)
    data = {
        "action": "reset",
        "users": [str(scene.plain[0].pk)],
        "form_token": confirm(client, scene, "reset", [scene.plain[0]]),
    }
    first = client.post(scene.selected_url, data)
    second = client.post(scene.selected_url, data)
    assert first["Location"] == second["Location"]
    assert BulkJob.objects.count() == 1


# --- Manage licenses ---------------------------------------------------------------------------


def test_licenses_are_assigned_and_removed_with_a_result_per_user(
    client: Client, scene: Scene, admin_agent: User
) -> None:
    signed_in(client, admin_agent)
    page = text(
        client.get(scene.selected_url, {"action": "licenses", "users": [str(scene.alice.pk)]})
    )
    assert "5 of 5 available" in page and "0 of 1 available" in page
    selected = [scene.alice, *scene.plain[:3]]
    job = job_of(
        send(client, scene, "licenses", selected, assign=[BUSINESS_BASIC], remove=[OFFICE_E3])
    )
    run(job)
    statuses = dict(job.rows.values_list("email", "status_update"))
    assert statuses["alice@contoso.onmicrosoft.com"] == (
        "Assigned Microsoft 365 Business Basic; removed Office 365 E3."
    )
    assert statuses["user00@contoso.onmicrosoft.com"] == "Assigned Microsoft 365 Business Basic."
    held = LicenseAssignment.objects.filter(user__customer=scene.customer)
    assert sorted(held.values_list("user__user_principal_name", "sku__sku_id")) == sorted(
        [(user.user_principal_name, uuid.UUID(BUSINESS_BASIC)) for user in selected]
    )
    # Written through: the list shows the licenses with no call.
    mirror = customer_get(scene.id)
    assert mirror is not None
    assert licenses_of(mirror, [str(scene.alice.pk)]) == {str(scene.alice.pk): [BUSINESS_BASIC]}
    assert AuditRecord.objects.filter(action=Action.USER_LICENSES_CHANGE).count() == 4


def test_licenses_without_seats_for_everyone_are_refused_before_anything_is_sent(
    client: Client, scene: Scene, admin_agent: User
) -> None:
    signed_in(client, admin_agent)
    response = send(client, scene, "licenses", scene.plain[:6], assign=[BUSINESS_BASIC])
    assert response.status_code == 400
    assert (
        "Microsoft 365 Business Basic: 6 of the selected users need a seat, and 5 of 5 are "
        "available. Buy more seats, or select fewer users." in text(response)
    )
    assert not BulkJob.objects.exists()
    assert not LicenseAssignment.objects.filter(sku__sku_id=BUSINESS_BASIC).exists()
    response = send(client, scene, "licenses", scene.plain[:2])
    assert "Choose a license to assign or to remove." in text(response)
    CustomerUser.objects.filter(pk=scene.plain[1].pk).update(usage_location="")
    synced(scene.id)
    response = send(client, scene, "licenses", scene.plain[:2], assign=[BUSINESS_BASIC])
    assert (
        "A license needs the user&#x27;s location, and 1 of the selected users have none: "
        "User 01. Set their location on their page first, or leave them out." in text(response)
    )
    response = send(
        client, scene, "licenses", scene.plain[:2], assign=[OFFICE_E3], remove=[OFFICE_E3]
    )
    assert "Office 365 E3 is chosen both to assign and to remove: choose one." in text(response)


# --- Delete ----------------------------------------------------------------------------------


def test_deleting_more_than_ten_asks_for_the_count_typed(
    client: Client, scene: Scene, admin_agent: User
) -> None:
    signed_in(client, admin_agent)
    users = scene.plain[:11]
    response = send(client, scene, "delete", users, confirm_count="10")
    assert response.status_code == 400
    assert "Type 11, the number of users to delete, to confirm." in text(response)
    assert not BulkJob.objects.exists()

    job = job_of(send(client, scene, "delete", users, confirm_count="11"))
    run(job)
    assert set(job.rows.values_list("state", flat=True)) == {BulkRow.DONE}
    for user in users:
        user.refresh_from_db()
        assert user.state == "inactive"
    mirror = customer_get(scene.id)
    assert mirror is not None
    gone = user_get(mirror, str(users[0].pk))
    assert gone is not None and gone.state == "deleted"
    page = text(client.get(scene.users_url))
    assert "User 00" not in page and "User 11" in page


def test_a_cancelled_action_leaves_the_users_not_started_as_they_are(
    client: Client, scene: Scene, admin_agent: User
) -> None:
    signed_in(client, admin_agent)
    job = job_of(send(client, scene, "delete", scene.plain[:2]))
    client.post(reverse("users:bulk_job_cancel", args=[job.customer_id, job.public_id]))
    job.refresh_from_db()
    assert job.state == BulkJob.CANCELLED
    assert set(job.rows.values_list("state", flat=True)) == {BulkRow.CANCELLED}
    for user in scene.plain[:2]:
        user.refresh_from_db()
        assert user.state == "active"


def test_a_delete_whose_answer_was_lost_is_found_done_on_the_next_attempt(
    client: Client, scene: Scene, admin_agent: User
) -> None:
    """The first attempt deleted the user but no answer came: the repeat gets 404 and knows."""
    signed_in(client, admin_agent)
    job = job_of(send(client, scene, "delete", [scene.plain[0]]))
    row = job.rows.get()
    BulkRow.objects.filter(pk=row.pk).update(
        state=BulkRow.WORKING, attempts=1, request_id=str(uuid.uuid4())
    )
    CustomerUser.objects.filter(pk=scene.plain[0].pk).update(
        state="inactive", soft_deletion_time=timezone.now()
    )
    owner = worker_name()
    BulkJob.objects.filter(pk=job.pk).update(lease_owner=owner, state=BulkJob.RUNNING)
    ActionWork(job, partner_center(), owner, timezone.now).process(row.pk)
    row.refresh_from_db()
    assert row.state == BulkRow.DONE
    assert row.status_update == "Deleted (by an earlier attempt whose answer was lost)."
