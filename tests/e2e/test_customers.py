"""The reading screens in a real browser: find a customer, its 5,000 users, a user, deleted users.

The first read of the 5,000-user customer: the live server runs with the Dummy task backend for
the directory queue, so opening the customer queues its sync and nothing runs it; the test then
plays the worker — it reports progress, then runs the task itself (`sync_customer_task.call`).
The browser shows the real progress element, polls it every 2s and swaps the list in when the
sync is done, deterministically: no db_worker process, and no ImmediateBackend, which would run
the whole sync inside the first request so that no progress would ever be seen.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from playwright.sync_api import Browser, Locator, Page, expect
from pytest_django.fixtures import Settings
from pytest_django.live_server_helper import LiveServer

from customers.directory.background import sync_customer_task
from customers.directory.customer_queries import customer_get
from customers.directory.models import DirectoryCustomer, DirectoryUser
from customers.directory.sync import LEASE, directory_customers_sync
from customers.directory.user_queries import users_of
from portal.partnercenter import partner_center
from portal.routers import SANDBOX_DB
from portal.sandbox import seed, seed_plan
from tests.e2e.test_layout import assert_accessible, sign_in

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "sandbox"])

TAILSPIN = str(seed_plan.LARGE_CUSTOMER_ID)


@pytest.fixture(autouse=True)
def _sandbox_and_no_worker(settings: Settings) -> Iterator[None]:
    """Demo data, an empty directory, and syncs that only the test runs."""
    dummy = {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}
    settings.TASKS = {
        "default": dummy,
        "directory": {**dummy, "QUEUES": ["directory"]},
    }
    seed.sandbox_seed(reset=True)
    cache.clear()  # the cache table is not flushed between transactional tests
    yield
    cache.clear()
    with transaction.atomic(using=SANDBOX_DB):
        seed.sandbox_wipe()


def _progress(users_read: int) -> None:
    """What a worker reading the customer reports (its lease already old, so the test can play
    the worker that takes it over)."""
    DirectoryCustomer.objects.filter(tenant_id=TAILSPIN).update(
        sync_state=DirectoryCustomer.SYNC_RUNNING,
        sync_users_read=users_read,
        sync_heartbeat_at=timezone.now() - LEASE - timedelta(seconds=1),
    )


def http_errors(page: Page) -> list[str]:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(f"page error: {error}"))
    page.on(
        "console",
        lambda message: errors.append(message.text) if message.type == "error" else None,
    )
    page.on(
        "response",
        lambda response: (
            errors.append(f"{response.status} {response.url}") if response.status >= 400 else None
        ),
    )
    return errors


def _the_dashboard_counts(page: Page, screenshots: Path) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    expect(page.locator(".stat-number")).to_have_text(str(len(seed_plan.CUSTOMERS)))
    assert_accessible(page)
    page.screenshot(path=screenshots / "dashboard-counts.png", full_page=True)


def _find_customers(page: Page, live_server: LiveServer, screenshots: Path) -> Locator:
    """Search from the dashboard, then the Customers list's own search; its results."""
    page.get_by_label("Company name, domain, username or a user's name").fill("tailspin")
    page.get_by_role("button", name="Search").click()
    expect(page).to_have_url(f"{live_server.url}/search/?q=tailspin")
    found = page.get_by_role("region", name="Customers")
    expect(found.get_by_role("link", name="Tailspin Toys")).to_be_visible()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Customers").click()
    results = page.locator("#customer-results")
    # The htmx search swaps only the rows and keeps the address in step (once htmx is set up).
    page.wait_for_load_state("load")
    page.get_by_label("Search customers by company name or domain").fill("o")
    expect(results.get_by_role("link", name="Contoso Ltd")).to_be_visible()
    expect(page).to_have_url(f"{live_server.url}/customers/?q=o")
    assert_accessible(page)
    page.screenshot(path=screenshots / "customers-list.png", full_page=True)
    return results


def _the_first_read_shows_progress(page: Page, results: Locator, screenshots: Path) -> None:
    """Open the customer: its progress, polled every 2s, while a worker reads it."""
    page.get_by_label("Search customers by company name or domain").fill("tailspin")
    results.get_by_role("link", name="Tailspin Toys").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Tailspin Toys")
    expect(page.locator("progress")).to_be_visible()
    _progress(1500)
    expect(page.get_by_role("status").filter(has_text="1,500 users read so far.")).to_be_visible(
        timeout=6000
    )
    assert_accessible(page)
    page.screenshot(path=screenshots / "customer-loading.png", full_page=True)


def _the_list_replaces_the_progress(
    page: Page, live_server: LiveServer, users: Locator, screenshots: Path
) -> tuple[DirectoryCustomer, str]:
    """When the worker is done; the customer and the name of its Deleted users tab."""
    expect(users.locator(".pager-status")).to_have_text("1–50 of 5,000", timeout=6000)
    expect(page).to_have_url(f"{live_server.url}/customers/{TAILSPIN}/")  # swapped, not reloaded
    expect(page.locator("progress")).to_have_count(0)
    mirror = customer_get(TAILSPIN)
    assert mirror is not None
    deleted_tab = f"Deleted users ({mirror.deleted_count})"
    expect(page.get_by_role("link", name=deleted_tab)).to_be_visible()
    expect(page.get_by_text("Updated less than a minute ago")).to_be_visible()
    assert_accessible(page)
    page.screenshot(path=screenshots / "customer-users.png", full_page=True)
    return mirror, deleted_tab


def _search_page_and_sort_the_users(
    page: Page, mirror: DirectoryCustomer, users: Locator, screenshots: Path
) -> tuple[list[DirectoryUser], str]:
    """Search, page and sort the 5,000 users; those matching, and the first username."""
    page.get_by_label("Search users by display name or username").fill("ann")
    expect(page).to_have_url(re.compile(r"/\?q=ann$"))
    matching = list(users_of(mirror, search="ann"))
    expect(users.locator(".pager-status")).to_have_text(
        f"1–50 of {len(matching):,}"
        if len(matching) > 50
        else f"1–{len(matching)} of {len(matching)}"
    )
    users.get_by_role("link", name="Next").click()
    expect(users.locator(".pager-status")).to_contain_text("51–")
    expect(page).to_have_url(re.compile(r"\?q=ann&page=2$"))
    users.get_by_role("link", name="Username").click()
    expect(page.get_by_role("columnheader", name="Username")).to_have_attribute(
        "aria-sort", "ascending"
    )
    first_username = sorted((u.user_principal_name for u in matching), key=str.casefold)[0]
    # The username is the third cell: after the row's check box and the display name.
    expect(users.locator("tbody tr").first.locator("td").nth(2)).to_have_text(first_username)
    page.screenshot(path=screenshots / "customer-users-search.png", full_page=True)
    return matching, first_username


def _export_the_matching_users(
    page: Page, matching: list[DirectoryUser], first_username: str
) -> None:
    """Export the users matching the search: a download, in the list's order."""
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Export").click()
    download = download_info.value
    assert download.suggested_filename.startswith("users-tailspintoys.onmicrosoft.com-")
    content = Path(download.path()).read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(content)))
    assert rows[0][:2] == ["Display name", "Username"]
    assert len(rows) == len(matching) + 1
    assert rows[1][1] == first_username  # in the list's order


def _open_a_user(page: Page, users: Locator, screenshots: Path) -> None:
    first = users.locator("tbody tr").first.get_by_role("link")
    name = first.inner_text()
    first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    expect(page.get_by_role("heading", name="Admin roles")).to_be_visible()
    assert_accessible(page)
    page.screenshot(path=screenshots / "user-page.png", full_page=True)


def _the_deleted_users(
    page: Page, mirror: DirectoryCustomer, deleted_tab: str, screenshots: Path
) -> None:
    """Deleted users (N), from the breadcrumbs back to the customer."""
    page.get_by_role("navigation", name="Breadcrumb").get_by_role(
        "link", name="Tailspin Toys"
    ).click()
    page.get_by_role("link", name=deleted_tab).click()
    expect(page.get_by_role("link", name=deleted_tab)).to_have_attribute("aria-current", "page")
    expect(page.get_by_role("columnheader", name="Days left")).to_be_visible()
    expect(page.locator("tbody tr")).to_have_count(min(50, mirror.deleted_count))
    assert_accessible(page)
    page.screenshot(path=screenshots / "customer-deleted-users.png", full_page=True)


def test_find_a_customer_its_5000_users_a_user_and_its_deleted_users(
    page: Page, live_server: LiveServer, admin_agent: User, screenshots: Path
) -> None:
    problems = http_errors(page)
    sign_in(page, live_server, "amara")
    _the_dashboard_counts(page, screenshots)
    results = _find_customers(page, live_server, screenshots)
    _the_first_read_shows_progress(page, results, screenshots)
    sync_customer_task.call(TAILSPIN, False)
    users = page.locator("#users-results")
    mirror, deleted_tab = _the_list_replaces_the_progress(page, live_server, users, screenshots)
    matching, first_username = _search_page_and_sort_the_users(page, mirror, users, screenshots)
    _export_the_matching_users(page, matching, first_username)
    _open_a_user(page, users, screenshots)
    _the_deleted_users(page, mirror, deleted_tab, screenshots)
    assert problems == []


def test_a_user_found_by_username_and_a_customer_without_access(
    page: Page, live_server: LiveServer, sales_agent: User, screenshots: Path
) -> None:
    sign_in(page, live_server, "sofia")
    page.get_by_label("Company name, domain, username or a user's name").fill(
        seed_plan.REUSED_USERNAME
    )
    # The dashboard finds a user in the directory: read the customer first, as a worker would.
    page.goto(f"{live_server.url}/customers/{seed_plan.CUSTOM_DOMAIN_CUSTOMER_ID}/")
    sync_customer_task.call(str(seed_plan.CUSTOM_DOMAIN_CUSTOMER_ID), False)
    page.goto(f"{live_server.url}/")
    page.get_by_label("Company name, domain, username or a user's name").fill(
        seed_plan.REUSED_USERNAME
    )
    page.get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(r"/customers/[0-9a-f-]+/users/[0-9a-f-]+/$"))
    expect(page.get_by_text(seed_plan.REUSED_USERNAME).first).to_be_visible()

    page.goto(f"{live_server.url}/customers/{seed_plan.NO_ACCESS_CUSTOMER_ID}/")
    sync_customer_task.call(str(seed_plan.NO_ACCESS_CUSTOMER_ID), False)  # it is refused
    page.reload()
    expect(page.get_by_role("alert")).to_contain_text(
        "The partner has no delegated admin access to Adatum Corporation"
    )
    assert_accessible(page)
    page.screenshot(path=screenshots / "customer-no-access.png", full_page=True)

    # A Sales agent has no Export.
    page.goto(f"{live_server.url}/customers/{seed_plan.CUSTOM_DOMAIN_CUSTOMER_ID}/")
    expect(page.get_by_role("button", name="Refresh")).to_be_visible()
    expect(page.get_by_role("button", name="Export")).to_have_count(0)


def test_the_cold_load_finishes_without_javascript(
    browser: Browser, live_server: LiveServer, helpdesk_agent: User, screenshots: Path
) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        sign_in(page, live_server, "hugo")
        page.goto(f"{live_server.url}/customers/{TAILSPIN}/")
        expect(page.locator("progress")).to_be_visible()
        # The <noscript> refresh leads to the loading URL, which refreshes itself by header.
        expect(page).to_have_url(f"{live_server.url}/customers/{TAILSPIN}/loading/?tab=users")
        page.screenshot(path=screenshots / "customer-loading-no-js.png", full_page=True)
        sync_customer_task.call(TAILSPIN, False)
        expect(page).to_have_url(f"{live_server.url}/customers/{TAILSPIN}/", timeout=6000)
        expect(page.locator(".pager-status")).to_have_text("1–50 of 5,000")
        # Search, sort and paging are plain links and forms.
        page.get_by_label("Search users by display name or username").fill("ann")
        page.get_by_role("button", name="Search").click()
        expect(page).to_have_url(re.compile(r"\?q=ann$"))
        page.get_by_role("link", name="Next").click()
        expect(page).to_have_url(re.compile(r"\?q=ann&page=2$"))
        page.get_by_role("button", name="Refresh").click()
        # Read again in the background, while the list stays.
        expect(page.get_by_text("reading again")).to_be_visible()
    finally:
        context.close()


def test_find_a_user_by_words_across_customers_without_accents(
    page: Page, live_server: LiveServer, helpdesk_agent: User, screenshots: Path
) -> None:
    # Every customer read, as the sweep would have done.
    directory_customers_sync(pc=partner_center())
    tenants = (TAILSPIN, seed_plan.CUSTOM_DOMAIN_CUSTOMER_ID, seed_plan.NEARLY_FULL_SKU_CUSTOMER_ID)
    for tenant in tenants:
        sync_customer_task.call(str(tenant), False)
    tailspin = customer_get(TAILSPIN)
    assert tailspin is not None
    first = users_of(tailspin, search="López").order_by("display_key").first()
    assert first is not None, "the seed gives Tailspin Toys some López"
    page.set_viewport_size({"width": 1440, "height": 900})
    sign_in(page, live_server, "hugo")
    search = page.get_by_label("Company name, domain, username or a user's name")
    # No accent, lower case, and only the start of the first name.
    search.fill(f"{first.first_name[:3].lower()} lopez")
    search.press("Enter")
    users = page.get_by_role("region", name=re.compile(r"^Users"))
    row = users.get_by_role("row").filter(has_text=first.user_principal_name)
    expect(row).to_contain_text("Tailspin Toys")
    expect(row).to_contain_text("Active")
    expect(users.get_by_role("row").first).to_contain_text("Display name")  # a header, then rows
    # Customers never read are said to be unsearched, not silently missing.
    expect(users.get_by_role("note")).to_contain_text("customers are mirrored")
    assert_accessible(page)
    page.screenshot(path=screenshots / "search-users.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    # A phone: name, customer and state; the username is on the user's page.
    expect(users.get_by_role("columnheader", name="Username")).to_be_hidden()
    expect(row.get_by_role("link", name="Tailspin Toys")).to_be_visible()
    page.screenshot(path=screenshots / "search-users-narrow.png", full_page=True)
    page.set_viewport_size({"width": 1440, "height": 900})

    row.get_by_role("link", name=first.display_name).click()
    expect(page).to_have_url(f"{live_server.url}/customers/{TAILSPIN}/users/{first.user_id}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(first.display_name)
