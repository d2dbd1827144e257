"""What only a browser can break in the answers shown once and the changes that ask first:

- Add user's password in the modal: focus is taken to it; a stray Esc or a click on the backdrop
  asks before throwing it away; once copied it closes without asking; closing refreshes the list.
- Granting a privileged directory role asks first, naming the role and the user; "no" sends
  nothing.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Browser, Dialog, Locator, Page, expect
from pytest_django.live_server_helper import LiveServer

from portal.models import AuditRecord
from portal.sandbox import seed_plan
from portal.sandbox.models import CustomerUser
from tests.e2e.test_customers import http_errors
from tests.e2e.test_layout import assert_accessible, sign_in

pytestmark = [
    pytest.mark.django_db(transaction=True, databases=["default", "sandbox"]),
    pytest.mark.usefixtures("live_sandbox"),
]

CONTOSO = str(seed_plan.CUSTOM_DOMAIN_CUSTOMER_ID)


def _add_a_user(page: Page, alias: str) -> None:
    page.get_by_role("link", name="Add user").click()
    dialog = page.get_by_role("dialog", name="Add user to Contoso Ltd")
    dialog.get_by_label("First name").fill("Nora")
    dialog.get_by_label("Last name").fill(alias.title())
    dialog.get_by_label("Username").fill(alias)
    dialog.get_by_role("button", name="Save").click()
    expect(dialog.get_by_text("It won't be available later")).to_be_visible()


def _answer_the_next_prompt(page: Page, asked: list[str], *, accept: bool) -> None:
    """The next confirm() is noted in `asked`, then accepted or dismissed."""

    def handle(prompt: Dialog) -> None:
        asked.append(prompt.message)
        if accept:
            prompt.accept()
        else:
            prompt.dismiss()

    page.once("dialog", handle)


def _closing_asks_first(page: Page, dialog: Locator, asked: list[str], screenshots: Path) -> None:
    """Esc, then a click on the backdrop: each asks, and "no" keeps the password on screen."""
    _answer_the_next_prompt(page, asked, accept=False)
    page.keyboard.press("Escape")
    expect(dialog).to_be_visible()
    _answer_the_next_prompt(page, asked, accept=False)
    page.mouse.click(5, 300)
    expect(dialog).to_be_visible()
    assert asked == ["The password will not be shown again. Close anyway?"] * 2
    page.screenshot(path=screenshots / "user-add-password-guarded.png")


def _yes_closes_and_refreshes_the_list(
    page: Page, dialog: Locator, results: Locator, asked: list[str]
) -> None:
    """Answering "yes" closes it, and the list behind now shows the new user."""
    _answer_the_next_prompt(page, asked, accept=True)
    dialog.get_by_role("button", name="Close").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(results.get_by_role("link", name="Nora Nora.One")).to_be_visible()
    assert len(asked) == 3


def _once_copied_closing_does_not_ask(page: Page, results: Locator, asked: list[str]) -> None:
    """Copied (by hand, Ctrl+C in the field): closing does not ask."""
    _add_a_user(page, "nora.two")
    dialog = page.get_by_role("dialog")
    expect(dialog.locator("#temporary-password")).to_be_focused()
    page.keyboard.press("Control+C")
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)
    assert len(asked) == 3
    expect(results.get_by_role("link", name="Nora Nora.Two")).to_be_visible()


def test_the_add_user_password_is_focused_guarded_and_the_list_refreshed(
    page: Page, live_server: LiveServer, admin_agent: User, screenshots: Path
) -> None:
    problems = http_errors(page)
    sign_in(page, live_server, "amara")
    page.goto(f"{live_server.url}/customers/{CONTOSO}/?q=nora")
    results = page.locator("#users-results")
    expect(results).to_contain_text("No user matches “nora”")

    _add_a_user(page, "nora.one")
    dialog = page.get_by_role("dialog")
    password = dialog.locator("#temporary-password")
    expect(password).to_be_focused()  # keyboard and screen-reader users land on it

    asked: list[str] = []
    _closing_asks_first(page, dialog, asked, screenshots)
    _yes_closes_and_refreshes_the_list(page, dialog, results, asked)
    _once_copied_closing_does_not_ask(page, results, asked)
    assert problems == []


def _no_sends_nothing(
    page: Page, plain: CustomerUser, original: str, user_url: str, asked: list[str]
) -> None:
    """Submit, asked naming the role and the user; "no" sends nothing."""
    _answer_the_next_prompt(page, asked, accept=False)
    page.get_by_role("button", name="Submit").click()
    expect(page).to_have_url(user_url)
    assert len(asked) == 1
    assert asked[0].startswith(f"Give {original} the privileged role Global Administrator?")
    plain.refresh_from_db()
    assert plain.display_name == original  # nothing was sent
    assert not plain.role_members.exists()


def _yes_gives_the_role(page: Page, plain: CustomerUser, original: str, asked: list[str]) -> None:
    """Submit, asked again; "yes" gives the role, saves the name and records the change."""
    _answer_the_next_prompt(page, asked, accept=True)
    page.get_by_role("button", name="Submit").click()
    expect(
        page.get_by_role("status").filter(has_text="Gave the privileged role Global Administrator.")
    ).to_be_visible()
    assert plain.role_members.get().role.name == "Global Administrator"
    plain.refresh_from_db()
    assert plain.display_name == f"{original} (IT)"
    record = AuditRecord.objects.get(action="user_roles_change")
    assert record.changes == {"added": ["Global Administrator"], "privileged": True}
    assert_accessible(page)


def _without_javascript_the_server_asks(
    browser: Browser, live_server: LiveServer, plain: CustomerUser, screenshots: Path
) -> None:
    """Without JavaScript: the server's own confirmation step names the role and the user (axe
    needs script, so the step is checked by its screenshot)."""
    no_script = browser.new_context(java_script_enabled=False)
    bare = no_script.new_page()
    sign_in(bare, live_server, "amara")
    other = (
        CustomerUser.objects.filter(
            customer_id=CONTOSO, state=CustomerUser.ACTIVE, role_members__isnull=True
        )
        .exclude(pk=plain.pk)
        .first()
    )
    assert other is not None
    bare.goto(f"{live_server.url}/customers/{CONTOSO}/users/{other.pk}/")
    bare.get_by_label("User Administrator").check()
    bare.get_by_role("button", name="Submit").click()
    expect(bare.get_by_text("Confirm a privileged role.")).to_be_visible()
    expect(bare.get_by_text(f"You are about to give {other.display_name}")).to_be_visible()
    assert not other.role_members.exists()
    bare.screenshot(path=screenshots / "privileged-role-confirm.png", full_page=True)
    bare.get_by_role("button", name="Yes, give User Administrator").click()
    expect(bare.get_by_text("Gave the privileged role User Administrator.")).to_be_visible()
    assert other.role_members.get().role.name == "User Administrator"
    no_script.close()


def test_granting_a_privileged_role_asks_naming_the_role_and_the_user(
    page: Page,
    browser: Browser,
    live_server: LiveServer,
    admin_agent: User,
    screenshots: Path,
) -> None:
    sign_in(page, live_server, "amara")
    plain = CustomerUser.objects.filter(
        customer_id=CONTOSO, state=CustomerUser.ACTIVE, role_members__isnull=True
    ).first()
    assert plain is not None
    user_url = f"{live_server.url}/customers/{CONTOSO}/users/{plain.pk}/"
    page.goto(user_url)
    page.get_by_label("Global Administrator").check()
    original = plain.display_name
    page.get_by_label("Display name").fill(f"{original} (IT)")
    asked: list[str] = []
    _no_sends_nothing(page, plain, original, user_url, asked)
    _yes_gives_the_role(page, plain, original, asked)
    _without_javascript_the_server_asks(browser, live_server, plain, screenshots)
