"""The customer page: Users and licenses, Deleted users (N), the first read, Refresh, Export —
all from the directory."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries
from pytest_django.fixtures import Settings

from customers.directory.background import sync_customer_task
from customers.directory.customer_queries import customer_get, skus_of
from customers.directory.models import DirectoryCustomer, DirectoryUser
from customers.directory.rows import index_words, user_row
from customers.directory.text import fold
from customers.directory.user_queries import users_of
from customers.directory.writes import licenses_write
from customers.services import DeletedLine
from portal.audit.records import Action
from portal.models import AuditRecord
from portal.partnercenter import CustomerUser, Throttled, Unavailable
from portal.sandbox import seed_plan
from tests.conftest import downloaded
from tests.customers.conftest import SandboxCalls
from tests.directory_data import synced

pytestmark = [
    pytest.mark.django_db(databases=["default", "sandbox"]),
    pytest.mark.usefixtures("seeded_sandbox", "cold_cache"),
]

CONTOSO = str(seed_plan.CUSTOM_DOMAIN_CUSTOMER_ID)
TAILSPIN = str(seed_plan.LARGE_CUSTOMER_ID)
ADATUM = str(seed_plan.NO_ACCESS_CUSTOMER_ID)
LUCERNE = str(seed_plan.MANY_DELETED_CUSTOMER_ID)
HTMX = {"HX-Request": "true"}


def users_url(customer_id: str) -> str:
    return f"/customers/{customer_id}/"


def active(customer: DirectoryCustomer) -> list[DirectoryUser]:
    return list(users_of(customer).order_by("display_key", "upn_key"))


def sync_state_of(customer_id: str) -> str:
    """Where the customer's read stands in the directory now."""
    customer = customer_get(customer_id)
    assert customer is not None
    return customer.sync_state


def row_names(page: str) -> list[str]:
    """The display names in the users table, in order."""
    return re.findall(r'<td><a href="/customers/[^"]+/users/[^"]+/">([^<]+)</a></td>', page)


# --- Users and licenses ---------------------------------------------------------------------


def test_the_users_list_asks_the_database_a_few_small_questions(
    client: Client, superuser: User, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    """The session; the staff member with their Microsoft account and "signed out everywhere"
    time (one query); the customer (with how many users' licenses are known); the page; its
    SKUs and roles with the page's licenses (one query); the states of the customer's jobs
    (none: past uploads and scheduled changes are not read at all). Filtered by a license, the
    list is counted too, from the license's holders."""
    mirror = synced(CONTOSO)
    client.force_login(superuser)
    assert client.get(users_url(CONTOSO)).status_code == 200
    with django_assert_num_queries(6):
        response = client.get(users_url(CONTOSO))
    assert response.status_code == 200
    assert f"1–{min(50, mirror.users_count)} of {mirror.users_count}" in response.content.decode()
    sku = skus_of(mirror)[0].id
    held = active(mirror)[:3]
    licenses_write(mirror, {user.user_id: [sku] for user in held}, read_at=timezone.now())
    filtered = f"{users_url(CONTOSO)}?license={sku}"
    with django_assert_num_queries(7):
        page = client.get(filtered).content.decode()
    assert "1–3 of 3" in page
    assert len(row_names(page)) == 3
    assert all(f'href="/customers/{CONTOSO}/users/{user.user_id}/"' in page for user in held)


def test_the_users_tab_lists_the_mirror_with_roles_age_and_both_tabs(
    client: Client, helpdesk_agent: User
) -> None:
    client.force_login(helpdesk_agent)
    response = client.get(users_url(CONTOSO))  # never read: the sync runs (inline in tests)
    assert response.status_code == 200
    page = response.content.decode()
    mirror = customer_get(CONTOSO)
    assert mirror is not None and mirror.mirrored
    assert "<h1>Contoso Ltd</h1>" in page
    assert "<title>Contoso Ltd · Users and licenses · Partner Portal</title>" in page
    assert '<a href="/customers/">Customers</a>' in page  # breadcrumbs
    assert f'<a href="/customers/{CONTOSO}/" aria-current="page">Users and licenses</a>' in page
    assert f">Deleted users ({mirror.deleted_count})</a>" in page
    assert "Updated less than a minute ago" in page
    admin = next(user for user in active(mirror) if user.roles)
    assert f'href="/customers/{CONTOSO}/users/{admin.user_id}/"' in page
    assert f"<td>{admin.roles}</td>" in page
    assert "United States" in page  # the location by name
    assert f"1–{min(50, mirror.users_count)} of {mirror.users_count}" in page
    # By name, accents aside (Søren before Sven), as the directory folds them.
    assert row_names(page) == sorted(row_names(page), key=fold)


def test_search_matches_the_start_of_any_word_of_a_name_or_username_in_any_case(
    client: Client, sales_agent: User
) -> None:
    client.force_login(sales_agent)
    mirror = synced(CONTOSO)
    target = next(user for user in active(mirror) if " " in user.display_name)
    first, last = target.display_name.split(" ", 1)
    page = client.get(users_url(CONTOSO), {"q": f"{first[:3].upper()} {last[:2]}"}).content
    assert target.display_name in row_names(page.decode())
    expected = users_of(mirror, search=f"{first[:3]} {last[:2]}").count()
    assert len(row_names(page.decode())) == expected

    by_username = target.user_principal_name.split("@")[0].upper()
    assert target.display_name in row_names(
        client.get(users_url(CONTOSO), {"q": by_username}).content.decode()
    )
    nothing = client.get(users_url(CONTOSO), {"q": "no such person"}).content.decode()
    assert "No user matches “no such person”" in nothing


def test_an_htmx_search_returns_only_the_results(client: Client, sales_agent: User) -> None:
    client.force_login(sales_agent)
    synced(CONTOSO)
    response = client.get(
        users_url(CONTOSO), {"q": "a"}, headers={**HTMX, "HX-Target": "users-results"}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert page.lstrip().startswith('<section id="users-results"')
    assert "<html" not in page
    assert "Deleted users (" not in page  # the tabs are not part of it


def test_columns_sort_both_ways_and_the_header_says_which(
    client: Client, sales_agent: User
) -> None:
    client.force_login(sales_agent)
    mirror = synced(CONTOSO)
    page = client.get(users_url(CONTOSO), {"sort": "username", "dir": "desc"}).content.decode()
    usernames = re.findall(r"<td>([^<@]+@[^<]+)</td>", page)
    expected = sorted((u.user_principal_name for u in active(mirror)), key=str.casefold)[::-1]
    assert usernames == expected[: len(usernames)]
    assert 'aria-sort="descending"' in page
    # The header now offers ascending order again, keeping nothing else.
    assert f'href="/customers/{CONTOSO}/?sort=username"' in page

    by_location = client.get(users_url(CONTOSO), {"sort": "location"}).content.decode()
    assert 'aria-sort="ascending"' in by_location
    assert f'href="/customers/{CONTOSO}/?sort=location&amp;dir=desc"' in by_location

    by_roles = client.get(users_url(CONTOSO), {"sort": "roles", "dir": "desc"}).content.decode()
    roles = re.findall(r"<td>([A-Z][a-z]+ (?:Administrator|Reader)[^<]*)</td>", by_roles)
    assert roles and roles == sorted(roles, key=str.casefold, reverse=True)


def test_the_5000_user_customer_pages_by_50_and_a_warm_view_costs_no_call(
    client: Client, admin_agent: User, sandbox_calls: SandboxCalls
) -> None:
    client.force_login(admin_agent)
    synced(TAILSPIN)
    client.get("/customers/")
    before = sandbox_calls.count
    page = client.get(users_url(TAILSPIN), {"page": "2", "q": "a"}).content.decode()
    first = client.get(users_url(TAILSPIN)).content.decode()
    last = client.get(users_url(TAILSPIN), {"page": "100", "sort": "location"}).content.decode()
    assert sandbox_calls.since(before) == 0
    assert "1–50 of 5,000" in first
    assert len(row_names(first)) == 50
    assert re.search(r"51–100 of [\d,]+", page)
    assert f'href="/customers/{TAILSPIN}/?q=a&amp;page=3"' in page  # Next keeps the search
    assert "Page 2 of" in page
    assert "4,951–5,000 of 5,000" in last and len(row_names(last)) == 50


# --- The first read of a customer -----------------------------------------------------------


def test_a_customer_never_read_shows_progress_that_polls_every_2s(
    client: Client, sales_agent: User, no_directory_worker: None
) -> None:
    client.force_login(sales_agent)
    response = client.get(users_url(TAILSPIN))
    assert response.status_code == 200
    page = response.content.decode()
    assert "<progress" in page
    assert f'hx-get="/customers/{TAILSPIN}/loading/?tab=users"' in page
    assert 'hx-trigger="every 2s"' in page
    assert 'hx-select="#customer-page"' in page
    # Without JavaScript the page reloads itself towards the loading URL.
    assert (
        f'<noscript><meta http-equiv="refresh" content="2; url=/customers/{TAILSPIN}/loading/'
        '?tab=users"></noscript>' in page
    )
    assert ">Deleted users</a>" in page  # no count until the mirror is there


def test_the_loading_url_polls_until_the_list_is_there_then_stops(
    client: Client, sales_agent: User, no_directory_worker: None
) -> None:
    client.force_login(sales_agent)
    client.get(users_url(TAILSPIN))  # asks for the sync (queued, not run)
    loading = f"/customers/{TAILSPIN}/loading/?tab=users"

    polled = client.get(loading, headers=HTMX)
    assert polled.status_code == 200
    assert 'hx-trigger="every 2s"' in polled.content.decode()
    plain = client.get(loading)
    assert plain.status_code == 200
    assert plain["Refresh"] == "2"
    assert "<noscript>" not in plain.content.decode()  # the header does it here

    DirectoryCustomer.objects.filter(tenant_id=TAILSPIN).update(
        sync_state=DirectoryCustomer.SYNC_RUNNING,
        sync_heartbeat_at=timezone.now(),
        sync_users_read=1500,
    )
    assert "1,500 users read so far." in client.get(loading, headers=HTMX).content.decode()

    DirectoryCustomer.objects.filter(tenant_id=TAILSPIN).update(
        sync_state=DirectoryCustomer.SYNC_QUEUED
    )
    sync_customer_task.call(TAILSPIN, False)  # the worker's job, done here
    done = client.get(loading, headers=HTMX)
    assert done.status_code == 286  # htmx stops polling and swaps the list in
    page = done.content.decode()
    assert 'id="customer-page"' in page
    assert "1–50 of 5,000" in page
    mirror = customer_get(TAILSPIN)
    assert mirror is not None
    assert f"Deleted users ({mirror.deleted_count})" in page
    assert "every 2s" not in page

    finished = client.get(loading)
    assert finished.status_code == 302
    assert finished["Location"] == f"/customers/{TAILSPIN}/"
    deleted = client.get(f"/customers/{TAILSPIN}/loading/?tab=deleted")
    assert deleted["Location"] == f"/customers/{TAILSPIN}/deleted/"


def test_a_failed_first_read_shows_the_error_its_correlation_id_and_a_way_to_try_again(
    client: Client, sales_agent: User, no_directory_worker: None
) -> None:
    client.force_login(sales_agent)
    client.get("/customers/")
    DirectoryCustomer.objects.filter(tenant_id=TAILSPIN).update(
        sync_state=DirectoryCustomer.SYNC_FAILED,
        sync_error="Partner Center is not answering right now.",
        sync_correlation_id="corr-failed-load",
    )
    loading = f"/customers/{TAILSPIN}/loading/?tab=users"
    polled = client.get(loading, headers=HTMX)
    assert polled.status_code == 286
    page = polled.content.decode()
    assert "Partner Center is not answering right now." in page
    assert "corr-failed-load" in page
    assert f'<a href="/customers/{TAILSPIN}/">Try again</a>' in page

    plain = client.get(loading)
    assert plain.status_code == 502
    assert "Refresh" not in plain
    # Looking again does not quietly start another read: Refresh does.
    again = client.get(users_url(TAILSPIN))
    assert again.status_code == 502
    assert sync_state_of(TAILSPIN) == DirectoryCustomer.SYNC_FAILED
    client.post(f"/customers/{TAILSPIN}/refresh/")
    assert sync_state_of(TAILSPIN) == DirectoryCustomer.SYNC_QUEUED


def test_an_old_mirror_is_shown_while_it_is_read_again(
    client: Client, sales_agent: User, no_directory_worker: None, settings: Settings
) -> None:
    client.force_login(sales_agent)
    mirror = synced(CONTOSO)
    DirectoryCustomer.objects.filter(pk=mirror.pk).update(
        synced_at=timezone.now() - timedelta(seconds=settings.PORTAL_DIRECTORY_TTL + 60)
    )
    page = client.get(users_url(CONTOSO)).content.decode()
    assert "1–" in page and "<progress" not in page  # the list, not a wait
    assert "reading again" in page
    assert sync_state_of(CONTOSO) == DirectoryCustomer.SYNC_QUEUED


# --- Deleted users (N) ----------------------------------------------------------------------


def test_deleted_users_soonest_purge_first_with_days_left_and_zoned_times(
    client: Client, helpdesk_agent: User, settings: Settings
) -> None:
    settings.TIME_ZONE = "Europe/Stockholm"
    client.force_login(helpdesk_agent)
    response = client.get(f"/customers/{CONTOSO}/deleted/")
    assert response.status_code == 200
    page = response.content.decode()
    mirror = customer_get(CONTOSO)
    assert mirror is not None
    n = mirror.deleted_count
    assert f'aria-current="page">Deleted users ({n})</a>' in page
    assert "<title>Contoso Ltd · Deleted users · Partner Portal</title>" in page
    usernames = re.findall(r"<td>([^<]+@[^<]+)</td>", page)
    assert usernames[0] == seed_plan.NEAR_PURGE_USERNAME  # deleted 29 days 20 hours ago
    assert len(usernames) == n
    rows = list(users_of(mirror, state=DirectoryUser.DELETED).order_by("deleted_at"))
    assert usernames == [row.user_principal_name for row in rows]
    assert "<td>1 <strong>(the last day)</strong></td>" in page
    near = DeletedLine.of(rows[0], timezone.now())
    local = timezone.localtime(near.purge_at)
    zone = local.tzname()
    assert zone is not None
    assert local.strftime("%-d %b %Y %H:%M ") + zone in page
    assert " CET</time>" in page
    other = DeletedLine.of(rows[-1], timezone.now())
    assert f"<td>{other.days_left}</td>" in page


def test_days_left_round_up_30_on_the_day_of_deletion_1_on_the_last(
    client: Client, helpdesk_agent: User
) -> None:
    now = timezone.now()
    row = DirectoryUser(deleted_at=now - timedelta(seconds=5))
    assert DeletedLine.of(row, now).days_left == 30
    row.deleted_at = now - timedelta(days=29, hours=23)
    assert DeletedLine.of(row, now).days_left == 1
    row.deleted_at = now - timedelta(days=30, minutes=1)
    assert DeletedLine.of(row, now).days_left == 0


def test_1500_deleted_users_page_and_search(client: Client, helpdesk_agent: User) -> None:
    client.force_login(helpdesk_agent)
    page = client.get(f"/customers/{LUCERNE}/deleted/").content.decode()
    assert "Deleted users (1,500)" in page or "Deleted users (1500)" in page
    assert "1–50 of 1,500" in page
    last = client.get(f"/customers/{LUCERNE}/deleted/", {"page": 30}).content.decode()
    assert "1,451–1,500 of 1,500" in last
    mirror = customer_get(LUCERNE)
    assert mirror is not None
    someone = users_of(mirror, state=DirectoryUser.DELETED).order_by("upn_key").first()
    assert someone is not None
    found = client.get(
        f"/customers/{LUCERNE}/deleted/", {"q": someone.user_principal_name.split("@")[0]}
    ).content.decode()
    assert someone.user_principal_name in found
    assert "of 1,500" not in found


# --- Refresh and Export ---------------------------------------------------------------------


def test_refresh_reads_the_customer_again_and_goes_back(
    client: Client, sales_agent: User, no_directory_worker: None
) -> None:
    client.force_login(sales_agent)
    synced(CONTOSO)
    back = f"/customers/{CONTOSO}/deleted/?q=ann"
    response = client.post(f"/customers/{CONTOSO}/refresh/", {"next": back})
    assert response.status_code == 302
    assert response["Location"] == back  # the search and the tab are kept
    assert sync_state_of(CONTOSO) == DirectoryCustomer.SYNC_QUEUED
    elsewhere = client.post(f"/customers/{CONTOSO}/refresh/", {"next": "https://evil.example/"})
    assert elsewhere["Location"] == f"/customers/{CONTOSO}/"
    assert client.get(f"/customers/{CONTOSO}/refresh/").status_code == 405


def add_a_formula_user(mirror: DirectoryCustomer) -> None:
    """A Global Administrator whose display name is a spreadsheet formula, indexed for search."""
    evil = user_row(
        mirror,
        mirror.generation,
        CustomerUser(
            id="00000000-0000-0000-0000-00000000beef",
            user_principal_name="formula@contoso.com",
            display_name='=HYPERLINK("http://x")',
        ),
        DirectoryUser.ACTIVE,
        roles=["Global Administrator"],
    )
    evil.save()

    index_words([evil])


def assert_only_the_formula_user_formula_safe(data: bytes) -> None:
    """The export: a BOM, the header, then only the formula user, its name made inert."""
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == [
        "Display name",
        "Username",
        "First name",
        "Last name",
        "Location",
        "Admin roles",
        "Licenses",
    ]
    assert rows[1:] == [
        [
            '\'=HYPERLINK("http://x")',
            "formula@contoso.com",
            "",
            "",
            "",
            "Global Administrator",
            "—, not read yet",
        ]
    ]


def test_export_downloads_the_matching_users_formula_safe_and_is_audited(
    client: Client, helpdesk_agent: User
) -> None:
    client.force_login(helpdesk_agent)
    mirror = synced(CONTOSO)
    add_a_formula_user(mirror)
    page = client.get(users_url(CONTOSO), {"q": "contoso"}).content.decode()
    assert 'form="users-export"' in page
    assert '<input type="hidden" name="q" value="contoso">' in page

    response = client.post(f"/customers/{CONTOSO}/export/", {"q": "FORMULA", "sort": "name"})
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert re.match(
        r'attachment; filename="users-contoso\.onmicrosoft\.com-\d{8}-\d{4}\.csv"',
        response["Content-Disposition"],
    )
    assert_only_the_formula_user_formula_safe(downloaded(response))
    record = AuditRecord.objects.get(action=Action.USERS_EXPORT)
    assert record.staff == helpdesk_agent
    assert record.customer_id == CONTOSO
    assert record.customer_name == "Contoso Ltd"
    assert record.message.startswith("Exported the users matching “FORMULA” as CSV")
    everyone = downloaded(client.post(f"/customers/{CONTOSO}/export/", {}))
    assert len(everyone.decode("utf-8-sig").splitlines()) == len(active(mirror)) + 1


def test_a_sales_agent_sees_no_export_and_a_crafted_export_is_refused(
    client: Client, sales_agent: User
) -> None:
    client.force_login(sales_agent)
    page = client.get(users_url(CONTOSO)).content.decode()
    assert "Export" not in page
    assert "users-export" not in page
    assert "Refresh</button>" in page
    assert client.post(f"/customers/{CONTOSO}/export/", {"q": ""}).status_code == 403
    assert not AuditRecord.objects.filter(action=Action.USERS_EXPORT).exists()


def test_export_while_the_users_are_loading_explains_and_sends_nothing(
    client: Client, admin_agent: User, no_directory_worker: None
) -> None:
    client.force_login(admin_agent)
    response = client.post(f"/customers/{TAILSPIN}/export/", {"q": "ann"}, follow=True)
    assert response.redirect_chain[0][0] == f"/customers/{TAILSPIN}/?q=ann"
    assert "The users are still being read. Export once the list is shown." in (
        response.content.decode()
    )
    assert not AuditRecord.objects.filter(action=Action.USERS_EXPORT).exists()


# --- Partner Center failures ----------------------------------------------------------------


@pytest.mark.parametrize("tab", ["", "deleted/"])
def test_a_customer_without_delegated_access_says_so_plainly(
    client: Client, sales_agent: User, tab: str
) -> None:
    client.force_login(sales_agent)
    response = client.get(f"/customers/{ADATUM}/{tab}")
    assert response.status_code == 403
    page = response.content.decode()
    assert "<h1>Adatum Corporation</h1>" in page
    assert (
        "The partner has no delegated admin access to Adatum Corporation: ask the customer to "
        "approve a delegated admin relationship in Partner Center." in page
    )
    assert "Correlation id: <code>" in page
    assert "Try again" not in page  # trying again will not help
    htmx = client.get(f"/customers/{ADATUM}/{tab}", headers=HTMX)
    assert htmx.status_code == 200  # htmx swaps only successful answers
    assert "no delegated admin access to Adatum Corporation" in htmx.content.decode()


def test_an_unknown_customer_is_a_404(client: Client, sales_agent: User) -> None:
    client.force_login(sales_agent)
    assert client.get("/customers/00000000-0000-0000-0000-000000000000/").status_code == 404
    assert client.get("/customers/not-a-guid/").status_code == 404


def test_throttling_says_when_to_try_again(
    client: Client, sales_agent: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    client.force_login(sales_agent)

    def throttled(**kwargs: object) -> None:
        raise Throttled("Rate limit is exceeded.", retry_after=12, correlation_id="corr-429")

    # Only reading the customers list calls Partner Center in a page (the first time).
    monkeypatch.setattr("customers.services.directory_customers_sync", throttled)
    response = client.get(users_url(CONTOSO))
    assert response.status_code == 503
    assert response["Retry-After"] == "12"
    page = response.content.decode()
    assert "Partner Center is busy. Try again in 12 seconds." in page
    assert "corr-429" in page
    assert f'<a href="/customers/{CONTOSO}/">Try again</a>' in page

    results = client.get(
        users_url(CONTOSO), {"q": "a"}, headers={**HTMX, "HX-Target": "users-results"}
    )
    assert results.status_code == 200
    assert results.content.decode().lstrip().startswith('<section id="users-results"')
    assert "Try again in 12 seconds" in results.content.decode()


def test_partner_center_unavailable_is_a_message_not_an_error_page(
    client: Client, helpdesk_agent: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    client.force_login(helpdesk_agent)

    def unavailable(**kwargs: object) -> None:
        raise Unavailable("Service unavailable", status=503, correlation_id="corr-503")

    monkeypatch.setattr("customers.services.directory_customers_sync", unavailable)
    response = client.get(f"/customers/{CONTOSO}/deleted/")
    assert response.status_code == 503
    page = response.content.decode()
    assert "Partner Center is not answering right now." in page
    assert "corr-503" in page
    assert "Try again" in page


def test_a_failed_read_of_a_mirrored_customer_still_shows_its_users(
    client: Client, sales_agent: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One failing list does not take the page down: the mirror it has shows, with why."""
    client.force_login(sales_agent)
    mirror = synced(CONTOSO)
    DirectoryCustomer.objects.filter(pk=mirror.pk).update(
        sync_state=DirectoryCustomer.SYNC_FAILED,
        sync_error="Partner Center is not answering right now.",
    )
    page = client.get(users_url(CONTOSO)).content.decode()
    assert f"1–{mirror.users_count} of {mirror.users_count}" in page
    assert "the last read failed: Partner Center is not answering right now." in page


# --- Who may see it -------------------------------------------------------------------------

PAGES = [
    ("get", f"/customers/{CONTOSO}/"),
    ("get", f"/customers/{CONTOSO}/deleted/"),
    ("get", f"/customers/{CONTOSO}/loading/"),
    ("post", f"/customers/{CONTOSO}/refresh/"),
    ("post", f"/customers/{CONTOSO}/export/"),
]


@pytest.mark.parametrize(("method", "url"), PAGES)
def test_anonymous_visitors_are_sent_to_sign_in(client: Client, method: str, url: str) -> None:
    response = getattr(client, method)(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/sign-in/?next=")


@pytest.mark.parametrize(("method", "url"), PAGES)
def test_staff_without_a_role_see_nothing(
    client: Client, no_role_staff: User, method: str, url: str
) -> None:
    client.force_login(no_role_staff)
    response = getattr(client, method)(url)
    assert response.status_code == 403
    assert "Contoso" not in response.content.decode()
