"""A joiner and a leaver from one ticket, scheduled in a real browser: the new starter as an
upload Saved "At" Monday 08:00 their time, the leaver's Offboard "At" Friday 17:00 (from their
page); both wait on Scheduled changes, then run at their time (the maintenance step called with
that time) and the page moves them to what ran.

The Dummy task backend runs nothing by itself: the test calls the release and each job's task
body when it means to.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from portal.sandbox import seed_plan
from portal.sandbox.models import CustomerUser, RoleMember
from tests.directory_data import synced
from tests.e2e.test_layout import assert_accessible, sign_in
from tests.users.bulk_support import HEADER, csv_data
from users.bulk.models import BulkJob
from users.bulk.schedule import scheduled_jobs_release
from users.bulk.worker import bulk_job_run

pytestmark = [
    pytest.mark.django_db(transaction=True, databases=["default", "sandbox"]),
    pytest.mark.usefixtures("live_sandbox"),
]

CONTOSO = str(seed_plan.CUSTOM_DOMAIN_CUSTOMER_ID)
DOMAIN = seed_plan.CUSTOM_DOMAIN
TICKET = "CHG-2040"


def _next(weekday: int) -> date:
    """The next such weekday (0 Monday) at least two days ahead."""
    day = date.today() + timedelta(days=2)
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def _at(page: Page, day: date, time: str, zone: str) -> None:
    when = page.get_by_role("group", name="When")
    when.get_by_label("At a date and time").check()
    when.get_by_label("Date", exact=True).fill(day.isoformat())
    when.get_by_label("Time", exact=True).fill(time)
    when.get_by_label("Time zone").select_option(zone)


def _leaver() -> CustomerUser:
    """Contoso's first active user, by name, who holds no role."""
    protected = RoleMember.objects.values_list("user_id", flat=True)
    leaver = (
        CustomerUser.objects.filter(customer_id=CONTOSO, state=CustomerUser.ACTIVE)
        .exclude(pk__in=protected)
        .order_by("display_name")
        .first()
    )
    assert leaver is not None
    return leaver


def _schedule_the_joiner(page: Page, live_server: LiveServer, screenshots: Path) -> None:
    """The joiner: an upload of one new starter, Saved for Monday 08:00 in Stockholm."""
    page.goto(f"{live_server.url}/customers/{CONTOSO}/upload/")
    starter = csv_data(HEADER, f"Nora,Nyström,Nora Nyström,nora.nystrom@{DOMAIN},")
    page.get_by_label("CSV file").set_input_files(
        {"name": "starter.csv", "mimeType": "text/csv", "buffer": starter}
    )
    page.get_by_role("button", name="Validate").click()
    save = page.get_by_role("region", name="Next: Location and Save")
    save.get_by_label("Location").select_option("SE")
    monday = _next(0)
    _at(page, monday, "08:00", "Europe/Stockholm")
    save.get_by_label("Ticket reference").fill(TICKET)
    save.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Scheduled")).to_be_visible()
    expect(page.get_by_text("Nothing has been sent to Partner Center yet.")).to_be_visible()
    assert_accessible(page)
    page.screenshot(path=screenshots / "scheduled-joiner-1440.png", full_page=True)


def _schedule_the_leaver(page: Page, live_server: LiveServer, leaver: CustomerUser) -> None:
    """The leaver: Offboard from their page, At Friday 17:00 Stockholm, the same ticket."""
    page.goto(f"{live_server.url}/customers/{CONTOSO}/users/{leaver.pk}/")
    page.get_by_role("link", name="Offboard…").click()
    expect(page.get_by_role("heading", name=f"Offboard {leaver.display_name}?")).to_be_visible()
    friday = _next(4)
    _at(page, friday, "17:00", "Europe/Stockholm")
    page.get_by_label("Ticket reference").fill(TICKET)
    assert_accessible(page)
    page.get_by_role("button", name="Offboard", exact=True).click()
    expect(page.get_by_role("heading", name="Scheduled")).to_be_visible()


def _both_wait(
    page: Page, live_server: LiveServer, leaver: CustomerUser, screenshots: Path
) -> None:
    """Both wait on Scheduled changes, soonest first; nothing was sent."""
    page.set_viewport_size({"width": 390, "height": 900})
    page.goto(f"{live_server.url}/scheduled/")
    upcoming = page.get_by_role("region", name="Will run (2)")
    expect(upcoming.get_by_text(TICKET)).to_have_count(2)
    assert_accessible(page)
    page.screenshot(path=screenshots / "scheduled-changes-390.png", full_page=True)
    assert not CustomerUser.objects.filter(user_principal_name=f"nora.nystrom@{DOMAIN}").exists()
    assert CustomerUser.objects.get(pk=leaver.pk).state == CustomerUser.ACTIVE


def _both_run_at_their_times(leaver: CustomerUser) -> None:
    """Their times come: each starts once and runs."""
    for job in BulkJob.objects.order_by("run_at"):
        assert job.run_at is not None
        assert scheduled_jobs_release(now=job.run_at).started == 1
        bulk_job_run(job_id=job.pk, concurrency=1)
    assert CustomerUser.objects.filter(user_principal_name=f"nora.nystrom@{DOMAIN}").exists()
    assert CustomerUser.objects.get(pk=leaver.pk).state == CustomerUser.INACTIVE
    assert not RoleMember.objects.filter(user_id=leaver.pk).exists()


def _both_shown_as_ran(page: Page, screenshots: Path) -> None:
    """The page, reloaded, has nothing scheduled and both among what ran."""
    page.set_viewport_size({"width": 1440, "height": 900})
    page.reload()
    expect(page.get_by_text("Nothing is scheduled.")).to_be_visible()
    ran = page.get_by_role("region", name="Ran or cancelled in the last 30 days (2)")
    expect(ran.get_by_text("1 of 1 done")).to_have_count(2)
    page.screenshot(path=screenshots / "scheduled-changes-ran-1440.png", full_page=True)


def test_a_joiner_and_a_leaver_from_one_ticket_run_at_their_times(
    page: Page, live_server: LiveServer, admin_agent: User, screenshots: Path
) -> None:
    synced(CONTOSO)
    leaver = _leaver()
    page.set_viewport_size({"width": 1440, "height": 900})
    sign_in(page, live_server, "amara")
    _schedule_the_joiner(page, live_server, screenshots)
    _schedule_the_leaver(page, live_server, leaver)
    _both_wait(page, live_server, leaver, screenshots)
    _both_run_at_their_times(leaver)
    _both_shown_as_ran(page, screenshots)
