"""Upload users after Validate, through the views: Save, the job page (htmx and plain), Cancel,
Retry failed rows, the results CSV, the temporary passwords once, Reset passwords, roles, the
dashboard's Bulk uploads panel and a customer's Past uploads.

Jobs run by calling the task body (`bulk_job_run`) here, synchronously; the Dummy task backend
keeps Save's enqueue from running anything by itself.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from portal.crypto import decrypt
from portal.models import AuditRecord
from tests.client_response import ClientResponse
from tests.conftest import _staff, downloaded
from tests.sandbox_data import BUSINESS_BASIC, OFFICE_E3
from tests.users.bulk_jobs_support import (  # noqa: F401 (the no_worker fixture)
    DOMAIN,
    Scene,
    make_draft,
    make_scene,
    no_worker,
    run,
    save_job,
    squat,
)
from users.bulk.models import BulkJob, BulkRow
from users.bulk.passwords import PASSWORDS_WARNING

pytestmark = [
    pytest.mark.django_db(databases=["default", "sandbox"]),
    pytest.mark.usefixtures("no_worker"),
]

HTMX = {"HX-Request": "true", "HX-Target": "bulk-job-status"}


@pytest.fixture
def scene(admin_agent: User) -> Scene:
    return make_scene(admin_agent)


@pytest.fixture
def client_(client: Client, admin_agent: User) -> Client:
    client.force_login(admin_agent)
    return client


def job_url(job: BulkJob, action: str = "") -> str:
    name = f"users:bulk_job_{action}" if action else "users:bulk_job"
    return reverse(name, args=[job.customer_id, job.public_id])


def save_url(scene: Scene) -> str:
    return reverse("users:bulk_save", args=[scene.customer_id])


def text(response: ClientResponse) -> str:
    return response.content.decode()


def messages_of(response: ClientResponse) -> list[str]:
    return [str(m) for m in response.context["messages"]]


# --- Save ----------------------------------------------------------------------------------------


def test_the_save_page_offers_location_licences_with_seats_and_warns_about_passwords(
    client_: Client, scene: Scene
) -> None:
    draft = make_draft(scene, 2)
    page = text(client_.get(save_url(scene), {"draft": str(draft.public_id)}))
    assert '<select name="usage_location"' in page and ">United Kingdom</option>" in page
    assert "Microsoft 365 Business Basic <span" in page and "50 of 50 available" in page
    # Office 365 E3 has one seat for two users: its box is disabled, and says why.
    assert f'value="{OFFICE_E3}" id="bulk-sku-2" disabled' in page
    assert "Not enough seats for 2 users" in page
    assert "won't be available later and must be downloaded immediately" in page


def test_save_with_a_location_and_a_licence_makes_the_job_and_goes_to_its_page(
    client_: Client, scene: Scene
) -> None:
    draft = make_draft(scene, 2)
    response = client_.post(
        save_url(scene),
        {
            "draft": draft.public_id,
            "usage_location": "GB",
            "skus": BUSINESS_BASIC,
            "ticket": "INC-9",
        },
    )
    job = BulkJob.objects.get()
    assert response.status_code == 302 and response["Location"] == job_url(job)
    assert (job.usage_location, job.ticket, job.created_by) == ("GB", "INC-9", scene.staff)
    assert job.skus == [{"id": BUSINESS_BASIC, "name": "Microsoft 365 Business Basic"}]
    assert job.rows.count() == 2
    # Saving the same draft again (reload, back, double click) goes to the same job.
    again = client_.post(save_url(scene), {"draft": draft.public_id, "usage_location": "GB"})
    assert again["Location"] == job_url(job)
    assert BulkJob.objects.count() == 1


def test_a_licence_without_a_seat_for_every_user_is_refused_by_the_server(
    client_: Client, scene: Scene
) -> None:
    draft = make_draft(scene, 2)
    response = client_.post(
        save_url(scene), {"draft": draft.public_id, "usage_location": "GB", "skus": OFFICE_E3}
    )
    assert response.status_code == 200
    assert "Office 365 E3 has 1 seat left, fewer than the 2 users of this upload" in text(response)
    assert not BulkJob.objects.exists()


def test_save_without_a_location_asks_for_it(client_: Client, scene: Scene) -> None:
    draft = make_draft(scene, 1)
    response = client_.post(save_url(scene), {"draft": draft.public_id, "usage_location": ""})
    assert response.status_code == 200
    assert "Choose the Location of the new users." in text(response)
    assert not BulkJob.objects.exists()


def test_someone_elses_draft_is_not_found(client_: Client, scene: Scene) -> None:
    other = Scene(scene.customer, scene.mirror, _staff("ada", "Ada Other", "Admin agent"))
    draft = make_draft(other, 1)
    response = client_.post(save_url(scene), {"draft": draft.public_id, "usage_location": "GB"})
    assert response.status_code == 404
    assert "no longer kept" in text(response)
    assert not BulkJob.objects.exists()


# --- The job page ------------------------------------------------------------------------------


def test_the_progress_part_polls_with_200_while_running_and_286_with_the_results_when_done(
    client_: Client, scene: Scene
) -> None:
    job = save_job(scene, 3)
    running = client_.get(job_url(job), headers=HTMX)
    assert running.status_code == 200
    page = text(running)
    assert page.lstrip().startswith('<div id="bulk-job-status"')
    assert 'hx-trigger="every 2s"' in page and f'hx-get="{job_url(job)}"' in page
    assert '<progress class="bulk-progress" max="3" value="0"' in page
    assert "0 of 3</strong> users done (0%)" in page
    assert "<html" not in page
    run(job)
    done = client_.get(job_url(job), headers=HTMX)
    assert done.status_code == 286
    page = text(done)
    assert "hx-trigger" not in page and "<progress" not in page
    assert "3 users created" in page and f"user0@{DOMAIN}" in page


def test_the_plain_page_refreshes_itself_only_while_the_job_runs(
    client_: Client, scene: Scene
) -> None:
    job = save_job(scene, 2)
    running = client_.get(job_url(job))
    assert running.status_code == 200 and running["Refresh"] == "2"
    assert "<html" in text(running) and "Cancel</button>" in text(running)
    run(job)
    done = client_.get(job_url(job))
    assert done.status_code == 200 and "Refresh" not in done
    assert "Cancel</button>" not in text(done)


def test_a_job_no_worker_holds_says_so(client_: Client, scene: Scene) -> None:
    job = save_job(scene, 2)
    BulkJob.objects.filter(pk=job.pk).update(enqueued_at=timezone.now() - timedelta(hours=1))
    page = text(client_.get(job_url(job)))
    assert "No worker is processing this upload." in page
    assert "<code>manage.py portal_worker</code>" in page


def test_cancel_stops_a_queued_job_and_nothing_is_created(client_: Client, scene: Scene) -> None:
    job = save_job(scene, 2)
    response = client_.post(job_url(job, "cancel"), follow=True)
    job.refresh_from_db()
    assert job.state == BulkJob.CANCELLED
    assert messages_of(response)[0].startswith("Cancelled: users not yet started will not be")
    assert "Cancelled: 0 of 2 users created" in text(response)
    # Cancelling a finished job again says so.
    again = client_.post(job_url(job, "cancel"), follow=True)
    assert "This upload has already finished." in messages_of(again)


def test_a_failed_row_says_why_and_retry_failed_rows_creates_it(
    client_: Client, scene: Scene
) -> None:
    taken = squat(scene, f"user1@{DOMAIN}", "Someone Else")
    job = run(save_job(scene, 2))
    page = text(client_.get(job_url(job)))
    assert f"Not created: user1@{DOMAIN} is already taken." in page
    assert "1 of 2 users created, 1 failed" in page
    assert "Retry failed rows</button>" in page
    taken.delete()  # the other user leaves: the retry can create this one
    response = client_.post(job_url(job, "retry"), follow=True)
    assert "Retrying 1 row." in messages_of(response)
    job.refresh_from_db()
    assert job.state == BulkJob.QUEUED
    job = run(job)
    assert set(job.rows.values_list("state", flat=True)) == {BulkRow.CREATED}


def test_the_results_csv_has_every_rows_status_update(client_: Client, scene: Scene) -> None:
    squat(scene, f"user1@{DOMAIN}", "Someone Else")
    job = run(save_job(scene, 2))
    assert client_.get(job_url(job, "results")).status_code == 405  # a POST: it is audited
    assert not AuditRecord.objects.filter(action="bulk_results_export").exists()
    response = client_.post(job_url(job, "results"))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="new-staff-results.csv"'
    lines = list(csv.reader(io.StringIO(downloaded(response).decode("utf-8-sig"))))
    assert lines[0][-1] == "Status update"
    assert lines[1][3] == f"user0@{DOMAIN}" and lines[1][4].endswith("Created.")
    assert lines[2][4].endswith(f"Not created: user1@{DOMAIN} is already taken.")
    [export] = AuditRecord.objects.filter(action="bulk_results_export")
    assert (export.outcome, export.changes) == ("succeeded", {"file": "new-staff.csv", "rows": 2})


# --- Temporary passwords -------------------------------------------------------------------------


def test_the_uploader_downloads_the_passwords_once(client_: Client, scene: Scene) -> None:
    job = run(save_job(scene, 2))
    stored = {row.email: decrypt(row.password_encrypted) for row in job.rows.all()}
    page = text(client_.get(job_url(job)))
    assert PASSWORDS_WARNING.replace("'", "&#x27;") in page
    assert "2 temporary passwords waiting, erased at" in page
    assert "Download temporary passwords</button>" in page
    assert client_.get(job_url(job, "passwords")).status_code == 405  # a POST only

    response = client_.post(job_url(job, "passwords"))
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert response["Content-Disposition"] == 'attachment; filename="new-staff-passwords.csv"'
    rows = list(csv.DictReader(io.StringIO(downloaded(response).decode("utf-8-sig"))))
    assert {row["Username"]: row["Temporary password"] for row in rows} == stored

    page = text(client_.get(job_url(job)))
    assert "The temporary passwords were downloaded by you at" in page
    assert "Download temporary passwords</button>" not in page
    second = client_.post(job_url(job, "passwords"), follow=True)
    assert second.redirect_chain == [(job_url(job), 302)]
    assert messages_of(second) == [
        "These passwords were already downloaded: they are given once. If the download was "
        "lost, use Reset passwords for this upload."
    ]


def test_another_admin_agent_cannot_download_the_passwords(client: Client, scene: Scene) -> None:
    job = run(save_job(scene, 1))
    client.force_login(_staff("ada", "Ada Other", "Admin agent"))
    page = text(client.get(job_url(job)))
    assert "Download temporary passwords</button>" not in page
    assert f"Only {scene.staff.username}, who uploaded these users, can download them" in page
    response = client.post(job_url(job, "passwords"), follow=True)
    assert response.redirect_chain == [(job_url(job), 302)]
    assert messages_of(response) == [
        "Only the staff member who uploaded these users can download their passwords."
    ]
    assert job.rows.get().password_encrypted  # still there for the uploader


def test_the_passwords_cannot_be_downloaded_while_the_job_runs(
    client_: Client, scene: Scene
) -> None:
    job = save_job(scene, 1)
    assert "Download temporary passwords" not in text(client_.get(job_url(job)))
    response = client_.post(job_url(job, "passwords"), follow=True)
    assert messages_of(response) == [
        "The passwords can be downloaded once the upload has finished."
    ]


def test_passwords_from_a_retry_make_a_new_download(client_: Client, scene: Scene) -> None:
    taken = squat(scene, f"user1@{DOMAIN}", "Someone Else")
    job = run(save_job(scene, 2))
    first = client_.post(job_url(job, "passwords"))
    assert downloaded(first).count(DOMAIN.encode()) == 1
    taken.delete()
    client_.post(job_url(job, "retry"))
    run(job)
    page = text(client_.get(job_url(job)))
    assert "1 temporary password waiting" in page and "these are new ones" in page
    second = client_.post(job_url(job, "passwords"))
    assert second.status_code == 200 and f"user1@{DOMAIN}".encode() in downloaded(second)


def test_reset_passwords_for_this_upload_asks_then_gives_a_new_download(
    client_: Client, scene: Scene
) -> None:
    job = run(save_job(scene, 2))
    client_.post(job_url(job, "passwords"))
    page = text(client_.get(job_url(job)))
    assert f'href="{job_url(job, "passwords_reset")}"' in page
    confirm = client_.get(job_url(job, "passwords_reset"))
    assert confirm.status_code == 200
    assert "Reset passwords for this upload</button>" in text(confirm)
    assert not BulkRow.objects.filter(job=job, reset_state=BulkRow.RESET_PENDING).exists()

    response = client_.post(job_url(job, "passwords_reset"), follow=True)
    assert messages_of(response) == [
        "New temporary passwords are being set for 2 users. Download them here once that has "
        "finished."
    ]
    run(job)
    assert client_.post(job_url(job, "passwords")).status_code == 200
    again = client_.post(job_url(job, "passwords_reset"), follow=True)
    assert "already reset once" in messages_of(again)[0]


# --- Roles ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("cast", ["helpdesk_agent", "sales_agent"])
def test_only_admin_agents_reach_the_upload_screens(
    client: Client, scene: Scene, cast: str, request: pytest.FixtureRequest
) -> None:
    job = run(save_job(scene, 1))
    draft = make_draft(scene, 1)
    client.force_login(request.getfixturevalue(cast))
    assert client.get(job_url(job)).status_code == 403
    assert client.get(job_url(job), headers=HTMX).status_code == 403
    for action in ("cancel", "retry", "results", "passwords", "passwords_reset"):
        assert client.post(job_url(job, action)).status_code == 403
    response = client.post(save_url(scene), {"draft": draft.public_id, "usage_location": "GB"})
    assert response.status_code == 403
    assert BulkJob.objects.count() == 1
    assert job.rows.get().password_encrypted  # nothing was downloaded
    users_page = text(client.get(reverse("customers:users", args=[scene.customer_id])))
    assert "Past uploads" not in users_page


def test_a_job_of_another_customer_is_not_found(client_: Client, scene: Scene) -> None:
    job = save_job(scene, 1)
    url = reverse("users:bulk_job", args=["00000000-0000-0000-0000-000000000001", job.public_id])
    assert client_.get(url).status_code == 404


# --- Dashboard and past uploads ----------------------------------------------------------------


def test_the_dashboard_lists_uploads_in_progress_stalled_and_waiting_for_passwords(
    client_: Client, scene: Scene
) -> None:
    running = save_job(scene, 2)
    stalled = save_job(scene, 1, ticket="INC-8")
    BulkJob.objects.filter(pk=stalled.pk).update(enqueued_at=timezone.now() - timedelta(hours=1))
    waiting = run(save_job(scene, 1))
    page = text(client_.get(reverse("customers:dashboard")))
    assert "In progress" in page and f'href="{job_url(running)}"' in page
    assert "0 of 2 done (0%)" in page
    assert "Stalled: no worker" in page and f'href="{job_url(stalled)}"' in page
    assert "Waiting for you to download their passwords" in page
    assert f'href="{job_url(waiting)}"' in page and "1 password" in page
    assert "erased at <time" in page
    client_.post(job_url(waiting, "passwords"))
    page = text(client_.get(reverse("customers:dashboard")))
    assert f'href="{job_url(waiting)}"' not in page


def test_the_dashboard_says_when_there_is_no_upload(client_: Client, scene: Scene) -> None:
    page = text(client_.get(reverse("customers:dashboard")))
    assert "No uploads in progress or waiting for their passwords to be downloaded." in page


def test_the_customer_page_lists_past_uploads(client_: Client, scene: Scene) -> None:
    squat(scene, f"user1@{DOMAIN}", "Someone Else")
    done = run(save_job(scene, 2))
    queued = save_job(scene, 3)
    page = text(client_.get(reverse("customers:users", args=[scene.customer_id])))
    assert "Past uploads" in page
    assert page.index(f'href="{job_url(queued)}"') < page.index(f'href="{job_url(done)}"')
    assert f"<td>{scene.staff.username}</td>" in page
    assert "<td>2</td>\n            <td>1</td>\n            <td>1</td>" in page
    assert "Finished · 1 password to download" in page
    assert "Queued" in page
