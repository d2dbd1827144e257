"""The audit log in a real browser: read it, filter by ticket, export; accessible, no CSP breach."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import BrowserContext, Locator, Page, expect
from pytest_django.fixtures import Settings
from pytest_django.live_server_helper import LiveServer

from portal.audit.records import Action, Actor, audit_record
from portal.models import AuditRecord
from tests.conftest import STAFF_PASSWORD
from tests.e2e.test_layout import assert_accessible, browser_problems  # noqa: F401 (a fixture)

CONTOSO = "0b7c2d7e-8f3a-4c51-9d0a-6a1f0e2b3c4d"
FABRIKAM = "1c8d3e8f-9a4b-4d62-8e1b-7b2f1f3c4d5e"


def _record(at: datetime, staff: str, action: Action, **fields: Any) -> None:
    with mock.patch("django.utils.timezone.now", return_value=at):
        audit_record(actor=Actor(None, staff, "web", "203.0.113.7"), action=action, **fields)


def _arrange_ann_lee_created_then_updated(start: datetime) -> None:
    """Contoso's Ann Lee created by amara, then renamed and moved by hugo (INC-2001)."""
    _record(
        start,
        "amara",
        Action.USER_CREATE,
        succeeded=True,
        customer_id=CONTOSO,
        customer_name="Contoso Ltd",
        target_user_id="5e2a1b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b",
        target_username="ann.lee@contoso.example",
        ticket="INC-2001",
        changes={
            "display_name": ["", "Ann Lee"],
            "user_principal_name": ["", "ann.lee@contoso.example"],
            "usage_location": ["", "GB"],
        },
        request_id="3f1d6c2e-7b8a-4d0e-9f21-5a6b7c8d9e0f",
        correlation_id="a0b1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c4d",
    )
    _record(
        start + timedelta(minutes=20),
        "hugo",
        Action.USER_UPDATE,
        succeeded=True,
        customer_id=CONTOSO,
        customer_name="Contoso Ltd",
        target_user_id="5e2a1b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b",
        target_username="ann.lee@contoso.example",
        ticket="INC-2001",
        changes={"display_name": ["Ann Lee", "Ann Lee-Smith"], "usage_location": ["GB", "IE"]},
        request_id="4a2e7d3f-8c9b-4e1f-a032-6b7c8d9e0f1a",
    )


def _arrange_fabrikam_delete_refused_and_export(start: datetime) -> None:
    """hugo refused a Fabrikam delete (INC-2002); sofia exported its users."""
    _record(
        start + timedelta(hours=1),
        "hugo",
        Action.USER_DELETE,
        succeeded=False,
        customer_id=FABRIKAM,
        customer_name="Fabrikam Inc",
        target_user_id="6f3b2c4d-5e6f-4a71-9b8c-0d1e2f3a4b5c",
        target_username="ben@fabrikam.example",
        ticket="INC-2002",
        message="Only an Admin agent can delete a user who holds a directory role.",
    )
    _record(
        start + timedelta(hours=2),
        "sofia",
        Action.USERS_EXPORT,
        succeeded=True,
        customer_id=FABRIKAM,
        customer_name="Fabrikam Inc",
        changes={"users": 12},
        message="Exported 12 users.",
    )


def _arrange_ann_lee_roles_change(start: datetime) -> None:
    """amara adds Ann Lee a role, the customer named by a formula the export must defuse."""
    _record(
        start + timedelta(hours=3),
        "amara",
        Action.USER_ROLES_CHANGE,
        succeeded=True,
        customer_id=CONTOSO,
        customer_name="=cmd|' /C calc'!A0",
        target_username="ann.lee@contoso.example",
        ticket="INC-2001",
        changes={"added": ["User Administrator"]},
    )


def _arrange_log() -> None:
    """Five records: Contoso and Fabrikam, from 08:15 UTC on 10 March 2025."""
    start = datetime(2025, 3, 10, 8, 15, tzinfo=UTC)
    _arrange_ann_lee_created_then_updated(start)
    _arrange_fabrikam_delete_refused_and_export(start)
    _arrange_ann_lee_roles_change(start)


def _sign_in_to_the_audit_log(page: Page, live_server: LiveServer) -> None:
    """Asked for the audit log, sign in as amara and land on it."""
    page.goto(f"{live_server.url}/audit/")
    page.get_by_label("Username").fill("amara")
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{live_server.url}/audit/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit log")


def _read_the_records(page: Page) -> Locator:
    """The records, in the portal's time zone, with ticket links; the table."""
    table = page.get_by_role("table")
    expect(table.get_by_role("columnheader", name="Time (Europe/Berlin)")).to_be_visible()
    # The five arranged records, and newest of all amara's own sign-in just now.
    expect(table.locator("tbody tr")).to_have_count(6)
    expect(table.locator("tbody tr").first).to_contain_text("Signed in")
    expect(table.locator("tbody tr").nth(1)).to_contain_text("12:15:00 CET")  # 11:15 UTC
    expect(page.get_by_role("link", name="INC-2002")).to_have_attribute(
        "href", "https://support.example.com/tickets/INC-2002"
    )
    expect(table).to_contain_text("Ann Lee-Smith")
    return table


def _copy_a_request_id(page: Page) -> None:
    """An id's Copy button (shown where the Clipboard API exists) copies it and says so."""
    request_id = "3f1d6c2e-7b8a-4d0e-9f21-5a6b7c8d9e0f"
    copy = page.get_by_role("button", name=f"Copy MS-RequestId {request_id}")
    copy.click()
    expect(copy).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == request_id
    expect(copy).to_have_text("Copy")


def _filter_by_ticket(
    page: Page, live_server: LiveServer, table: Locator, screenshots: Path
) -> None:
    """Filtered by ticket INC-2001: its three records only."""
    page.get_by_label("Ticket").fill("INC-2001")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(f"{live_server.url}/audit/?ticket=INC-2001")
    expect(table.locator("tbody tr")).to_have_count(3)
    expect(table).not_to_contain_text("ben@fabrikam.example")
    expect(page.get_by_label("Ticket")).to_have_value("INC-2001")
    assert_accessible(page)
    page.screenshot(path=screenshots / "audit-log-filtered.png", full_page=True)


def _export_the_filtered_log(page: Page) -> None:
    """Export CSV: the filtered records, formulas defused, and the export itself audited."""
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Export CSV").click()
    download = download_info.value
    assert download.suggested_filename.startswith("audit-log-")
    text = Path(download.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    header, lines = rows[0], rows[1:]
    assert {line[header.index("Ticket")] for line in lines} == {"INC-2001"}
    assert len(lines) == 3
    assert lines[0][header.index("Customer")] == "'=cmd|' /C calc'!A0"
    exported = AuditRecord.objects.get(action=Action.AUDIT_EXPORT)
    assert (exported.staff_username, exported.ticket) == ("amara", "INC-2001")


@pytest.mark.django_db(databases=["default", "sandbox"])
def test_read_filter_by_ticket_and_export_the_audit_log(
    page: Page,
    context: BrowserContext,
    live_server: LiveServer,
    admin_agent: User,
    settings: Settings,
    screenshots: Path,
    browser_problems: list[str],  # noqa: F811 (the fixture imported above)
) -> None:
    settings.TIME_ZONE = "Europe/Berlin"
    settings.PORTAL_TICKET_URL_TEMPLATE = "https://support.example.com/tickets/{ticket}"
    _arrange_log()
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)

    _sign_in_to_the_audit_log(page, live_server)
    table = _read_the_records(page)
    _copy_a_request_id(page)
    assert_accessible(page)
    page.screenshot(path=screenshots / "audit-log-records.png", full_page=True)
    _filter_by_ticket(page, live_server, table, screenshots)
    _export_the_filtered_log(page)

    # The export is in the log now, on top.
    page.get_by_role("link", name="Clear filters").click()
    expect(table.locator("tbody tr").first).to_contain_text("Exported the audit log")
    assert browser_problems == []


@pytest.mark.django_db(databases=["default", "sandbox"])
def test_a_sales_agent_reads_the_log_without_an_export_button(
    page: Page,
    live_server: LiveServer,
    sales_agent: User,
    screenshots: Path,
    browser_problems: list[str],  # noqa: F811 (the fixture imported above)
) -> None:
    _arrange_log()
    page.goto(f"{live_server.url}/audit/?outcome=failed")
    page.get_by_label("Username").fill("sofia")
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("table").locator("tbody tr")).to_have_count(1)
    expect(page.get_by_role("button", name="Export CSV")).to_have_count(0)
    assert_accessible(page)
    page.set_viewport_size({"width": 420, "height": 900})
    page.screenshot(path=screenshots / "audit-log-narrow.png", full_page=True)
    assert browser_problems == []


@pytest.mark.django_db(databases=["default", "sandbox"])
def test_the_sign_in_page_with_microsoft(
    page: Page, live_server: LiveServer, settings: Settings, screenshots: Path
) -> None:
    settings.PORTAL_ENTRA_SIGNIN = True
    page.goto(f"{live_server.url}/sign-in/")
    expect(page.get_by_role("link", name="Sign in with Microsoft")).to_be_visible()
    expect(page.get_by_label("Password")).to_be_visible()
    assert_accessible(page)
    page.screenshot(path=screenshots / "sign-in-microsoft.png", full_page=True)

    # An answer from Microsoft that belongs to no sign-in started here: said on the sign-in page.
    page.goto(f"{live_server.url}/sign-in/microsoft/callback/?code=0.abc&state=forged")
    expect(page).to_have_url(f"{live_server.url}/sign-in/")
    expect(page.get_by_role("alert")).to_contain_text(
        "The Microsoft sign-in expired or was started in another browser"
    )
    assert_accessible(page)
    page.screenshot(path=screenshots / "sign-in-microsoft-error.png", full_page=True)

    settings.PORTAL_LOCAL_SIGNIN = False
    page.goto(f"{live_server.url}/sign-in/")
    expect(page.get_by_role("link", name="Sign in with Microsoft")).to_be_visible()
    expect(page.get_by_label("Password")).to_have_count(0)
    assert_accessible(page)
    page.screenshot(path=screenshots / "sign-in-microsoft-only.png", full_page=True)
