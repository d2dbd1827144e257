"""Upload users in a real browser: the template, Validate a bad and a good file (htmx and without
JavaScript), the file back with its errors, the Location step."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Browser, FilePayload, Locator, Page, expect
from pytest_django.live_server_helper import LiveServer

from customers.directory.customer_queries import customer_get
from customers.directory.models import DirectoryUser
from customers.directory.user_queries import users_of
from portal.sandbox import seed_plan
from tests.conftest import STAFF_PASSWORD
from tests.e2e.test_customers import http_errors
from tests.e2e.test_layout import assert_accessible, sign_in
from tests.users.bulk_support import HEADER, csv_data, fixture_bytes
from users.bulk.rules import DISPLAY_NAME_REQUIRED, MARKER
from users.models import BulkDraft

pytestmark = [
    pytest.mark.django_db(transaction=True, databases=["default", "sandbox"]),
    pytest.mark.usefixtures("live_sandbox"),
]

CONTOSO = str(seed_plan.CUSTOM_DOMAIN_CUSTOMER_ID)
DOMAIN = seed_plan.CUSTOM_DOMAIN


def deleted_username() -> str:
    """A username of Contoso's deleted users that no active user has taken: a warning."""
    mirror = customer_get(CONTOSO)
    assert mirror is not None and mirror.mirrored, "the upload page reads the customer"
    taken = set(users_of(mirror).values_list("upn_key", flat=True))
    return next(
        row.user_principal_name
        for row in users_of(mirror, state=DirectoryUser.DELETED).order_by("deleted_at")
        if row.upn_key not in taken
    )


def look(page: Page, screenshot: Path) -> None:
    """axe-clean, and a picture of the page.

    Playwright's screenshot hides the caret with an inline style on inputs and leaves an empty
    `style` attribute behind; htmx's settle step copies a swapped element's old attributes
    (style included) onto its replacement, which the strict CSP then reports as an inline style
    the page never had. The portal's pages have no inline style, so the leftovers go.
    """
    assert_accessible(page)
    page.screenshot(path=screenshot, full_page=True)
    page.evaluate("document.querySelectorAll('[style]').forEach(e => e.removeAttribute('style'))")


def csv_file(name: str, data: bytes) -> FilePayload:
    return {"name": name, "mimeType": "text/csv", "buffer": data}


def open_upload_users(page: Page, live_server: LiveServer, screenshots: Path) -> None:
    """Sign in and reach Upload users from Contoso's command bar."""
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, live_server, "amara")
    page.goto(f"{live_server.url}/customers/{CONTOSO}/")
    commands = page.get_by_role("group", name="User actions")
    commands.screenshot(path=screenshots / "bulk-command-bar.png")
    commands.get_by_role("link", name="Upload users").click()
    expect(page).to_have_url(f"{live_server.url}/customers/{CONTOSO}/upload/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Upload users")
    look(page, screenshots / "bulk-upload.png")


def download_the_template(page: Page) -> None:
    """The CSV template: its name, and only its header row."""
    with page.expect_download() as template_info:
        page.get_by_role("link", name="Download the CSV template").click()
    template = template_info.value
    assert template.suggested_filename == "upload-users-template.csv"
    assert Path(template.path()).read_bytes() == (
        b"\xef\xbb\xbfFirst name,Last name,Display name,Email,Status update\r\n"
    )


def validate_a_bad_file(page: Page, live_server: LiveServer, screenshots: Path) -> None:
    """A bad file: errors next to their cells, no Location step."""
    page.get_by_label("CSV file").set_input_files(
        csv_file("mixed-errors.csv", fixture_bytes("mixed-errors.csv", DOMAIN))
    )
    page.get_by_role("button", name="Validate").click()
    heading = page.get_by_role("heading", name="Validation of mixed-errors.csv")
    expect(heading).to_be_focused()  # an htmx swap, then focus on what was found
    expect(page.get_by_role("alert").filter(has_text="4 of 5 users have errors")).to_be_visible()
    expect(page.get_by_role("heading", name="Next: Location and Save")).to_have_count(0)
    row = page.locator("#row-4")
    expect(row.locator("td.cell-error")).to_contain_text(f"Error: {DISPLAY_NAME_REQUIRED}")
    expect(page.locator("td.cell-error")).to_have_count(4)
    assert page.url == f"{live_server.url}/customers/{CONTOSO}/upload/"
    look(page, screenshots / "bulk-validate-errors.png")


def download_it_back_with_its_errors(page: Page) -> None:
    """The bad file back, each error marked in its row; no draft made."""
    with page.expect_download() as annotated_info:
        page.get_by_role("button", name="Download the file with its errors").first.click()
    annotated = annotated_info.value
    assert annotated.suggested_filename == "mixed-errors-checked.csv"
    rows = list(csv.reader(io.StringIO(Path(annotated.path()).read_text("utf-8-sig"))))
    assert rows[3] == ["Sam", "", "", f"sam@{DOMAIN}", f"{MARKER} Error: {DISPLAY_NAME_REQUIRED}"]
    assert BulkDraft.objects.count() == 0


def validate_a_good_file(page: Page, screenshots: Path) -> Locator:
    """A good file: a draft and the Location step, which is returned."""
    good = csv_data(
        HEADER,
        f"Maria,Schmidt,Maria Schmidt,maria.schmidt@{DOMAIN},",
        f"Zoë,Ng,Zoë Ng,zoe.ng@{DOMAIN},",
        f"Olu,Ade,Olu Ade,olu.ade@{DOMAIN},",
    )
    page.get_by_label("CSV file").set_input_files(csv_file("new-staff.csv", good))
    page.get_by_role("button", name="Validate").click()
    expect(page.get_by_role("heading", name="Validation of new-staff.csv")).to_be_focused()
    expect(page.get_by_text("3 users ready to create")).to_be_visible()
    next_step = page.get_by_role("region", name="Next: Location and Save")
    next_step.get_by_label("Location").select_option("DE")
    look(page, screenshots / "bulk-validate-good.png")
    assert BulkDraft.objects.count() == 1
    return next_step


def test_upload_users_validate_a_bad_file_download_it_back_then_a_good_file(
    page: Page, live_server: LiveServer, admin_agent: User, screenshots: Path
) -> None:
    problems = http_errors(page)
    open_upload_users(page, live_server, screenshots)
    download_the_template(page)
    validate_a_bad_file(page, live_server, screenshots)
    download_it_back_with_its_errors(page)
    next_step = validate_a_good_file(page, screenshots)

    # Save is the bulk jobs step's (tests/e2e/test_bulk_upload_flow.py): it lands on the job.
    next_step.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Upload of new-staff.csv")
    assert problems == []


def test_without_javascript_validate_posts_the_page_and_shows_warnings_apart(
    browser: Browser, live_server: LiveServer, admin_agent: User, screenshots: Path
) -> None:
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 1366, "height": 900}
    )
    page = context.new_page()
    page.goto(f"{live_server.url}/sign-in/")
    page.get_by_label("Username").fill("amara")
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server.url}/customers/{CONTOSO}/upload/")
    deleted = deleted_username()
    data = csv_data(
        HEADER,
        f"Ann,Lee,Ann Lee,ann.lee@{DOMAIN},",
        f"Ann,Lee,,ann.lee@{DOMAIN},",
        f"Re,Used,Re Used,{deleted},",
        f"Bo,Ek,Bo Ek,bo.ek@{DOMAIN},,extra",
    )
    page.get_by_label("CSV file").set_input_files(csv_file("plain.csv", data))
    page.get_by_role("button", name="Validate").click()
    expect(page).to_have_url(f"{live_server.url}/customers/{CONTOSO}/upload/#bulk-results")
    expect(page.get_by_role("heading", name="Validation of plain.csv")).to_be_visible()
    expect(page.locator("td.cell-error")).to_have_count(2)
    expect(page.locator("#row-4 td.cell-warning")).to_contain_text("Warning:")
    expect(page.locator("tr.bulk-row-messages")).to_contain_text("Error in row 5:")
    # No axe here: it runs as a script, which this context does not run (the markup is the
    # same as with JavaScript, checked above).
    page.screenshot(path=screenshots / "bulk-validate-no-js.png", full_page=True)
    with page.expect_download() as info:
        page.get_by_role("button", name="Download the file with its errors").first.click()
    rows = list(csv.reader(io.StringIO(Path(info.value.path()).read_text("utf-8-sig"))))
    assert rows[3][:4] == ["Re", "Used", "Re Used", deleted]
    assert rows[3][4].startswith(f"{MARKER} Warning: Email '{deleted}' is the username of ")
    context.close()
