"""Two staff with different customer scopes, side by side in one browser: each sees, finds and
opens only their own customers, and their own page says which roles they have where."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from customers.directory.models import DirectoryCustomer
from portal.sandbox import seed_plan
from portal.sandbox.models import CustomerUser
from tests.directory_data import synced
from tests.e2e.test_layout import assert_accessible, sign_in

pytestmark = [
    pytest.mark.django_db(transaction=True, databases=["default", "sandbox"]),
    pytest.mark.usefixtures("live_sandbox"),
]

CONTOSO = str(seed_plan.CUSTOM_DOMAIN_CUSTOMER_ID)
FABRIKAM = str(seed_plan.NEARLY_FULL_SKU_CUSTOMER_ID)


def _someone_only_in(customer: str, other: str) -> CustomerUser:
    """An active user of `customer` whose name no user of `other` shares."""
    names = CustomerUser.objects.filter(customer_id=other).values("display_name")
    user = (
        CustomerUser.objects.filter(customer_id=customer, state=CustomerUser.ACTIVE)
        .exclude(display_name__in=names)
        .order_by("display_name")
        .first()
    )
    assert user is not None
    return user


def _page_for(browser: Browser, width: int) -> Page:
    return browser.new_context(viewport={"width": width, "height": 900}).new_page()


def _each_lists_only_their_customer(
    live_server: LiveServer, views: list[tuple[Page, DirectoryCustomer, DirectoryCustomer]]
) -> None:
    """Each page's customer list holds its own customer and not the other's."""
    for page, mine, theirs in views:
        page.goto(f"{live_server.url}/customers/")
        rows = page.get_by_role("table").get_by_role("row")
        expect(rows).to_have_count(2)  # the header and their one customer
        expect(page.get_by_role("link", name=mine.company_name)).to_be_visible()
        expect(page.get_by_text(theirs.company_name)).to_have_count(0)


def _each_finds_only_their_own_user(
    live_server: LiveServer, views: list[tuple[Page, CustomerUser, CustomerUser]]
) -> None:
    """Each finds their own customer's user and not the other's, by name."""
    for page, own, other in views:
        page.goto(f"{live_server.url}/")
        page.get_by_role("searchbox").first.fill(own.display_name)
        page.keyboard.press("Enter")
        expect(page.get_by_role("link", name=own.display_name)).to_be_visible()
        page.goto(f"{live_server.url}/search/?q={other.display_name}")
        expect(page.get_by_role("link", name=other.display_name)).to_have_count(0)
        expect(page.get_by_text(other.user_principal_name)).to_have_count(0)
        assert_accessible(page)


def _the_others_pages_are_not_there(
    north: Page,
    south: Page,
    live_server: LiveServer,
    fabrikam: DirectoryCustomer,
    only_fabrikam: CustomerUser,
    only_contoso: CustomerUser,
) -> None:
    """The other's customer page, user page or upload page is not there at all."""
    for path in [
        f"/customers/{FABRIKAM}/",
        f"/customers/{FABRIKAM}/users/{only_fabrikam.pk}/",
        f"/customers/{FABRIKAM}/upload/",
    ]:
        answer = north.goto(f"{live_server.url}{path}")
        assert answer is not None and answer.status == 404, path
        expect(north.get_by_text(fabrikam.company_name)).to_have_count(0)
    answer = south.goto(f"{live_server.url}/customers/{CONTOSO}/users/{only_contoso.pk}/")
    assert answer is not None and answer.status == 404


def _their_pages_say_what_they_may_do(
    north: Page, south: Page, live_server: LiveServer, screenshots: Path
) -> None:
    """What they may do where; the Admin agent adds users, the Helpdesk agent not."""
    north.goto(f"{live_server.url}/customers/{CONTOSO}/")
    expect(north.get_by_role("link", name="Add user")).to_be_visible()
    south.goto(f"{live_server.url}/customers/{FABRIKAM}/")
    expect(south.get_by_role("link", name="Add user")).to_have_count(0)
    north.goto(f"{live_server.url}/account/")
    expect(north.get_by_text("Admin agent on Scope of north (1 customer)")).to_be_visible()
    south.goto(f"{live_server.url}/account/")
    expect(south.get_by_text("Helpdesk agent on Scope of south (1 customer)")).to_be_visible()
    assert_accessible(south)
    south.screenshot(path=screenshots / "scopes-south-account-390.png", full_page=True)


def test_two_staff_with_different_scopes_each_see_only_their_customers(
    browser: Browser,
    live_server: LiveServer,
    scoped_staff: Callable[..., User],
    screenshots: Path,
) -> None:
    contoso, fabrikam = synced(CONTOSO), synced(FABRIKAM)
    scoped_staff("Admin agent", [CONTOSO], username="north")
    scoped_staff("Helpdesk agent", [FABRIKAM], username="south")
    only_contoso = _someone_only_in(CONTOSO, FABRIKAM)
    only_fabrikam = _someone_only_in(FABRIKAM, CONTOSO)
    north, south = _page_for(browser, 1440), _page_for(browser, 390)
    sign_in(north, live_server, "north")
    sign_in(south, live_server, "south")

    _each_lists_only_their_customer(
        live_server, [(north, contoso, fabrikam), (south, fabrikam, contoso)]
    )
    north.screenshot(path=screenshots / "scopes-north-customers-1440.png", full_page=True)
    south.screenshot(path=screenshots / "scopes-south-customers-390.png", full_page=True)
    _each_finds_only_their_own_user(
        live_server, [(north, only_contoso, only_fabrikam), (south, only_fabrikam, only_contoso)]
    )
    _the_others_pages_are_not_there(
        north, south, live_server, fabrikam, only_fabrikam, only_contoso
    )
    _their_pages_say_what_they_may_do(north, south, live_server, screenshots)
