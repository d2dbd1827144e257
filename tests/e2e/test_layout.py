"""The layout in a real browser: sign in, dashboard, sign out, accessibility and the strict CSP."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth.models import User
from playwright.sync_api import Browser, ConsoleMessage, Page, expect
from pytest_django.live_server_helper import LiveServer

from tests.conftest import STAFF_PASSWORD

BLOCKING_IMPACTS = {"serious", "critical"}


@pytest.fixture
def browser_problems(page: Page) -> Iterator[list[str]]:
    """Collects CSP violations, script errors and failed loads; each test asserts there are none.

    A CSP violation is how an inline script or style would show up in a browser.
    """
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.append(f"console: {message.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on(
        "response",
        lambda response: (
            problems.append(f"{response.status} {response.url}") if response.status >= 400 else None
        ),
    )
    yield problems


def assert_accessible(page: Page) -> None:
    results = Axe().run(page)
    blocking = [
        violation
        for violation in results.response["violations"]
        if violation["impact"] in BLOCKING_IMPACTS
    ]
    assert not blocking, results.generate_report()


_BOUNDARIES = """
() => [...document.querySelectorAll('input[type=checkbox], input[type=radio]')]
  .filter((box) => box.offsetParent !== null)
  .map((box) => {
    let under = box.parentElement;
    let background = 'rgba(0, 0, 0, 0)';
    while (under && /rgba\\(.*, 0\\)|transparent/.test(background)) {
      background = getComputedStyle(under).backgroundColor;
      under = under.parentElement;
    }
    if (/rgba\\(.*, 0\\)|transparent/.test(background)) background = 'rgb(255, 255, 255)';
    return [box.id || box.name, getComputedStyle(box).borderTopColor, background];
  })
"""


def _luminance(css: str) -> float:
    red, green, blue = (int(part) / 255 for part in re.findall(r"\d+", css)[:3])

    def linear(channel: float) -> float:
        return channel / 12.92 if channel <= 0.03928 else ((channel + 0.055) / 1.055) ** 2.4

    return 0.2126 * linear(red) + 0.7152 * linear(green) + 0.0722 * linear(blue)


def assert_controls_stand_out(page: Page) -> int:
    """Every visible check box and radio has a boundary of at least 3:1 against what is under
    it (WCAG 1.4.11), computed from the browser's colours; returns how many were checked."""
    boxes = page.evaluate(_BOUNDARIES)
    for name, border, background in boxes:
        lighter, darker = sorted((_luminance(border), _luminance(background)), reverse=True)
        ratio = (lighter + 0.05) / (darker + 0.05)
        assert ratio >= 3, f"{name}: border {border} on {background} is {ratio:.2f}:1"
    return len(boxes)


def sign_in(page: Page, live_server: LiveServer, username: str) -> None:
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(f"{live_server.url}/sign-in/?next=/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


@pytest.mark.django_db(databases=["default", "sandbox"])
def test_sign_in_see_the_dashboard_and_sign_out(
    page: Page,
    live_server: LiveServer,
    admin_agent: User,
    screenshots: Path,
    browser_problems: list[str],
) -> None:
    page.goto(f"{live_server.url}/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert_accessible(page)
    page.screenshot(path=screenshots / "sign-in.png", full_page=True)

    sign_in(page, live_server, "amara")
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    banner = page.get_by_role("banner")
    expect(banner).to_contain_text("Amara Okafor")
    expect(banner).to_contain_text("Admin agent")
    navigation = page.get_by_role("navigation", name="Main")
    expect(navigation.get_by_role("link", name="Dashboard")).to_have_attribute(
        "aria-current", "page"
    )
    assert_accessible(page)
    page.screenshot(path=screenshots / "dashboard.png", full_page=True)

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(f"{live_server.url}/sign-in/")
    expect(page.get_by_role("status")).to_have_text("You have signed out.")
    page.screenshot(path=screenshots / "signed-out.png", full_page=True)
    assert browser_problems == []


@pytest.mark.django_db(databases=["default", "sandbox"])
def test_the_dashboard_search_lists_customers_and_users(
    page: Page,
    live_server: LiveServer,
    sales_agent: User,
    screenshots: Path,
    browser_problems: list[str],
) -> None:
    sign_in(page, live_server, "sofia")
    page.get_by_label("Company name, domain, username or a user's name").fill("Contoso")
    page.get_by_role("button", name="Search").click()
    expect(page).to_have_url(f"{live_server.url}/search/?q=Contoso")
    expect(page.get_by_role("heading", level=1)).to_have_text("Search")
    expect(page.get_by_role("heading", name=re.compile(r"^Customers \(\d+\)$"))).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile(r"^Users \(\d+\)$"))).to_be_visible()
    assert_accessible(page)
    page.screenshot(path=screenshots / "search.png", full_page=True)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Customers").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Customers")
    assert_accessible(page)
    page.screenshot(path=screenshots / "customers.png", full_page=True)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Audit log").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit log")
    page.screenshot(path=screenshots / "audit-log.png", full_page=True)
    assert browser_problems == []


@pytest.mark.django_db(databases=["default", "sandbox"])
def test_htmx_refresh_swaps_the_panels_and_an_expired_session_goes_to_sign_in(
    page: Page, live_server: LiveServer, helpdesk_agent: User, browser_problems: list[str]
) -> None:
    sign_in(page, live_server, "hugo")
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    with page.expect_response(f"{live_server.url}/") as refresh:
        page.get_by_role("link", name="Refresh").click()
    assert refresh.value.request.headers.get("hx-request") == "true"
    # The CSRF header set once on <body> rides along with every htmx request.
    assert refresh.value.request.headers.get("x-csrftoken")
    # A partial swap: the page was not reloaded, the panels are still there exactly once.
    expect(page.locator("#dashboard-panels")).to_have_count(1)
    expect(page).to_have_url(f"{live_server.url}/")

    page.context.clear_cookies()
    page.get_by_role("link", name="Refresh").click()
    # htmx follows HX-Redirect with a full page load, instead of swapping the sign-in form in.
    expect(page).to_have_url(f"{live_server.url}/sign-in/?next=/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.locator("#dashboard-panels")).to_have_count(0)
    assert browser_problems == []


@pytest.mark.django_db(databases=["default", "sandbox"])
def test_the_skip_link_is_the_first_stop_and_moves_focus_to_the_content(
    page: Page, live_server: LiveServer, sales_agent: User
) -> None:
    sign_in(page, live_server, "sofia")
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()


@pytest.mark.django_db(databases=["default", "sandbox"])
def test_error_pages_in_the_portal_look(
    page: Page,
    live_server: LiveServer,
    no_role_staff: User,
    screenshots: Path,
) -> None:
    sign_in(page, live_server, "oscar")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account has no role yet")
    expect(page.get_by_text("Ask a superuser")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main")).to_have_count(0)
    assert_accessible(page)
    page.screenshot(path=screenshots / "403-no-role.png", full_page=True)

    response = page.goto(f"{live_server.url}/no-such-page/")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    assert_accessible(page)
    page.screenshot(path=screenshots / "404.png", full_page=True)


@pytest.mark.django_db(databases=["default", "sandbox"])
def test_the_layout_holds_on_a_narrow_screen(
    page: Page, live_server: LiveServer, helpdesk_agent: User, screenshots: Path
) -> None:
    page.set_viewport_size({"width": 420, "height": 800})
    sign_in(page, live_server, "hugo")
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    assert_accessible(page)
    page.screenshot(path=screenshots / "dashboard-narrow.png", full_page=True)


@pytest.mark.django_db(databases=["default", "sandbox"])
def test_everything_works_without_javascript(
    browser: Browser, live_server: LiveServer, helpdesk_agent: User
) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        sign_in(page, live_server, "hugo")
        expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
        # Without htmx, Refresh is a plain link that reloads the whole page.
        page.get_by_role("link", name="Refresh").click()
        expect(page).to_have_url(f"{live_server.url}/")
        expect(page.locator("#dashboard-panels")).to_have_count(1)
        page.get_by_label("Company name, domain, username or a user's name").fill("contoso")
        page.get_by_role("button", name="Search").click()
        expect(page).to_have_url(f"{live_server.url}/search/?q=contoso")
        expect(page.get_by_role("heading", name=re.compile(r"^Users \(\d+\)$"))).to_be_visible()
        page.get_by_role("button", name="Sign out").click()
        expect(page).to_have_url(f"{live_server.url}/sign-in/")
    finally:
        context.close()
