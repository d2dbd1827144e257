"""The dashboard and the shared page furniture (tabs, navigation, 403/404)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.template.loader import render_to_string
from django.test import Client

from portal.web.ui import Tab

pytestmark = [
    pytest.mark.django_db(databases=["default", "sandbox"]),
    pytest.mark.usefixtures("seeded_sandbox", "cold_cache"),
]


def test_the_dashboard_has_the_search_box_and_the_panels(
    client: Client, helpdesk_agent: User
) -> None:
    client.force_login(helpdesk_agent)
    response = client.get("/")
    assert response.status_code == 200
    page = response.content.decode()
    assert '<form method="get" action="/search/"' in page
    assert '<label for="dashboard-search"' in page
    for heading in ("Customers", "Recent activity", "Bulk uploads"):
        assert f">{heading}</h2>" in page
    assert "<h1>Dashboard</h1>" in page


def test_the_dashboard_marks_itself_current_in_the_navigation(
    client: Client, sales_agent: User
) -> None:
    client.force_login(sales_agent)
    page = client.get("/").content.decode()
    assert 'href="/" aria-current="page"' in page
    assert 'href="/customers/" aria-current="page"' not in page
    assert "Hugo" not in page  # only the signed-in member is named
    assert "Sofia Marin" in page
    assert "Sales agent" in page


def test_an_htmx_refresh_returns_only_the_panels(client: Client, sales_agent: User) -> None:
    client.force_login(sales_agent)
    response = client.get("/", headers={"HX-Request": "true"})
    page = response.content.decode()
    assert page.lstrip().startswith('<div id="dashboard-panels"')
    assert "<html" not in page
    assert "Recent activity" in page


def test_the_search_box_lands_on_the_customers_list(client: Client, sales_agent: User) -> None:
    client.force_login(sales_agent)
    response = client.get("/customers/", {"q": "  Contoso <b>  "})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'value="Contoso &lt;b&gt;"' in page
    assert 'href="/customers/" aria-current="page"' in page


def test_the_audit_log_placeholder_is_reachable_from_the_navigation(
    client: Client, sales_agent: User
) -> None:
    client.force_login(sales_agent)
    response = client.get("/audit/")
    assert response.status_code == 200
    assert 'href="/audit/" aria-current="page"' in response.content.decode()


def test_an_unknown_address_gets_the_portal_404_page(client: Client, sales_agent: User) -> None:
    client.force_login(sales_agent)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "Page not found" in page
    assert "Partner Portal" in page


def test_tabs_are_links_with_the_current_one_marked() -> None:
    html = render_to_string(
        "portal/tabs.html",
        {
            "label": "Customer",
            "tabs": [
                Tab("Users and licenses", "/c/1/users/", current=True),
                Tab("Deleted users (2)", "/c/1/users/deleted/"),
            ],
        },
    )
    assert '<nav class="portal-tabs" aria-label="Customer">' in html
    assert '<a href="/c/1/users/" aria-current="page">Users and licenses</a>' in html
    assert '<a href="/c/1/users/deleted/">Deleted users (2)</a>' in html


# --- Who may see it (portal.staff.access through the test client) -------------------------------


def test_a_member_without_role_gets_a_403_page_that_says_whom_to_ask(
    client: Client, no_role_staff: User
) -> None:
    client.force_login(no_role_staff)
    response = client.get("/")
    assert response.status_code == 403
    page = response.content.decode()
    assert "Your account has no role yet" in page
    assert "Ask a superuser to give you a role" in page
    # They see nothing: no navigation into the portal.
    assert 'aria-label="Main"' not in page


@pytest.mark.parametrize("member", ["admin_agent", "helpdesk_agent", "sales_agent", "superuser"])
def test_every_role_may_view_the_dashboard(
    member: str, client: Client, request: pytest.FixtureRequest
) -> None:
    client.force_login(request.getfixturevalue(member))
    assert client.get("/").status_code == 200
