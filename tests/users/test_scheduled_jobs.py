"""Scheduled changes, with an injected clock: a selected-users action or a bulk Save made to run at
a time waits with nothing sent, starts once however many maintenance loops see it, is held when
found too late, can be cancelled or run now (racing the release safely), and is not run for
someone who lost the right to do it meanwhile."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django.fixtures import Settings

from customers.directory.customer_queries import customer_get
from customers.directory.user_queries import users_of
from portal.audit.records import Action, Actor
from portal.models import AuditRecord
from portal.sandbox.models import CustomerUser
from tests.directory_data import synced
from tests.sandbox_data import make_customer, make_user
from tests.users.bulk_jobs_support import (  # noqa: F401 (the no_worker fixture)
    DOMAIN,
    Scene,
    make_draft,
    make_scene,
    no_worker,
    run,
    sandbox_users,
    squat,
)
from users.bulk.jobs import bulk_job_create
from users.bulk.lease import bulk_job_claim, bulk_jobs_recover
from users.bulk.models import BulkJob, BulkRow
from users.bulk.reading import COLUMNS
from users.bulk.schedule import (
    scheduled_job_cancel,
    scheduled_job_run_now,
    scheduled_jobs_release,
)
from users.bulk.schedule_selectors import usernames_reserved
from users.bulk.services import bulk_upload_validate
from users.bulk.when import Schedule, ScheduleRefused
from users.selected import SelectedAction, selected_job_create

pytestmark = [
    pytest.mark.django_db(databases=["default", "sandbox"]),
    pytest.mark.usefixtures("no_worker"),
]

T0 = datetime(2026, 12, 11, 15, 0, tzinfo=UTC)  # a Friday, 16:00 in Stockholm
FRIDAY_17 = Schedule.parse("2026-12-11 17:00 Europe/Stockholm")
# A day to choose in a form, which checks it against the real clock.
DAY = (timezone.now() + timedelta(days=10)).date()


def _leaver_job(staff: User, *, schedule: Schedule = FRIDAY_17, token: str = "") -> BulkJob:
    customer = make_customer("Contoso", "contoso.onmicrosoft.com", custom_domain="contoso.com")
    make_user(customer, "leaver", "Lee Leaver", usage_location="SE")
    mirror = synced(str(customer.pk))
    leaver = users_of(mirror).get(display_name="Lee Leaver")
    return selected_job_create(
        customer=mirror,
        action=SelectedAction.DELETE,
        users=[leaver],
        actor=Actor.for_command(staff),
        form_token=token,
        ticket="CHG-77",
        schedule=schedule,
        now=T0,
    )


def _leaver_active() -> bool:
    return CustomerUser.objects.get(user_principal_name__startswith="leaver@").state == "active"


def test_a_schedule_is_read_in_its_zone_and_refuses_what_cannot_be() -> None:
    assert FRIDAY_17.run_at == datetime(2026, 12, 11, 16, 0, tzinfo=UTC)
    assert FRIDAY_17.describe().startswith("Fri 11 Dec 2026 17:00 Europe/Stockholm")
    for text, words in [
        ("2026-12-11", "give a date, a time and a time zone"),
        ("11/12/2026 17:00 UTC", "write the date and time as"),
        ("2026-12-11 17:00 Mars/Olympus", "is not a time zone"),
        ("2026-03-29 02:30 Europe/Stockholm", "does not exist in Europe/Stockholm"),
    ]:
        with pytest.raises(ScheduleRefused, match=words):
            Schedule.parse(text)
    with pytest.raises(ScheduleRefused, match="has already passed"):
        FRIDAY_17.check(now=FRIDAY_17.run_at)
    with pytest.raises(ScheduleRefused, match="at most a year ahead"):
        FRIDAY_17.check(now=T0 - timedelta(days=400))


def test_a_scheduled_delete_waits_then_runs_once_however_many_loops_see_it(
    admin_agent: User,
) -> None:
    job = _leaver_job(admin_agent)
    assert (job.state, job.task_id) == (BulkJob.SCHEDULED, "")
    [record] = AuditRecord.objects.filter(action=Action.SELECTED_USERS)
    assert record.changes["scheduled_for"].startswith("Fri 11 Dec 2026 17:00 Europe/Stockholm")

    assert scheduled_jobs_release(now=FRIDAY_17.run_at - timedelta(seconds=1)).started == 0
    job.refresh_from_db()
    assert job.state == BulkJob.SCHEDULED and _leaver_active()

    # Two maintenance loops (two replicas) at its time: one starts it, the other finds nothing.
    first = scheduled_jobs_release(now=FRIDAY_17.run_at + timedelta(seconds=5))
    second = scheduled_jobs_release(now=FRIDAY_17.run_at + timedelta(seconds=6))
    assert (first.started, second.started) == (1, 0)
    job.refresh_from_db()
    assert job.state == BulkJob.QUEUED and job.task_id

    done = run(job)
    assert done.state == BulkJob.FINISHED
    assert list(done.rows.values_list("state", flat=True)) == [BulkRow.DONE]
    assert not _leaver_active()
    # Running it again (a second task, a recovered worker) does nothing more.
    assert run(done).state == BulkJob.FINISHED
    assert AuditRecord.objects.filter(action=Action.USER_DELETE).count() == 1


def test_a_change_found_too_late_is_held_for_a_person(
    admin_agent: User, settings: Settings
) -> None:
    settings.PORTAL_SCHEDULE_GRACE = 60
    job = _leaver_job(admin_agent)
    after_downtime = FRIDAY_17.run_at + timedelta(minutes=61)
    report = scheduled_jobs_release(now=after_downtime)
    assert (report.started, report.held) == (0, 1)
    job.refresh_from_db()
    assert job.state == BulkJob.HELD and job.task_id == ""
    assert "61 minutes ago, while the portal was not running" in job.schedule_note
    assert scheduled_jobs_release(now=after_downtime + timedelta(hours=1)).started == 0
    assert _leaver_active()

    assert scheduled_job_run_now(job=job, actor=Actor.for_command(admin_agent))
    job.refresh_from_db()
    assert job.state == BulkJob.QUEUED
    assert run(job).state == BulkJob.FINISHED and not _leaver_active()
    assert AuditRecord.objects.filter(action=Action.SCHEDULED_HELD).count() == 1
    assert AuditRecord.objects.filter(action=Action.SCHEDULED_RUN_NOW).count() == 1


def test_cancel_before_its_time_sends_nothing_and_the_release_finds_nothing(
    admin_agent: User,
) -> None:
    job = _leaver_job(admin_agent)
    assert scheduled_job_cancel(job=job, actor=Actor.for_command(admin_agent), now=T0)
    assert scheduled_jobs_release(now=FRIDAY_17.run_at).started == 0
    job.refresh_from_db()
    assert job.state == BulkJob.CANCELLED
    assert list(job.rows.values_list("state", flat=True)) == [BulkRow.CANCELLED]
    assert _leaver_active()


def test_cancel_racing_the_release_either_stops_it_or_finds_it_started(
    admin_agent: User,
) -> None:
    job = _leaver_job(admin_agent)
    stale = BulkJob.objects.get(pk=job.pk)  # the cancel's copy, read before the release
    assert scheduled_jobs_release(now=FRIDAY_17.run_at).started == 1
    assert not scheduled_job_cancel(job=stale, actor=Actor.for_command(admin_agent))
    stale.refresh_from_db()
    assert stale.state == BulkJob.QUEUED  # started: the ordinary Cancel of a running job applies


def test_it_is_not_run_for_someone_who_lost_the_role_meanwhile(admin_agent: User) -> None:
    job = _leaver_job(admin_agent)
    admin_agent.groups.set([Group.objects.get(name="Sales agent")])
    report = scheduled_jobs_release(now=FRIDAY_17.run_at)
    assert (report.started, report.refused) == (0, 1)
    job.refresh_from_db()
    assert job.state == BulkJob.CANCELLED
    assert "amara, who scheduled it, may no longer do this for Contoso" in job.schedule_note
    assert _leaver_active()
    assert AuditRecord.objects.get(action=Action.SCHEDULED_CANCEL).outcome == "failed"


def test_the_same_form_sent_twice_schedules_one_change(admin_agent: User) -> None:
    token = "5d7c8f7e-2a44-4c1a-9c55-6f2f5d0f0a11"
    first = _leaver_job(admin_agent, token=token)
    mirror = customer_get(first.customer_id)
    assert mirror is not None
    again = selected_job_create(
        customer=mirror,
        action=SelectedAction.DELETE,
        users=list(users_of(mirror).filter(display_name="Lee Leaver")),
        actor=Actor.for_command(admin_agent),
        form_token=token,
        schedule=FRIDAY_17,
        now=T0,
    )
    assert again.pk == first.pk
    assert BulkJob.objects.count() == 1


def test_a_worker_killed_while_running_it_leaves_it_to_the_next_one(admin_agent: User) -> None:
    job = _leaver_job(admin_agent)
    released_at = FRIDAY_17.run_at
    assert scheduled_jobs_release(now=released_at).started == 1
    # A worker claims it and dies before doing anything: its lease runs out.
    assert bulk_job_claim(job_id=job.pk, owner="dead-worker", now=released_at)
    later = released_at + timedelta(minutes=5)
    assert [recovered.pk for recovered in bulk_jobs_recover(now=later)] == [job.pk]
    assert scheduled_jobs_release(now=later).started == 0  # not started a second time
    assert run(job).state == BulkJob.FINISHED
    assert not _leaver_active()
    assert AuditRecord.objects.filter(action=Action.USER_DELETE).count() == 1


# --- The pages -----------------------------------------------------------------------------------


def test_delete_of_selected_users_scheduled_from_the_form_waits_and_is_listed(
    client: Client, admin_agent: User, helpdesk_agent: User
) -> None:
    job = _leaver_job(admin_agent)  # makes Contoso and its leaver
    leaver = CustomerUser.objects.get(user_principal_name__startswith="leaver@")
    client.force_login(admin_agent)
    url = reverse("users:selected", args=[job.customer_id])
    form = client.get(url, {"action": "delete", "users": [str(leaver.pk)]})
    zones = [value for value, _ in form.context["when_form"].fields["run_zone"].choices]
    assert zones[0] == settings.TIME_ZONE
    assert "Europe/Stockholm" in str(form.context["when_form"].fields["run_zone"].choices[1])
    sent = {
        "action": "delete",
        "users": [str(leaver.pk)],
        "form_token": str(uuid.uuid4()),
        "ticket": "CHG-78",
        "when": "at",
        "run_date": DAY.isoformat(),
        "run_time": "17:00",
        "run_zone": "Europe/Stockholm",
    }
    past = client.post(url, {**sent, "run_date": "2020-01-01"})
    assert "has already passed: choose a later time" in past.content.decode()
    missing = client.post(url, {**sent, "run_time": ""})
    assert "Choose the date and the time to do it at." in missing.content.decode()
    assert BulkJob.objects.count() == 1  # neither made a job

    made = client.post(url, sent)
    scheduled = BulkJob.objects.exclude(pk=job.pk).get()
    assert made["Location"] == reverse(
        "users:bulk_job", args=[scheduled.customer_id, scheduled.public_id]
    )
    assert scheduled.state == BulkJob.SCHEDULED
    expected = Schedule.at(datetime.combine(DAY, time(17)), "Europe/Stockholm")
    assert scheduled.run_at == expected.run_at
    assert _leaver_active()

    listed = client.get(reverse("users:scheduled"))
    assert [line.job.pk for line in listed.context["upcoming"]] == [job.pk, scheduled.pk]
    assert expected.describe() in listed.content.decode()
    # A Helpdesk agent may not delete, so sees no delete jobs; a Sales agent none at all.
    client.force_login(helpdesk_agent)
    assert client.get(reverse("users:scheduled")).context["upcoming"] == []


def test_cancel_and_run_now_from_the_job_page(client: Client, admin_agent: User) -> None:
    first = _leaver_job(admin_agent)
    client.force_login(admin_agent)
    args = [first.customer_id, first.public_id]
    page = client.get(reverse("users:bulk_job", args=args))
    assert page.status_code == 200 and "Refresh" not in page  # a waiting job is not polled
    text = page.content.decode()
    assert f"Runs at <strong>{FRIDAY_17.describe()}</strong>, as amara" in text
    assert "Nothing has been sent to Partner Center yet." in text and "Lee Leaver" in text
    client.post(reverse("users:bulk_job_cancel", args=args))
    first.refresh_from_db()
    assert first.state == BulkJob.CANCELLED
    assert (
        "Cancelled before it ran"
        in client.get(reverse("users:bulk_job", args=args)).content.decode()
    )

    mirror = customer_get(first.customer_id)
    assert mirror is not None
    second = selected_job_create(
        customer=mirror,
        action=SelectedAction.DELETE,
        users=list(users_of(mirror).filter(display_name="Lee Leaver")),
        actor=Actor.for_command(admin_agent),
        form_token="",
        schedule=FRIDAY_17,
        now=T0,
    )
    client.post(reverse("users:bulk_job_run_now", args=[second.customer_id, second.public_id]))
    second.refresh_from_db()
    assert second.state == BulkJob.QUEUED
    assert run(second).state == BulkJob.FINISHED and not _leaver_active()


def test_a_leaver_scheduled_from_the_delete_page_once_however_often_it_is_sent(
    client: Client, admin_agent: User
) -> None:
    earlier = _leaver_job(admin_agent)
    leaver = CustomerUser.objects.get(user_principal_name__startswith="leaver@")
    client.force_login(admin_agent)
    url = reverse("users:delete", args=[earlier.customer_id, leaver.pk])
    page = client.get(url)
    token = str(page.context["form_token"])
    assert 'name="run_zone"' in page.content.decode()
    sent = {
        "form_token": token,
        "ticket": "CHG-79",
        "when": "at",
        "run_date": DAY.isoformat(),
        "run_time": "17:00",
        "run_zone": "Europe/Stockholm",
    }
    first, again = client.post(url, sent), client.post(url, sent)
    job = BulkJob.objects.exclude(pk=earlier.pk).get()
    assert (
        first["Location"]
        == again["Location"]
        == reverse("users:bulk_job", args=[job.customer_id, job.public_id])
    )
    assert (job.kind, job.state, job.ticket) == (BulkJob.DELETE, BulkJob.SCHEDULED, "CHG-79")
    assert list(job.rows.values_list("user_id", flat=True)) == [str(leaver.pk)]
    assert _leaver_active()


# --- A scheduled joiner's username ----------------------------------------------------------------


def _joiner_job(staff: User) -> tuple[Scene, BulkJob]:
    scene = make_scene(staff)
    job = bulk_job_create(
        draft=make_draft(scene, 1),
        customer=scene.mirror,
        usage_location="SE",
        actor=scene.actor,
        ticket="CHG-80",
        schedule=FRIDAY_17,
        now=T0,
    )
    return scene, job


def test_a_scheduled_joiner_reserves_the_username_until_it_runs_or_is_cancelled(
    client: Client, admin_agent: User
) -> None:
    scene, job = _joiner_job(admin_agent)
    assert job.state == BulkJob.SCHEDULED
    username = f"user0@{DOMAIN}"
    assert list(usernames_reserved(customer_id=scene.customer_id, usernames=[username.upper()]))

    # Add user of the same username is refused, naming the change; nothing is sent.
    client.force_login(admin_agent)
    page = client.get(reverse("users:add", args=[scene.customer_id]))
    form = page.context["form"]
    added = client.post(
        reverse("users:add", args=[scene.customer_id]),
        {
            "form_id": str(uuid.uuid4()),
            "first_name": "Other",
            "display_name": "Someone Else",
            "alias": "user0",
            "domain": DOMAIN,
            "password_choice": "generate",
            "ticket": "CHG-81",
            **{name: "" for name in ("last_name", "usage_location") if name in form.fields},
        },
    )
    text = added.content.decode()
    assert "user0@contoso.com is reserved: a scheduled change will create it" in text
    assert "ticket CHG-80, by amara" in text
    assert not sandbox_users(scene, username)

    # So is a row of another upload.
    validation = bulk_upload_validate(
        customer=scene.mirror,
        file_name="more.csv",
        data=f"{','.join(COLUMNS)}\nA,B,A B,{username},\n".encode(),
    )
    assert "is reserved: a scheduled change will create it" in str(validation.rows[0].errors)

    assert scheduled_job_cancel(job=job, actor=scene.actor)
    assert usernames_reserved(customer_id=scene.customer_id, usernames=[username]) == {}


def test_a_joiner_whose_username_was_taken_meanwhile_fails_and_is_never_renamed(
    admin_agent: User,
) -> None:
    scene, job = _joiner_job(admin_agent)
    squat(scene, f"user0@{DOMAIN}", "Got There First")  # made outside the portal
    assert scheduled_jobs_release(now=FRIDAY_17.run_at).started == 1
    done = run(job)
    [row] = done.rows.all()
    assert row.state == BulkRow.FAILED
    assert "already taken" in row.status_update
    assert [user.display_name for user in sandbox_users(scene, f"user0@{DOMAIN}")] == [
        "Got There First"
    ]
    assert (
        CustomerUser.objects.filter(customer=scene.customer, display_name="First0 Last0").count()
        == 0
    )


def test_the_dashboard_and_the_users_page_show_what_is_scheduled(
    client: Client, admin_agent: User
) -> None:
    job = _leaver_job(admin_agent)
    leaver = CustomerUser.objects.get(user_principal_name__startswith="leaver@")
    client.force_login(admin_agent)
    dashboard = client.get(reverse("customers:dashboard"))
    assert [line.job.pk for line in dashboard.context["scheduled"]] == [job.pk]
    page = client.get(reverse("users:detail", args=[job.customer_id, leaver.pk]))
    assert [line.job.pk for line in page.context["scheduled"]] == [job.pk]
    text = page.content.decode()
    assert FRIDAY_17.describe() in text and "Schedule a license change…" in text


def test_the_customers_page_lists_what_will_run_for_it(client: Client, admin_agent: User) -> None:
    job = _leaver_job(admin_agent)
    client.force_login(admin_agent)
    page = client.get(reverse("customers:users", args=[job.customer_id]))
    assert [line.job.pk for line in page.context["scheduled"]] == [job.pk]
    assert "Scheduled changes (1)" in page.content.decode()
