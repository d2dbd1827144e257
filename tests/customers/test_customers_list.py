"""The dashboard's numbers and search, and the customers list with its search, paging, Refresh."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone
from django.utils.http import urlencode

from customers.directory.models import DirectoryUser
from customers.directory.user_queries import users_of
from portal.audit.records import Action, Actor, audit_record
from portal.partnercenter import Unavailable
from portal.sandbox import seed_plan
from tests.customers.conftest import SandboxCalls
from tests.directory_data import synced

pytestmark = [
    pytest.mark.django_db(databases=["default", "sandbox"]),
    pytest.mark.usefixtures("seeded_sandbox", "cold_cache"),
]

CONTOSO = str(seed_plan.CUSTOM_DOMAIN_CUSTOMER_ID)
HTMX = {"HX-Request": "true"}


def unavailable(**kwargs: object) -> None:
    raise Unavailable("Service unavailable", status=503, correlation_id="corr-down")


def company_links(page: str) -> list[str]:
    return re.findall(r'<td><a href="/customers/[0-9a-f-]+/">([^<]+)</a></td>', page)


def row_of(page: str, company: str) -> str:
    """The customers list's row of one company, as text."""
    match = re.search(rf"<tr>\s*<td><a [^>]+>{re.escape(company)}</a></td>(.*?)</tr>", page, re.S)
    assert match, f"no row for {company}"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(1))).strip()


# --- Dashboard ------------------------------------------------------------------------------


def test_the_dashboard_counts_the_customers_and_shows_recent_activity(
    client: Client, helpdesk_agent: User
) -> None:
    audit_record(
        actor=Actor(helpdesk_agent, "hugo"),
        action=Action.USERS_EXPORT,
        succeeded=True,
        customer_id=CONTOSO,
        customer_name="Contoso Ltd",
    )
    client.force_login(helpdesk_agent)
    page = client.get("/").content.decode()
    assert f'<span class="stat-number">{len(seed_plan.CUSTOMERS)}</span> customers' in page
    assert "Exported users" in page
    assert f'<a href="/customers/{CONTOSO}/">Contoso Ltd</a> · hugo' in page
    assert " UTC</time>" in page


def test_the_dashboard_stays_useful_when_partner_center_is_down(
    client: Client, sales_agent: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("customers.views.home.customers_ensure", unavailable)
    client.force_login(sales_agent)
    response = client.get("/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Partner Center is not answering right now." in page
    assert "corr-down" in page
    assert 'id="dashboard-search"' in page


def test_a_name_or_domain_lists_the_customers_that_match(client: Client, sales_agent: User) -> None:
    client.force_login(sales_agent)
    page = client.get("/search/", {"q": "Contoso"}).content.decode()
    assert f'<a href="/customers/{CONTOSO}/">Contoso Ltd</a>' in page
    # A custom domain finds the customer that owns it (once its domains were read).
    synced(CONTOSO)
    by_domain = client.get("/search/", {"q": " contoso.com "}).content.decode()
    assert f'<a href="/customers/{CONTOSO}/">Contoso Ltd</a>' in by_domain
    assert client.get("/search/", {"q": ""})["Location"] == "/"


def test_the_users_a_search_finds_link_to_their_pages_or_their_deleted_tab(
    client: Client, sales_agent: User
) -> None:
    contoso = synced(CONTOSO)
    active = users_of(contoso).order_by("display_key")[0]
    deleted = users_of(contoso, state=DirectoryUser.DELETED).order_by("display_key")[0]
    assert deleted.deleted_at is not None
    client.force_login(sales_agent)
    page = client.get("/search/", {"q": active.user_principal_name.split("@")[0]}).content
    row = _found_row(page.decode(), active.user_principal_name)
    assert (
        f'<a href="/customers/{CONTOSO}/users/{active.user_id}/">{active.display_name}</a>' in row
    )
    assert f'<a href="/customers/{CONTOSO}/">Contoso Ltd</a>' in row
    assert "<td>Active</td>" in row
    page = client.get("/search/", {"q": deleted.user_principal_name.split("@")[0]}).content
    row = _found_row(page.decode(), deleted.user_principal_name)
    search = urlencode({"q": deleted.user_principal_name})
    when = timezone.localtime(deleted.deleted_at).strftime("%-d %b %Y")
    assert f'<a href="/customers/{CONTOSO}/deleted/?{search}">Deleted</a> {when}' in row
    assert f"<tr><td>{deleted.display_name}</td>" in row  # a deleted user has no page to open


def _found_row(page: str, username: str) -> str:
    match = re.search(rf"(<tr><td>(?:(?!</tr>).)*?<td>{re.escape(username)}</td>.*?</tr>)", page)
    assert match, f"{username} is not listed"
    return match.group(1)


def test_a_username_lands_on_that_user_in_any_case(client: Client, sales_agent: User) -> None:
    client.force_login(sales_agent)
    user = users_of(synced(CONTOSO)).order_by("display_key")[5]
    response = client.get("/search/", {"q": user.user_principal_name.upper()})
    assert response["Location"] == f"/customers/{CONTOSO}/users/{user.user_id}/"


def test_an_unknown_username_names_its_customer(client: Client, sales_agent: User) -> None:
    synced(CONTOSO)
    client.force_login(sales_agent)
    page = client.get("/search/", {"q": f"nobody@{seed_plan.CUSTOM_DOMAIN}"}).content.decode()
    assert f"No active user has the username nobody@{seed_plan.CUSTOM_DOMAIN}." in page
    assert f'<a href="/customers/{CONTOSO}/">Contoso Ltd</a>' in page


def test_a_username_at_an_unknown_domain_says_so(client: Client, sales_agent: User) -> None:
    client.force_login(sales_agent)
    page = client.get("/search/", {"q": "ana@unknown.example"}).content.decode()
    assert "No customer has the domain unknown.example." in page


def test_a_failed_customers_read_still_searches_what_is_mirrored(
    client: Client, sales_agent: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced(CONTOSO)
    monkeypatch.setattr("customers.views.home.customers_ensure", unavailable)
    client.force_login(sales_agent)
    page = client.get("/search/", {"q": "contoso"}).content.decode()
    assert "Partner Center is not answering right now." in page
    assert f'<a href="/customers/{CONTOSO}/">Contoso Ltd</a>' in page


# --- Customers list -------------------------------------------------------------------------


def test_the_customers_list_shows_every_customer_by_name_with_links(
    client: Client, sales_agent: User
) -> None:
    client.force_login(sales_agent)
    page = client.get("/customers/").content.decode()
    names = company_links(page)
    assert names == sorted((plan.company_name for plan in seed_plan.CUSTOMERS), key=str.casefold)
    assert f'<td><a href="/customers/{CONTOSO}/">Contoso Ltd</a></td>' in page
    assert f"1–{len(names)} of {len(names)}" in page
    # Never read yet: no counts, access unknown; then read (one sync), and Adatum's refusal.
    assert row_of(page, "Contoso Ltd") == "contoso.onmicrosoft.com — — Not read yet Not read yet"
    synced(CONTOSO)
    client.get(f"/customers/{seed_plan.NO_ACCESS_CUSTOMER_ID}/")
    page = client.get("/customers/").content.decode()
    assert row_of(page, "Contoso Ltd").startswith("contoso.onmicrosoft.com 48 6 Yes less than")
    assert "No delegated access" in row_of(page, "Adatum Corporation")


def test_the_customers_list_searches_name_or_domain_in_any_case(
    client: Client, sales_agent: User
) -> None:
    client.force_login(sales_agent)
    assert company_links(client.get("/customers/", {"q": "TRADERS"}).content.decode()) == [
        "Northwind Traders"
    ]
    by_domain = client.get("/customers/", {"q": "tailspintoys.onmicrosoft"}).content.decode()
    assert company_links(by_domain) == ["Tailspin Toys"]
    none = client.get("/customers/", {"q": "<b>nobody"}).content.decode()
    assert "No customer's name or domains contain “&lt;b&gt;nobody”." in none
    synced(CONTOSO)  # its custom domain is known once it was read
    assert company_links(client.get("/customers/", {"q": "CONTOSO.COM"}).content.decode()) == [
        "Contoso Ltd"
    ]


def test_an_htmx_search_returns_only_the_rows(client: Client, sales_agent: User) -> None:
    client.force_login(sales_agent)
    response = client.get("/customers/", {"q": "contoso"}, headers=HTMX)
    page = response.content.decode()
    assert page.lstrip().startswith('<section id="customer-results"')
    assert "<html" not in page
    assert company_links(page) == ["Contoso Ltd"]


def test_the_customers_list_pages(
    client: Client, sales_agent: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("customers.views.listing.PAGE_SIZE", 3)
    client.force_login(sales_agent)
    page = client.get("/customers/", {"page": 2}).content.decode()
    assert len(company_links(page)) == 3
    assert f"4–6 of {len(seed_plan.CUSTOMERS)}" in page
    assert 'href="/customers/?page=3" hx-get="/customers/?page=3" rel="next"' in page
    assert 'href="/customers/?page=1" hx-get="/customers/?page=1" rel="prev"' in page
    out_of_range = client.get("/customers/", {"page": 99}).content.decode()
    assert f"7–{len(seed_plan.CUSTOMERS)} of" in out_of_range


def test_refresh_reads_the_customers_list_again(
    client: Client, sales_agent: User, sandbox_calls: SandboxCalls
) -> None:
    client.force_login(sales_agent)
    client.get("/customers/")
    warm = sandbox_calls.count
    client.get("/customers/", {"q": "con"})
    assert sandbox_calls.since(warm) == 0  # served from the directory
    response = client.post("/customers/refresh/", {"q": "con"})
    assert response["Location"] == "/customers/?q=con"
    assert sandbox_calls.since(warm) > 0
    assert client.get("/customers/refresh/").status_code == 405


def test_the_customers_list_explains_a_partner_center_failure(
    client: Client, sales_agent: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("customers.views.listing.customers_ensure", unavailable)
    client.force_login(sales_agent)
    response = client.get("/customers/", {"q": "x"})
    assert response.status_code == 503
    page = response.content.decode()
    assert "Partner Center is not answering right now." in page
    assert "corr-down" in page
    assert '<a href="/customers/?q=x">Try again</a>' in page


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/"),
        ("get", "/search/?q=a"),
        ("get", "/customers/"),
        ("post", "/customers/refresh/"),
    ],
)
def test_these_pages_need_a_signed_in_member_with_a_role(
    client: Client, no_role_staff: User, method: str, url: str
) -> None:
    anonymous = getattr(client, method)(url)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/sign-in/?next=")
    client.force_login(no_role_staff)
    assert getattr(client, method)(url).status_code == 403
