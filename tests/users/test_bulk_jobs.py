"""Save turns a draft into a job; the worker creates its users against the sandbox; cancel and
retry; the selectors the screens use; an audit record for the job and each row."""

# ruff: noqa: F811 (pytest fixtures imported from bulk_jobs_support, used as arguments)

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from customers.directory.customer_queries import skus_of
from portal.audit.records import Action
from portal.crypto import decrypt
from portal.models import AuditRecord
from portal.partnercenter import CustomerUser, PasswordProfile, partner_center
from portal.sandbox.models import IdempotentResponse, LicenseAssignment, SubscribedSku
from tests.sandbox_data import BUSINESS_BASIC, OFFICE_E3
from tests.users.bulk_jobs_support import (  # noqa: F401 (fixtures)
    DOMAIN,
    Scene,
    believe_seats_left,
    draft_rows,
    faults,
    make_draft,
    make_scene,
    run,
    sandbox_users,
    save_job,
    scene,
    squat,
    states,
)
from users.bulk import job_selectors, jobs, lease
from users.bulk.job_selectors import (
    bulk_job_results_csv,
    bulk_job_summary,
    bulk_jobs_dashboard,
    bulk_jobs_for_customer,
)
from users.bulk.jobs import (
    BulkJobRefused,
    bulk_job_cancel,
    bulk_job_create,
    bulk_job_retry_failed,
    bulk_license_options,
)
from users.bulk.models import BulkJob, BulkRow
from users.bulk.row_work import RowWork
from users.bulk.worker import bulk_job_run

pytestmark = [
    pytest.mark.django_db(databases=["default", "sandbox"]),
    pytest.mark.usefixtures("empty_cache"),
]


# --- Save ----------------------------------------------------------------------------------------


def test_save_makes_a_job_with_its_rows_and_enqueues_its_task(scene: Scene) -> None:
    job = save_job(scene, 3, sku_ids=(BUSINESS_BASIC,))
    assert job.state == BulkJob.QUEUED
    assert (job.customer_id, job.customer_name) == (scene.customer_id, "Contoso")
    assert (job.created_by, job.ticket, job.file_name) == (scene.staff, "INC-7", "new-staff.csv")
    assert job.usage_location == "GB"
    assert job.skus == [{"id": BUSINESS_BASIC, "name": "Microsoft 365 Business Basic"}]
    assert [(row.number, row.email, row.state) for row in job.rows.order_by("number")] == [
        (2, f"user0@{DOMAIN}", "pending"),
        (3, f"user1@{DOMAIN}", "pending"),
        (4, f"user2@{DOMAIN}", "pending"),
    ]
    task = DBTaskResult.objects.get(id=job.task_id)
    assert task.task_path == "users.tasks.run_bulk_job"
    assert task.args_kwargs["args"] == [job.pk]


def test_saving_the_same_draft_twice_returns_the_same_job(scene: Scene) -> None:
    draft = make_draft(scene, 2)
    first = bulk_job_create(
        draft=draft, customer=scene.mirror, usage_location="gb", actor=scene.actor
    )
    again = bulk_job_create(
        draft=draft, customer=scene.mirror, usage_location="GB", actor=scene.actor
    )
    assert first.pk == again.pk
    assert BulkJob.objects.count() == 1
    assert BulkRow.objects.count() == 2


@pytest.mark.parametrize(
    ("location", "message"),
    [("", "Choose the Location of the new users."), ("XX", "'XX' is not a country code.")],
)
def test_a_location_is_required(scene: Scene, location: str, message: str) -> None:
    with pytest.raises(BulkJobRefused) as refused:
        bulk_job_create(
            draft=make_draft(scene), customer=scene.mirror, usage_location=location,
            actor=scene.actor,
        )  # fmt: skip
    assert str(refused.value) == message
    assert not BulkJob.objects.exists()


def test_a_licence_with_fewer_seats_than_users_is_refused(scene: Scene) -> None:
    assert [(o.name, o.seats_left, o.enough) for o in bulk_license_options(
        skus=skus_of(scene.mirror), users=2
    )] == [("Microsoft 365 Business Basic", 50, True), ("Office 365 E3", 1, False)]  # fmt: skip
    with pytest.raises(BulkJobRefused) as refused:
        save_job(scene, 2, sku_ids=(BUSINESS_BASIC, OFFICE_E3))
    assert str(refused.value) == (
        "Office 365 E3 has 1 seat left, fewer than the 2 users of this upload: buy more seats, "
        "or upload without it."
    )
    with pytest.raises(BulkJobRefused, match="not one of this customer's subscriptions"):
        save_job(scene, 2, sku_ids=("00000000-0000-0000-0000-000000000000",))
    assert not BulkJob.objects.exists()
    save_job(scene, 1, sku_ids=(OFFICE_E3,))  # one user, one seat: fine


# --- The worker ----------------------------------------------------------------------------------


def test_the_worker_creates_every_user_with_its_licence_and_a_status_update(
    scene: Scene,
) -> None:
    job = run(save_job(scene, 3, sku_ids=(BUSINESS_BASIC,)))
    assert job.state == BulkJob.FINISHED
    assert job.lease_owner == ""
    for row in job.rows.all():
        (user,) = sandbox_users(scene, row.email)
        assert (user.display_name, user.first_name, user.usage_location) == (
            row.display_name,
            row.first_name,
            "GB",
        )
        assert str(user.id) == row.user_id
        assert LicenseAssignment.objects.filter(user=user, sku__sku_id=BUSINESS_BASIC).exists()
        assert row.state == BulkRow.CREATED
        assert row.status_update == "Created, with Microsoft 365 Business Basic."
        assert row.password_encrypted and row.password_available_at is not None
    summary = bulk_job_summary(job=job)
    assert (summary.counts.created, summary.counts.pending, summary.counts.percent) == (3, 0, 100)
    assert summary.counts.passwords_waiting == 3


def test_a_licence_that_fails_after_the_create_is_said_with_the_create(scene: Scene) -> None:
    believe_seats_left(scene, 5)  # one seat really: it went since the mirror was read
    job = run(save_job(scene, 2, sku_ids=(OFFICE_E3,)))
    first, second = job.rows.order_by("number")
    assert first.status_update == "Created, with Office 365 E3."
    assert second.state == BulkRow.CREATED
    assert second.license_state == BulkRow.LICENSE_FAILED
    assert second.status_update.startswith("Created, but Office 365 E3 was not assigned: ")
    assert "run out of licenses for Office 365 E3" in second.status_update
    assert len(sandbox_users(scene, second.email)) == 1
    assert bulk_job_summary(job=job).counts.license_failed == 1


def test_a_taken_username_fails_that_row_and_the_others_go_on(scene: Scene) -> None:
    squat(scene, f"user1@{DOMAIN}", "Someone Else")
    job = run(save_job(scene, 3))
    assert states(job) == {2: "created", 3: "failed", 4: "created"}
    failed = job.rows.get(number=3)
    assert failed.status_update == f"Not created: user1@{DOMAIN} is already taken."
    assert failed.password_encrypted == ""  # never set in Partner Center: erased at once
    assert sandbox_users(scene, failed.email)[0].display_name == "Someone Else"


def test_an_outage_leaves_the_row_unknown_with_its_request_id_and_password(
    scene: Scene, sdk_sleeps: list[float]
) -> None:
    faults(error_rate=1.0)
    job = run(save_job(scene, 1))
    row = job.rows.get()
    assert row.state == BulkRow.UNKNOWN
    assert row.status_update == jobs.UNKNOWN_STATUS
    assert row.request_id and row.password_encrypted
    assert job.state == BulkJob.FINISHED
    assert sdk_sleeps == [0.5, 1.5, 3.5]  # the SDK's own retries, with the same request id


def test_throttling_is_waited_out_as_retry_after_says(
    scene: Scene, sdk_sleeps: list[float]
) -> None:
    faults(throttle_rate=0.5, retry_after_seconds=7, random_seed=3)
    job = run(save_job(scene, 4))
    assert set(states(job).values()) == {"created"}
    assert sdk_sleeps and all(wait in (7, 14, 28, 56) for wait in sdk_sleeps)


def test_an_unknown_outcome_then_already_exists_adopts_the_matching_user(scene: Scene) -> None:
    faults(error_rate=1.0)
    job = run(save_job(scene, 2))
    assert set(states(job).values()) == {"unknown"}
    faults(error_rate=0.0)
    # What the unknown outcome hid: each create did reach Partner Center, with the row's own
    # request id and body.
    users = partner_center().customers.by_id(scene.customer_id).users
    for row in job.rows.all():
        sent = CustomerUser(
            display_name=row.display_name,
            user_principal_name=row.email,
            first_name=row.first_name,
            last_name=row.last_name,
            usage_location="GB",
            password_profile=PasswordProfile(decrypt(row.password_encrypted), True),
        )
        users.create(sent, request_id=row.request_id)
    request_ids = dict(job.rows.values_list("number", "request_id"))
    # Partner Center has forgotten the request ids (its idempotency window passed), so the
    # repeat answers "already exists"; the first user matches what was sent, the second was
    # changed by someone meanwhile.
    IdempotentResponse.objects.all().delete()
    changed = sandbox_users(scene, f"user1@{DOMAIN}")[0]
    changed.display_name = "Someone Renamed"
    changed.save()
    assert bulk_job_retry_failed(job=job, actor=scene.actor) == 2
    assert dict(job.rows.values_list("number", "request_id")) == request_ids  # same ids
    job = run(job)
    adopted, other = job.rows.order_by("number")
    assert adopted.state == BulkRow.CREATED and adopted.adopted
    assert adopted.status_update == "Created (found after a lost answer)."
    assert adopted.user_id == str(sandbox_users(scene, adopted.email)[0].id)
    assert other.state == BulkRow.FAILED
    assert other.status_update == (
        f"Not created: user1@{DOMAIN} is already the username of another user."
    )
    assert all(len(sandbox_users(scene, row.email)) == 1 for row in job.rows.all())


# --- Cancel --------------------------------------------------------------------------------------


def test_cancelling_a_queued_job_creates_nobody(scene: Scene) -> None:
    job = save_job(scene, 3)
    job = bulk_job_cancel(job=job, actor=scene.actor)
    assert job.state == BulkJob.CANCELLED
    assert set(states(job).values()) == {"cancelled"}
    assert not bulk_job_run(job_id=job.pk, concurrency=1).claimed
    assert not any(sandbox_users(scene, row.email) for row in job.rows.all())
    with pytest.raises(BulkJobRefused, match="already finished"):
        bulk_job_cancel(job=job, actor=scene.actor)


def test_cancelling_a_running_job_stops_the_rows_not_yet_started(
    scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = save_job(scene, 4)
    real_finish = RowWork._finish_row

    def cancel_after_the_first_row(run: RowWork, row: BulkRow) -> None:
        real_finish(run, row)
        if row.number == 2:
            bulk_job_cancel(job=job, actor=scene.actor)

    monkeypatch.setattr(RowWork, "_finish_row", cancel_after_the_first_row)
    job = run(job)
    assert job.state == BulkJob.CANCELLED
    assert states(job) == {2: "created", 3: "cancelled", 4: "cancelled", 5: "cancelled"}
    assert job.rows.get(number=3).status_update == (
        "Not created: the upload was cancelled before this user was started."
    )
    assert [bool(sandbox_users(scene, row.email)) for row in job.rows.order_by("number")] == [
        True,
        False,
        False,
        False,
    ]


# --- Retry failed rows ---------------------------------------------------------------------------


def test_retry_sends_a_definite_failure_as_a_new_request_and_keeps_an_unknown_ones_id(
    scene: Scene,
) -> None:
    squat(scene, f"user0@{DOMAIN}", "Squatter")
    job = run(save_job(scene, 1))
    failed = job.rows.get()
    assert failed.state == BulkRow.FAILED
    first_id = failed.request_id
    with pytest.raises(BulkJobRefused, match="No row of this upload failed"):
        bulk_job_retry_failed(job=run(save_job(scene, [draft_rows(1, start=5)[0]])),
                              actor=scene.actor)  # fmt: skip

    sandbox_users(scene, failed.email)[0].delete()  # the squatter is gone
    assert bulk_job_retry_failed(job=job, actor=scene.actor) == 1
    job = run(job)
    retried = job.rows.get()
    assert retried.state == BulkRow.CREATED
    assert retried.request_id != first_id
    assert retried.attempts == 2

    faults(error_rate=1.0)
    unknown_job = run(save_job(scene, [draft_rows(1, start=9)[0]]))
    unknown = unknown_job.rows.get()
    assert unknown.state == BulkRow.UNKNOWN
    faults(error_rate=0.0)
    bulk_job_retry_failed(job=unknown_job, actor=scene.actor)
    unknown_job = run(unknown_job)
    again = unknown_job.rows.get()
    assert (again.state, again.request_id) == (BulkRow.CREATED, unknown.request_id)
    assert again.password_encrypted == unknown.password_encrypted  # the same body, too


def test_retry_is_refused_while_the_job_runs(scene: Scene) -> None:
    job = save_job(scene, 1)
    with pytest.raises(BulkJobRefused, match="Wait for the upload to finish"):
        bulk_job_retry_failed(job=job, actor=scene.actor)


def test_retry_assigns_a_licence_that_failed_without_creating_the_user_again(
    scene: Scene,
) -> None:
    believe_seats_left(scene, 5)  # one seat really
    job = run(save_job(scene, 2, sku_ids=(OFFICE_E3,)))
    second = job.rows.get(number=3)
    assert second.license_state == BulkRow.LICENSE_FAILED
    SubscribedSku.objects.filter(customer=scene.customer, sku_id=OFFICE_E3).update(active_units=2)
    assert bulk_job_retry_failed(job=job, actor=scene.actor) == 1
    job = run(job)
    again = job.rows.get(number=3)
    assert (again.state, again.license_state) == (BulkRow.CREATED, BulkRow.LICENSE_ASSIGNED)
    assert again.status_update == "Created, with Office 365 E3."
    assert (again.request_id, again.user_id) == (second.request_id, second.user_id)
    assert again.license_request_id != second.license_request_id  # a new operation
    assert again.password_encrypted == second.password_encrypted  # not a new password
    assert len(sandbox_users(scene, again.email)) == 1


# --- Audit ---------------------------------------------------------------------------------------


def test_the_job_and_every_row_have_an_audit_record(scene: Scene) -> None:
    squat(scene, f"user1@{DOMAIN}", "Someone Else")
    job = run(save_job(scene, 3, sku_ids=(BUSINESS_BASIC,)))
    (saved,) = AuditRecord.objects.filter(action=Action.BULK_UPLOAD)
    assert (saved.staff, saved.via, saved.ticket) == (scene.staff, "command", "INC-7")
    assert (saved.customer_id, saved.customer_name) == (scene.customer_id, "Contoso")
    assert saved.changes == {
        "file_name": "new-staff.csv",
        "users": 3,
        "usage_location": "GB",
        "licences": ["Microsoft 365 Business Basic"],
    }
    rows = {r.target_username: r for r in AuditRecord.objects.filter(action=Action.BULK_ROW)}
    assert set(rows) == {row.email for row in job.rows.all()}
    created = rows[f"user0@{DOMAIN}"]
    row = job.rows.get(number=2)
    assert (created.outcome, created.via, created.staff) == ("succeeded", "task", scene.staff)
    assert (created.ticket, created.target_user_id) == ("INC-7", row.user_id)
    assert created.ms_request_id == row.request_id
    assert created.changes["display_name"] == ["", "First0 Last0"]
    assert created.changes["licences_assigned"] is True
    failed = rows[f"user1@{DOMAIN}"]
    assert failed.outcome == "failed"
    assert failed.message == f"Row 3: Not created: user1@{DOMAIN} is already taken."


# --- Selectors for the screens -------------------------------------------------------------------


def test_the_dashboard_shows_uploads_in_progress_stalled_and_waiting_for_passwords(
    scene: Scene, helpdesk_agent: User
) -> None:
    now = timezone.now()
    running = save_job(scene, 2)
    lease.bulk_job_claim(job_id=running.pk, owner="w1", now=now)
    stalled = save_job(scene, [draft_rows(1, start=10)[0]])
    lease.bulk_job_claim(job_id=stalled.pk, owner="w2", now=now - lease.lease_duration() * 2)
    done = run(save_job(scene, [draft_rows(1, start=20)[0]]))

    board = bulk_jobs_dashboard(staff=scene.staff, now=now)
    assert [s.job.pk for s in board.in_progress] == [running.pk]
    assert [s.job.pk for s in board.stalled] == [stalled.pk]
    assert board.stalled[0].state_label == "Stalled (no worker)"
    (waiting,) = board.awaiting_passwords
    assert (waiting.job.pk, waiting.counts.passwords_waiting) == (done.pk, 1)
    available_at = done.rows.get().password_available_at
    assert available_at is not None  # its password is ready
    erase_at = available_at + job_selectors.password_ttl()
    assert waiting.passwords_expire_at == erase_at
    assert not waiting.passwords_expire_soon
    later = bulk_jobs_dashboard(staff=scene.staff, now=erase_at - job_selectors.PASSWORD_REMINDER)
    assert later.awaiting_passwords[0].passwords_expire_soon
    # Another staff member's passwords are not theirs to download.
    assert bulk_jobs_dashboard(staff=helpdesk_agent, now=now).awaiting_passwords == []


def test_a_customers_past_uploads_show_who_when_counts_and_state(scene: Scene) -> None:
    squat(scene, f"user1@{DOMAIN}", "Someone Else")
    older = run(save_job(scene, 3))
    newer = save_job(scene, [draft_rows(1, start=30)[0]])
    listed = bulk_jobs_for_customer(customer_id=scene.customer_id)
    assert [s.job.pk for s in listed] == [newer.pk, older.pk]
    assert listed[0].job.created_by_username == "amara"
    assert (listed[0].state, listed[0].counts.pending) == ("queued", 1)
    counts = listed[1].counts
    assert (counts.total, counts.created, counts.failed, counts.pending) == (3, 2, 1, 0)
    assert bulk_jobs_for_customer(customer_id="someone-else") == []


def test_the_results_file_has_every_rows_status_update_marked_for_re_upload(
    scene: Scene,
) -> None:
    rows = draft_rows(2)
    rows[1]["display_name"] = "=HYPERLINK()"
    squat(scene, f"user1@{DOMAIN}", "Someone Else")
    job = run(save_job(scene, rows))
    text = bulk_job_results_csv(job=job).decode("utf-8-sig")
    assert text.splitlines() == [
        "First name,Last name,Display name,Email,Status update",
        f"First0,Last0,First0 Last0,user0@{DOMAIN},[Partner Portal] Created.",
        f"First1,Last1,'=HYPERLINK(),user1@{DOMAIN},"
        f"[Partner Portal] Not created: user1@{DOMAIN} is already taken.",
    ]


def test_each_created_row_is_written_through_and_listed_with_no_partner_center_call(
    scene: Scene, caplog: pytest.LogCaptureFixture
) -> None:
    from customers.directory.user_queries import UserListQuery, licenses_of, users_page

    before = scene.mirror.users_count
    job = run(save_job(scene, 5, sku_ids=(BUSINESS_BASIC,)))
    scene.mirror.refresh_from_db()
    assert scene.mirror.users_count == before + 5  # the mirror was never dropped
    caplog.set_level("DEBUG", logger="portal.sandbox")
    caplog.clear()
    page = users_page(scene.mirror, UserListQuery(search="first3"), 1)
    assert [row.user_principal_name for row in page.object_list] == ["user3@contoso.com"]
    assert not [r for r in caplog.records if r.name == "portal.sandbox"]  # no call
    created = job.rows.get(number=5)
    assert licenses_of(scene.mirror, [created.user_id]) == {created.user_id: [BUSINESS_BASIC]}
