"""--at on the change commands, and scheduled_change_list / scheduled_change_cancel: the same
scheduled changes as the web's, with the same role and scope rules."""

# ruff: noqa: F811 (pytest fixtures imported from commands_support, used as arguments)

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.utils import timezone

from tests.users.bulk_jobs_support import run as run_job
from tests.users.commands_support import (  # noqa: F401 (fixtures)
    Outcome,
    Scene,
    refresh,
    run,
    scene,
)
from users.bulk.models import BulkJob
from users.bulk.schedule import scheduled_jobs_release

pytestmark = [
    pytest.mark.django_db(databases=["default", "sandbox"]),
    pytest.mark.usefixtures("empty_cache"),
]


def scheduled(name: str, *argv: str) -> Outcome:
    """`manage.py scheduled_change_<name> <argv>`: output, error and exit code."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(f"scheduled_change_{name}", *argv, stdout=out, stderr=err)
    except CommandError as error:
        return Outcome(out.getvalue(), f"{error}\n", error.returncode)
    return Outcome(out.getvalue(), err.getvalue(), 0)


LATER = (timezone.now() + timedelta(days=3)).strftime("%Y-%m-%d 17:00")


def test_a_leaver_scheduled_from_the_command_runs_at_its_time(
    scene: Scene, admin_agent: User
) -> None:
    at = f"{LATER} Europe/Stockholm"
    outcome = run(
        "customer_user_remove", "--as", "amara", *scene.customer,
        "--user-id", str(scene.bob.pk), "--at", at, "--ticket", "CHG-90", "--json",
    )  # fmt: skip
    assert outcome.code == 0, outcome.err
    data = json.loads(outcome.out)
    job = BulkJob.objects.get(public_id=data["job"])
    assert (job.state, job.kind, job.ticket, job.run_time_zone) == (
        BulkJob.SCHEDULED, BulkJob.DELETE, "CHG-90", "Europe/Stockholm",
    )  # fmt: skip
    assert refresh(scene.bob).state == "active"  # nothing sent now

    listed = scheduled("list", "--as", "amara")
    assert str(job.public_id) in listed.out and "Bob Builder" in listed.out
    assert job.run_at is not None
    scheduled_jobs_release(now=job.run_at)
    run_job(job)
    assert refresh(scene.bob).state == "inactive"
    assert "Nothing ran." not in scheduled("list", "--as", "amara", "--ran").out


def test_a_license_change_is_checked_now_and_scheduled(scene: Scene, admin_agent: User) -> None:
    argv = ["--as", "amara", *scene.customer, "--user-id", str(scene.bob.pk), "--at", LATER]
    short = run("customer_user_license_set", *argv, "--add", "O365_BUSINESS")  # no seat left
    assert short.code == 2 and "no seat left" in short.err.lower()
    assert not BulkJob.objects.exists()
    made = run("customer_user_license_set", *argv, "--add", "ENTERPRISEPACK")
    assert made.code == 0, made.err
    assert "Scheduled: the license change of bob@" in made.out
    job = BulkJob.objects.get()
    assert (job.kind, [sku["name"] for sku in job.skus]) == (BulkJob.LICENSES, ["Office 365 E3"])


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("tomorrow", "give a date, a time and a time zone"),
        ("2020-01-01 08:00 UTC", "has already passed"),
        ("2026-13-01 08:00 UTC", "write the date and time as"),
    ],
)
def test_a_bad_time_is_refused_and_nothing_is_scheduled(
    scene: Scene, admin_agent: User, value: str, words: str
) -> None:
    outcome = run(
        "customer_user_remove", "--as", "amara", *scene.customer,
        "--user-id", str(scene.bob.pk), "--at", value,
    )  # fmt: skip
    assert outcome.code == 2 and words in outcome.err
    assert not BulkJob.objects.exists()


def test_cancel_follows_the_role_and_scope_rules(
    scene: Scene, admin_agent: User, helpdesk_agent: User, scoped_staff: Callable[..., User]
) -> None:
    run(
        "customer_user_remove", "--as", "amara", *scene.customer,
        "--user-id", str(scene.bob.pk), "--at", LATER,
    )  # fmt: skip
    job = BulkJob.objects.get()
    elsewhere = scoped_staff("Admin agent", ["00000000-0000-0000-0000-00000000c0de"])
    outsider = scheduled("cancel", "--as", elsewhere.username, "--job", str(job.public_id))
    assert outsider.code == 4  # not found, as if it did not exist
    assert scheduled("list", "--as", elsewhere.username).out == "Nothing is scheduled.\n"
    helpdesk = scheduled("cancel", "--as", "hugo", "--job", str(job.public_id))
    assert helpdesk.code == 3  # a Helpdesk agent may not delete
    done = scheduled("cancel", "--as", "amara", "--job", str(job.public_id))
    assert done.code == 0 and "nothing was sent" in done.out
    job.refresh_from_db()
    assert job.state == BulkJob.CANCELLED
    again = scheduled("cancel", "--as", "amara", "--job", str(job.public_id))
    assert again.code == 3 and "only one that has not run can be cancelled" in again.err


def test_a_new_starter_scheduled_from_the_command(scene: Scene, admin_agent: User) -> None:
    argv = ["--as", "amara", *scene.customer, "--at", LATER, "--usage-location", "SE"]
    made = run(
        "customer_user_new", *argv,
        "--user-principal-name", "nora@contoso.com", "--display-name", "Nora North",
    )  # fmt: skip
    assert made.code == 0, made.err
    assert "Scheduled: the creation of nora@contoso.com" in made.out
    job = BulkJob.objects.get()
    assert (job.kind, job.state, job.usage_location) == (BulkJob.UPLOAD, BulkJob.SCHEDULED, "SE")
    taken = run(
        "customer_user_new", *argv,
        "--user-principal-name", "nora@contoso.com", "--display-name", "Nora Again",
    )  # fmt: skip
    assert taken.code == 2 and "is reserved: a scheduled change will create it" in taken.err
