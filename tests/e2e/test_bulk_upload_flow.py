"""Upload users from start to finish in a real browser: the template, a valid file, Validate,
Location, Save, the progress polling to done, the one-time passwords download and a second one
refused; then the dashboard's Bulk uploads panel and the customer's Past uploads.

The live server runs with the Dummy task backend, so nothing runs by itself: the test calls the
job's task body (`bulk_job_run`) itself while the page is polling, after it has seen the progress
bar at 0. That keeps the run deterministic (ImmediateBackend would run the whole job inside
Save's request, and the progress bar would never be seen).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Locator, Page, expect
from pytest_django.live_server_helper import LiveServer

from portal.audit.records import Actor
from portal.sandbox import seed_plan
from portal.sandbox.models import Customer
from tests.directory_data import synced
from tests.e2e.test_customers import http_errors
from tests.e2e.test_layout import assert_accessible, sign_in
from tests.users.bulk_jobs_support import Scene, make_draft
from tests.users.bulk_support import HEADER, csv_data
from users.bulk.jobs import bulk_job_create
from users.bulk.models import BulkJob, BulkRow
from users.bulk.worker import bulk_job_run

pytestmark = [
    pytest.mark.django_db(transaction=True, databases=["default", "sandbox"]),
    pytest.mark.usefixtures("live_sandbox"),
]

CONTOSO = str(seed_plan.CUSTOM_DOMAIN_CUSTOMER_ID)
DOMAIN = seed_plan.CUSTOM_DOMAIN


def look(page: Page, screenshot: Path) -> None:
    """axe-clean, and a picture of the page (see tests/e2e/test_bulk_validate.py::look for why
    the empty style attributes Playwright leaves behind are removed)."""
    assert_accessible(page)
    page.screenshot(path=screenshot, full_page=True)
    page.evaluate("document.querySelectorAll('[style]').forEach(e => e.removeAttribute('style'))")


def _download_the_template(page: Page) -> None:
    with page.expect_download() as template_info:
        page.get_by_role("link", name="Download the CSV template").click()
    assert template_info.value.suggested_filename == "upload-users-template.csv"


def _upload_validate_and_save(page: Page) -> None:
    """Choose a valid file with the seed's Browse, Validate, pick a Location and Save."""
    good = csv_data(
        HEADER,
        f"Maria,Schmidt,Maria Schmidt,maria.schmidt@{DOMAIN},",
        f"Zoë,Ng,Zoë Ng,zoe.ng@{DOMAIN},",
        f"Olu,Ade,Olu Ade,olu.ade@{DOMAIN},",
    )
    # The seed's Browse: a button, and the chosen file's name beside it.
    picker = page.locator("[data-file-picker]")
    expect(picker.get_by_text("Browse", exact=True)).to_be_visible()
    expect(picker.get_by_text("No file chosen")).to_be_visible()
    page.get_by_label("CSV file").set_input_files(
        {"name": "new-staff.csv", "mimeType": "text/csv", "buffer": good}
    )
    expect(picker.get_by_text("new-staff.csv")).to_be_visible()
    page.get_by_label("CSV file").focus()  # the native input keeps the keyboard
    expect(page.get_by_label("CSV file")).to_be_focused()
    page.get_by_role("button", name="Validate").click()
    expect(page.get_by_text("3 users ready to create")).to_be_visible()
    next_step = page.get_by_role("region", name="Next: Location and Save")
    next_step.get_by_label("Location").select_option("DE")
    next_step.get_by_role("button", name="Save").click()


def _the_job_page_before_anything_runs(
    page: Page, live_server: LiveServer, screenshots: Path
) -> tuple[BulkJob, str, Locator]:
    """The job page, polling: nothing has run yet; the job, its address and its progress bar."""
    job = BulkJob.objects.get()
    job_url = f"{live_server.url}/customers/{CONTOSO}/uploads/{job.public_id}/"
    expect(page).to_have_url(job_url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Upload of new-staff.csv")
    progress = page.locator("progress.bulk-progress")
    expect(progress).to_have_attribute("value", "0")
    expect(page.locator("#bulk-progress-counts")).to_contain_text("0 of 3 users done")
    look(page, screenshots / "bulk-job-progress.png")
    return job, job_url, progress


def _the_dashboard_lists_it_in_progress(page: Page, live_server: LiveServer) -> None:
    dashboard = page.context.new_page()
    dashboard.goto(f"{live_server.url}/")
    panel = dashboard.get_by_role("region", name="Bulk uploads")
    expect(panel).to_contain_text("new-staff.csv: 0 of 3 done (0%)")
    dashboard.close()


def _the_results_replace_the_progress(page: Page, progress: Locator, screenshots: Path) -> Locator:
    """The next poll gets 286 with the results and stops; the Temporary passwords region."""
    expect(page.get_by_role("heading", name="Results")).to_be_visible(timeout=10_000)
    expect(progress).to_have_count(0)
    expect(page.get_by_text("3 users created")).to_be_visible()
    table = page.locator("table.bulk-job-table")
    expect(table.locator("tbody tr")).to_have_count(3)
    expect(table).to_contain_text(f"zoe.ng@{DOMAIN}")
    expect(table.locator(".bulk-status").first).to_have_text("Created.")
    passwords = page.get_by_role("region", name="Temporary passwords")
    expect(passwords).to_contain_text("won't be available later: download them now")
    expect(passwords).to_contain_text("3 temporary passwords waiting, erased at")
    look(page, screenshots / "bulk-job-results.png")
    return passwords


def _download_the_results(page: Page) -> None:
    with page.expect_download() as results_info:
        page.get_by_role("button", name="Download the results").click()
    assert results_info.value.suggested_filename == "new-staff-results.csv"


def _download_the_passwords(page: Page, job: BulkJob, passwords: Locator) -> None:
    """The download holds every stored password, and erases them."""
    stored = set(
        BulkRow.objects.filter(job=job)
        .exclude(password_encrypted="")
        .values_list("email", flat=True)
    )
    assert len(stored) == 3
    with page.expect_download() as passwords_info:
        passwords.get_by_role("button", name="Download temporary passwords").click()
    download = passwords_info.value
    assert download.suggested_filename == "new-staff-passwords.csv"
    rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text("utf-8-sig"))))
    assert {row["Username"] for row in rows} == stored
    assert all(len(row["Temporary password"]) >= 8 for row in rows)
    assert not BulkRow.objects.filter(job=job).exclude(password_encrypted="").exists()


def _the_passwords_are_downloaded_once(page: Page, job_url: str, screenshots: Path) -> None:
    """The page is shown again at once: it says who downloaded them and when, with no button."""
    expect(page).to_have_url(job_url)
    expect(page.get_by_text("The temporary passwords were downloaded by you at")).to_be_visible()
    expect(page.get_by_role("button", name="Download temporary passwords")).to_have_count(0)
    look(page, screenshots / "bulk-job-downloaded.png")


def _reset_passwords_for_this_upload(page: Page, screenshots: Path) -> None:
    page.get_by_role("link", name="Reset passwords for this upload").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reset passwords for this upload")
    look(page, screenshots / "bulk-job-reset-confirm.png")


def _past_uploads(page: Page, live_server: LiveServer, job: BulkJob, screenshots: Path) -> None:
    """The customer's Past uploads link to the finished job."""
    page.goto(f"{live_server.url}/customers/{CONTOSO}/")
    past = page.get_by_role("region", name="Past uploads")
    expect(past.get_by_role("link", name="new-staff.csv")).to_have_attribute(
        "href", f"/customers/{CONTOSO}/uploads/{job.public_id}/"
    )
    expect(past).to_contain_text("Finished")
    past.scroll_into_view_if_needed()
    look(page, screenshots / "bulk-past-uploads.png")


def test_upload_validate_save_watch_the_progress_and_download_the_passwords_once(
    page: Page, live_server: LiveServer, admin_agent: User, screenshots: Path
) -> None:
    problems = http_errors(page)
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, live_server, "amara")
    page.goto(f"{live_server.url}/customers/{CONTOSO}/upload/")
    _download_the_template(page)
    _upload_validate_and_save(page)
    job, job_url, progress = _the_job_page_before_anything_runs(page, live_server, screenshots)
    _the_dashboard_lists_it_in_progress(page, live_server)
    # A worker runs it.
    bulk_job_run(job_id=job.pk, concurrency=1)
    passwords = _the_results_replace_the_progress(page, progress, screenshots)
    _download_the_results(page)
    _download_the_passwords(page, job, passwords)
    _the_passwords_are_downloaded_once(page, job_url, screenshots)
    _reset_passwords_for_this_upload(page, screenshots)
    _past_uploads(page, live_server, job, screenshots)
    assert problems == []


def test_a_finished_upload_waits_on_the_dashboard_until_its_passwords_are_downloaded(
    page: Page, live_server: LiveServer, admin_agent: User, screenshots: Path
) -> None:
    mirror = synced(CONTOSO)
    scene = Scene(Customer.objects.get(id=CONTOSO), mirror, admin_agent)
    rows = [
        {"row": 2, "first_name": "", "last_name": "", "display_name": "Kim Lee",
         "email": f"kim.lee@{DOMAIN}"},
    ]  # fmt: skip
    job = bulk_job_create(
        draft=make_draft(scene, rows), customer=mirror, usage_location="FR",
        actor=Actor.for_command(admin_agent),
    )  # fmt: skip
    bulk_job_run(job_id=job.pk, concurrency=1)
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, live_server, "amara")
    page.goto(f"{live_server.url}/")
    panel = page.get_by_role("region", name="Bulk uploads")
    expect(panel).to_contain_text("Waiting for you to download their passwords")
    expect(panel).to_contain_text("new-staff.csv: 1 password")
    expect(panel).to_contain_text("erased at")
    look(page, screenshots / "dashboard-bulk-uploads.png")
