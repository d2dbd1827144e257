"""Several users at once in a real browser: filter the 5,000-user customer by license, check 30
users, Manage licenses refused for want of one seat and done once the seat is bought; a Helpdesk
agent resetting a mix of protected and plain users; and a job page that refreshes itself without
JavaScript. Every screen axe-clean at 1440 and 390 wide.

The live server runs with the Dummy task backend; the test runs each job's task body itself.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Browser, Locator, Page, expect
from pytest_django.live_server_helper import LiveServer

from portal.sandbox import seed_plan
from portal.sandbox.models import LicenseAssignment, SubscribedSku
from tests.conftest import STAFF_PASSWORD
from tests.directory_data import licenses_known, synced
from tests.e2e.test_customers import http_errors
from tests.e2e.test_layout import assert_accessible, sign_in
from users.bulk.models import BulkJob, BulkRow
from users.bulk.worker import bulk_job_run

pytestmark = [
    pytest.mark.django_db(transaction=True, databases=["default", "sandbox"]),
    pytest.mark.usefixtures("live_sandbox"),
]

TAILSPIN = str(seed_plan.LARGE_CUSTOMER_ID)
CONTOSO = str(seed_plan.CUSTOM_DOMAIN_CUSTOMER_ID)


def look(page: Page, screenshot: Path) -> None:
    """axe-clean at 1440 and at 390 wide, with a picture of each."""
    for width, height in ((1440, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        assert_accessible(page)
        page.screenshot(path=screenshot.with_name(f"{screenshot.stem}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1440, "height": 900})


def exchange_with_seats_for_29() -> tuple[SubscribedSku, SubscribedSku, int]:
    """Tailspin read, with Exchange Online seats for 29 more users: Exchange, E3, seats held."""
    synced(TAILSPIN)
    licenses_known(TAILSPIN)
    exchange = SubscribedSku.objects.get(customer_id=TAILSPIN, name="Exchange Online (Plan 1)")
    e3 = SubscribedSku.objects.get(customer_id=TAILSPIN, name="Office 365 E3")
    # Exchange Online has seats for 29 more users.
    held = LicenseAssignment.objects.filter(sku=exchange).count()
    SubscribedSku.objects.filter(pk=exchange.pk).update(active_units=held + 29)
    synced(TAILSPIN)
    return exchange, e3, held


def filter_by_license(page: Page, live_server: LiveServer, sku: SubscribedSku) -> Locator:
    """Sign in, open Tailspin's users filtered by `sku`; the selection form."""
    page.set_viewport_size({"width": 1440, "height": 900})
    sign_in(page, live_server, "amara")
    page.goto(f"{live_server.url}/customers/{TAILSPIN}/")
    page.get_by_label("Licenses").select_option(str(sku.sku_id))
    expect(page).to_have_url(f"{live_server.url}/customers/{TAILSPIN}/?license={sku.sku_id}")
    return page.locator("form[data-selection]")


def select_all_is_refused_over_500(page: Page, selection: Locator) -> None:
    """Selecting all of a list over 500 users offers no action, and unchecks cleanly."""
    total = int(selection.get_attribute("data-total") or 0)
    assert total > 500
    # A select-all of more than one action covers says so, and offers no action.
    page.get_by_label(f"All {total} users of this list").check()
    expect(selection).to_contain_text(f"All {total:,} selected: one action covers at most 500.")
    expect(selection.get_by_role("button", name="Manage licenses")).to_be_disabled()
    page.get_by_label(f"All {total} users of this list").uncheck()
    expect(selection).to_contain_text("Check users to act on several at once.")


def check_thirty_without(page: Page, selection: Locator, sku: SubscribedSku) -> None:
    """Check the first 30 users on the page who do not hold `sku`."""
    boxes = page.locator("input[name=users][form=users-selection]")
    expect(boxes).to_have_count(50)
    holders = set(LicenseAssignment.objects.filter(sku=sku).values_list("user_id", flat=True))
    chosen: list[str] = []
    for index in range(50):
        if len(chosen) == 30:
            break
        box = boxes.nth(index)
        user_id = box.get_attribute("value")
        if user_id and user_id not in {str(holder) for holder in holders}:
            box.check()
            chosen.append(user_id)
    expect(selection.locator("[data-selection-count]")).to_have_text("30 selected")


def assign_exchange_is_refused(page: Page, screenshots: Path) -> None:
    """Manage licenses: assigning Exchange to 30 is refused for want of one seat; no job."""
    expect(page.get_by_role("heading", level=1)).to_have_text("Manage licenses")
    expect(page.get_by_text("Manage the licenses of 30 users")).to_be_visible()
    page.get_by_label("Assign Exchange Online (Plan 1)").check()
    page.get_by_label("Ticket reference").fill("INC-5150")
    page.get_by_role("button", name="Apply to 30 users").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "Exchange Online (Plan 1): 30 of the selected users need a seat, and 29 of"
    )
    assert not BulkJob.objects.exists()
    look(page, screenshots / "selected-licenses-refused")


def buy_a_seat_and_assign(
    page: Page, live_server: LiveServer, exchange: SubscribedSku, held: int, screenshots: Path
) -> None:
    """With one more seat bought, the same form goes through and the job assigns all 30."""
    # A seat bought and the customer read again: the same form goes through.
    SubscribedSku.objects.filter(pk=exchange.pk).update(active_units=held + 30)
    synced(TAILSPIN)
    page.get_by_role("button", name="Apply to 30 users").click()
    job = BulkJob.objects.get()
    expect(page).to_have_url(f"{live_server.url}/customers/{TAILSPIN}/uploads/{job.public_id}/")
    bulk_job_run(job_id=job.pk, concurrency=4)
    expect(page.get_by_text("Done for 30 users")).to_be_visible(timeout=15_000)
    table = page.locator("table.bulk-job-table")
    expect(table.locator("tbody tr")).to_have_count(30)
    expect(table.get_by_text("Assigned Exchange Online (Plan 1).")).to_have_count(30)
    assert LicenseAssignment.objects.filter(sku=exchange).count() == held + 30
    look(page, screenshots / "selected-licenses-done")


def test_filter_by_license_select_thirty_and_manage_their_licenses_seats_checked_first(
    page: Page, live_server: LiveServer, admin_agent: User, screenshots: Path
) -> None:
    problems = http_errors(page)
    exchange, e3, held = exchange_with_seats_for_29()
    selection = filter_by_license(page, live_server, e3)
    select_all_is_refused_over_500(page, selection)
    check_thirty_without(page, selection, exchange)
    look(page, screenshots / "selected-list")
    selection.get_by_role("button", name="Manage licenses").click()
    assign_exchange_is_refused(page, screenshots)
    buy_a_seat_and_assign(page, live_server, exchange, held, screenshots)
    # The refused form answered 400 (the browser logs that too); nothing else failed.
    assert [problem for problem in problems if "400" not in problem] == []
    assert f"400 {live_server.url}/customers/{TAILSPIN}/users/selected/" in problems


def test_a_helpdesk_agent_resets_a_mix_and_the_protected_ones_are_left_out_by_name(
    page: Page, live_server: LiveServer, helpdesk_agent: User, screenshots: Path
) -> None:
    synced(CONTOSO)
    page.set_viewport_size({"width": 1440, "height": 900})
    sign_in(page, live_server, "hugo")
    page.goto(f"{live_server.url}/customers/{CONTOSO}/")
    selection = page.locator("form[data-selection]")
    expect(selection.get_by_role("button", name="Delete")).to_have_count(0)
    rows = page.locator("table.users-table tbody tr")
    protected = rows.filter(has_text="Global Administrator").first
    plain = rows.filter(has_not_text="Administrator")
    protected_name = protected.locator("td").nth(1).inner_text()
    protected.locator("input[type=checkbox]").check()
    plain.nth(0).locator("input[type=checkbox]").check()
    plain.nth(1).locator("input[type=checkbox]").check()
    expect(selection.locator("[data-selection-count]")).to_have_text("3 selected")
    selection.get_by_role("button", name="Reset passwords").click()

    left_out = page.get_by_role("region", name="1 selected user left out")
    expect(left_out).to_contain_text(protected_name)
    expect(left_out).to_contain_text(
        "Holds an admin role (Global Administrator): only an Admin agent can reset a protected "
        "account."
    )
    look(page, screenshots / "selected-reset-confirm")
    page.get_by_role("button", name="Reset 2 passwords").click()
    job = BulkJob.objects.get()
    bulk_job_run(job_id=job.pk, concurrency=1)
    expect(page.get_by_text("Done for 2 users")).to_be_visible(timeout=15_000)
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download temporary passwords").click()
    assert download_info.value.suggested_filename.startswith("reset-")
    assert not BulkRow.objects.filter(job=job).exclude(password_encrypted="").exists()
    # The page is shown again once the file is saved: it says who downloaded them, and when.
    expect(page.get_by_text("The temporary passwords were downloaded by you at")).to_be_visible()
    look(page, screenshots / "selected-reset-done")


def test_without_javascript_a_running_jobs_page_refreshes_itself_until_done(
    browser: Browser, live_server: LiveServer, admin_agent: User
) -> None:
    """Issue 16, rough edge 7: the page says it updates itself; without script it must."""
    synced(CONTOSO)
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/sign-in/")
    page.get_by_label("Username").fill("amara")
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server.url}/customers/{CONTOSO}/")
    page.locator("input[name=users][form=users-selection]").nth(0).check()
    page.get_by_role("button", name="Reset passwords").click()
    page.get_by_role("button", name="Reset 1 password").click()
    job = BulkJob.objects.get()
    expect(page.get_by_text("This page updates itself.")).to_be_visible()
    loads: list[str] = []
    page.on("load", lambda loaded: loads.append(loaded.url))
    bulk_job_run(job_id=job.pk, concurrency=1)
    # The next refresh shows the results, with no script running.
    expect(page.get_by_text("Done for 1 user")).to_be_visible(timeout=10_000)
    assert loads
    context.close()
