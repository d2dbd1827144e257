"""A Helpdesk agent's ticket in a real browser: reset a password and restore a user under one
ticket reference, without Add user or Delete user account in sight, then find both actions in
the Audit log by that ticket."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from portal.sandbox import seed_plan
from portal.sandbox.models import CustomerUser, RoleMember
from tests.e2e.test_layout import assert_accessible, sign_in

pytestmark = [
    pytest.mark.django_db(transaction=True, databases=["default", "sandbox"]),
    pytest.mark.usefixtures("live_sandbox"),
]

CONTOSO = str(seed_plan.CUSTOM_DOMAIN_CUSTOMER_ID)
TICKET = "INC-4242"


def _plain(state: str) -> CustomerUser:
    """A Contoso user in `state` who holds no directory role (not a protected account)."""
    with_roles = RoleMember.objects.values_list("user_id", flat=True)
    user = (
        CustomerUser.objects.filter(customer_id=CONTOSO, state=state)
        .exclude(pk__in=with_roles)
        .order_by("-soft_deletion_time", "display_name")
        .first()
    )
    assert user is not None
    return user


def test_a_helpdesk_agent_resets_and_restores_under_a_ticket_and_finds_both_in_the_audit_log(
    page: Page, live_server: LiveServer, helpdesk_agent: User, screenshots: Path
) -> None:
    active, gone = _plain(CustomerUser.ACTIVE), _plain(CustomerUser.INACTIVE)
    sign_in(page, live_server, "hugo")

    page.goto(f"{live_server.url}/customers/{CONTOSO}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Contoso Ltd")
    expect(page.get_by_role("link", name="Add user")).to_have_count(0)
    expect(page.get_by_role("link", name="Upload users")).to_have_count(0)

    page.goto(f"{live_server.url}/customers/{CONTOSO}/users/{active.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(active.display_name)
    expect(page.get_by_role("link", name="Delete user account")).to_have_count(0)
    expect(page.get_by_role("button", name="Delete user account")).to_have_count(0)
    page.get_by_role("link", name="Reset password…").click()  # asks first
    expect(page.get_by_role("heading", level=1)).to_have_text("Reset password")
    page.get_by_label("Ticket reference").fill(TICKET)
    page.get_by_role("button", name="Reset password").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Password reset")
    shown = page.get_by_label(f"Temporary password for {active.user_principal_name}")
    assert len(shown.input_value()) >= 8
    assert_accessible(page)
    page.screenshot(path=screenshots / "helpdesk-password-reset.png", full_page=True)

    page.goto(f"{live_server.url}/customers/{CONTOSO}/deleted/")
    restore = page.get_by_role("button", name="Restore")
    expect(restore).to_be_disabled()
    page.get_by_label(gone.display_name, exact=True).check()
    expect(restore).to_be_enabled()
    page.get_by_label("Ticket reference").fill(TICKET)
    restore.click()
    report = page.get_by_role("region", name="Restore")
    expect(report.get_by_role("cell", name="Restored")).to_be_visible()
    assert_accessible(page)

    page.goto(f"{live_server.url}/audit/")
    page.get_by_label("Ticket").fill(TICKET)
    page.get_by_role("button", name="Filter").click()
    table = page.get_by_role("table")
    expect(table.get_by_role("row")).to_have_count(3)  # the header and the two actions
    expect(table.get_by_text("Reset password")).to_be_visible()
    expect(table.get_by_text("Restored user")).to_be_visible()
    expect(table.get_by_text(active.user_principal_name)).to_be_visible()
    expect(table.get_by_text(gone.user_principal_name)).to_be_visible()
    assert_accessible(page)
    page.screenshot(path=screenshots / "helpdesk-audit-by-ticket.png", full_page=True)
