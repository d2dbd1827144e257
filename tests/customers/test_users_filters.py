"""Users and licenses: the Licenses column, the filters (license, admin role, location) that
combine with the search, Export of the filtered list, and the background license scan."""

from __future__ import annotations

import csv
import io
import re
import threading

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries

from customers.directory.budget import CallCounter
from customers.directory.customer_queries import customer_get, roles_of, skus_of
from customers.directory.licenses import _complete, directory_licenses_scan
from customers.directory.list_choices import ListChoices, users_list_choices
from customers.directory.models import DirectoryCustomer, DirectoryUser, DirectoryUserLicenses
from customers.directory.rows import licenses_count
from customers.directory.user_queries import (
    ANY_ROLE,
    NO_LICENSE,
    NOT_READ,
    UserListQuery,
    licenses_of,
    users_of,
    users_page,
)
from customers.directory.writes import directory_user_write, licenses_write
from customers.services import short_sku_name
from portal.partnercenter import CustomerUser, partner_center
from portal.sandbox import seed_plan
from tests.conftest import downloaded
from tests.directory_data import synced

pytestmark = [
    pytest.mark.django_db(databases=["default", "sandbox"]),
    pytest.mark.usefixtures("seeded_sandbox", "cold_cache"),
]

CONTOSO = str(seed_plan.CUSTOM_DOMAIN_CUSTOMER_ID)


def _users(customer: DirectoryCustomer) -> list[DirectoryUser]:
    return list(users_of(customer).order_by("display_key", "upn_key"))


def _names(customer: DirectoryCustomer, query: UserListQuery) -> list[str]:
    return [user.display_name for user in users_page(customer, query, 1, per_page=500)]


def _licensed(customer: DirectoryCustomer) -> tuple[str, list[DirectoryUser]]:
    """A SKU of the customer, given as known licenses: the first two users hold it, the third
    holds none, the rest are not read yet."""
    sku = skus_of(customer)[0].id
    users = _users(customer)
    licenses_write(
        customer,
        {users[0].user_id: [sku], users[1].user_id: [sku], users[2].user_id: []},
        read_at=timezone.now(),
    )
    return sku, users


def _sku_name(customer: DirectoryCustomer, sku_id: str) -> str:
    return short_sku_name(next(sku.name for sku in skus_of(customer) if sku.id == sku_id))


def test_the_license_filter_finds_holders_users_without_any_and_users_not_read_yet() -> None:
    contoso = synced(CONTOSO)
    sku, users = _licensed(contoso)
    everyone = [user.display_name for user in users]
    assert _names(contoso, UserListQuery(license=sku)) == everyone[:2]
    assert _names(contoso, UserListQuery(license=NO_LICENSE)) == everyone[2:3]
    assert _names(contoso, UserListQuery(license=NOT_READ)) == everyone[3:]
    assert _names(contoso, UserListQuery(license="no-such-sku")) == []


def test_a_license_filters_count_is_its_holders_among_the_listed_users() -> None:
    contoso = synced(CONTOSO)
    sku, users = _licensed(contoso)  # the first two active users hold it
    deleted = users_of(contoso, state=DirectoryUser.DELETED).first()
    assert deleted is not None
    licenses_write(contoso, {deleted.user_id: [sku]}, read_at=timezone.now())
    page = users_page(contoso, UserListQuery(license=sku), 1, per_page=1)
    assert page.paginator.count == 2  # the deleted holder is not in the Users list
    assert [user.display_name for user in page] == [users[0].display_name]
    location = next(user.usage_location for user in users[:2] if user.usage_location)
    there = [user for user in users[:2] if user.usage_location == location]
    page = users_page(contoso, UserListQuery(license=sku, location=location), 1, per_page=1)
    assert page.paginator.count == len(there)
    assert users_page(contoso, UserListQuery(license=sku, location="ZZ"), 1).paginator.count == 0


def test_the_lists_choices_are_its_skus_roles_and_the_pages_licenses_in_one_query(
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    contoso = synced(CONTOSO)
    _licensed(contoso)
    page = [user.user_id for user in _users(contoso)[:5]]  # three read, one with no license
    with django_assert_num_queries(1):
        choices = users_list_choices(contoso, page)
    assert choices.held == licenses_of(contoso, page)
    assert len(choices.held) == 3 and [] in choices.held.values()
    assert all(skus == sorted(skus) for skus in choices.held.values())
    assert users_list_choices(contoso).held == {}
    assert choices.skus and choices.roles
    assert choices.skus == skus_of(contoso)
    assert choices.roles == roles_of(contoso)
    never_read = customer_get(str(seed_plan.LARGE_CUSTOMER_ID))
    assert never_read is not None and not never_read.mirrored
    assert users_list_choices(never_read) == ListChoices(skus=[], roles=[])


def test_the_customer_keeps_how_many_users_licenses_are_known_through_writes_and_syncs() -> None:
    contoso = synced(CONTOSO)
    assert contoso.licenses_read == 0
    sku, users = _licensed(contoso)  # three users read
    assert contoso.licenses_read == 3
    contoso.refresh_from_db()
    assert contoso.licenses_read == licenses_count(contoso) == 3
    # Read again: the same three; one more user read: four; a user the directory does not
    # list (gone from Partner Center since): five, until the next sync forgets it.
    licenses_write(contoso, {users[0].user_id: []}, read_at=timezone.now())
    licenses_write(contoso, {users[3].user_id: [sku], "gone": [sku]}, read_at=timezone.now())
    contoso.refresh_from_db()
    assert contoso.licenses_read == licenses_count(contoso) == 5
    contoso = synced(CONTOSO)
    assert contoso.licenses_read == licenses_count(contoso) == 4
    assert licenses_of(contoso, ["gone"]) == {}


def test_filters_combine_with_each_other_and_with_the_search() -> None:
    contoso = synced(CONTOSO)
    users = _users(contoso)
    protected = [user for user in users if user.roles]
    assert protected, "the seed gives Contoso administrators"
    assert _names(contoso, UserListQuery(role=ANY_ROLE)) == [u.display_name for u in protected]
    admin = protected[0]
    role_id = admin.memberships.values_list("role_id", flat=True)[0]
    holders = _names(contoso, UserListQuery(role=role_id))
    assert admin.display_name in holders
    assert all(name in [u.display_name for u in protected] for name in holders)

    location = admin.usage_location
    assert location
    here = [u.display_name for u in users if u.usage_location == location]
    assert _names(contoso, UserListQuery.from_params({"location": location.lower()})) == here
    first_word = admin.display_name.split()[0]
    found = _names(contoso, UserListQuery(search=first_word, role=ANY_ROLE, location=location))
    assert admin.display_name in found
    assert all(first_word.casefold() in name.casefold() for name in found)
    assert _names(contoso, UserListQuery(search=first_word, location="ZZ")) == []


def test_the_list_shows_licenses_and_filters_and_keeps_them_in_every_link(
    client: Client, helpdesk_agent: User
) -> None:
    client.force_login(helpdesk_agent)
    contoso = synced(CONTOSO)
    sku, _ = _licensed(contoso)
    name = _sku_name(contoso, sku)
    page = client.get(f"/customers/{CONTOSO}/").content.decode()
    assert '<th scope="col">Licenses</th>' in page
    assert f"<td>{name}</td>" in page
    assert "—, not read yet" in page
    assert f"Licenses read for 3 of {contoso.users_count} users" in page
    assert f'<option value="{sku}">' in page
    assert '<option value="none">No license</option>' in page
    assert '<option value="any">Any admin role (protected)</option>' in page

    filtered = client.get(f"/customers/{CONTOSO}/", {"license": sku, "sort": "username"})
    text = filtered.content.decode()
    assert text.count("<td><a href=") == 2
    assert f'<option value="{sku}" selected>' in text
    # Sorting, Refresh and Export keep the filter.
    sort_link = re.search(r'href="([^"]*sort=location[^"]*)"', text)
    assert sort_link is not None and f"license={sku}" in sort_link[1]
    back = f"/customers/{CONTOSO}/?license={sku}&amp;sort=username"
    assert f'name="next" form="users-refresh" value="{back}"' in text
    assert f'<input type="hidden" name="license" value="{sku}">' in text


def test_export_of_a_filtered_list_carries_the_licenses(
    client: Client, helpdesk_agent: User
) -> None:
    client.force_login(helpdesk_agent)
    contoso = synced(CONTOSO)
    sku, users = _licensed(contoso)
    name = _sku_name(contoso, sku)
    data = downloaded(client.post(f"/customers/{CONTOSO}/export/", {"license": sku}))
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][-1] == "Licenses"
    assert [row[0] for row in rows[1:]] == [user.display_name for user in users[:2]]
    assert {row[-1] for row in rows[1:]} == {name}


def test_an_empty_filter_result_says_so(client: Client, helpdesk_agent: User) -> None:
    client.force_login(helpdesk_agent)
    synced(CONTOSO)
    page = client.get(f"/customers/{CONTOSO}/", {"location": "ZZ"}).content.decode()
    assert "No user matches these filters." in page


def test_the_scan_reads_unread_licenses_within_its_time_then_nothing(
    sdk_sleeps: list[float],
) -> None:
    _complete.clear()
    contoso = synced(CONTOSO)
    counter = CallCounter()
    with CaptureQueriesContext(connection) as scanned:
        report = directory_licenses_scan(pc=partner_center(pacer=counter), seconds=60)
    assert report.users >= contoso.users_count
    # PostgreSQL is told what the scan wrote (its statistics), and plans with it.
    assert _analysed(scanned) == (connection.vendor == "postgresql")
    active = [user.user_id for user in _users(contoso)]
    known = licenses_of(contoso, active)
    assert set(known) == set(active)
    assert counter.calls >= len(active)  # one call a user
    # What Partner Center says is what the directory holds: one user's licences, read live.
    user = active[0]
    live = partner_center().customers.by_id(CONTOSO).users.by_id(user).licenses.list()
    assert known[user] == sorted(item.product_sku.id for item in live)
    # Everything read and fresh: the next scan makes no call.
    again = CallCounter()
    with CaptureQueriesContext(connection) as rescanned:
        assert directory_licenses_scan(pc=partner_center(pacer=again), seconds=60).users == 0
    assert again.calls == 0
    assert not _analysed(rescanned)
    assert DirectoryUserLicenses.objects.filter(customer=contoso).count() >= len(active)


def _analysed(queries: CaptureQueriesContext) -> bool:
    """Whether PostgreSQL was asked to take the directory's statistics again (those of the
    license tables when they are stale: `rows.refresh_statistics`)."""
    return any(query["sql"].startswith("ANALYZE") for query in queries.captured_queries)


def test_the_scan_stops_at_its_deadline_or_when_asked_to() -> None:
    _complete.clear()
    synced(CONTOSO)
    report = directory_licenses_scan(pc=partner_center(), seconds=0)
    assert report.users == 0
    stop = threading.Event()
    stop.set()  # the maintenance loop was told to stop (SIGTERM)
    counter = CallCounter()
    report = directory_licenses_scan(pc=partner_center(pacer=counter), seconds=60, stop=stop)
    assert report.users == 0 and counter.calls == 0


def test_the_location_choices_are_the_active_users_locations_and_grow_with_a_change() -> None:
    contoso = synced(CONTOSO)
    assert contoso.locations == sorted({u.usage_location for u in _users(contoso)} - {""})
    assert "NZ" not in contoso.locations
    directory_user_write(
        tenant_id=CONTOSO,
        user=CustomerUser(
            id="00000000-0000-0000-0000-0000000000aa",
            user_principal_name="kiri@contoso.com",
            display_name="Kiri Ngata",
            usage_location="NZ",
        ),
    )
    contoso.refresh_from_db()
    assert "NZ" in contoso.locations
    assert _names(contoso, UserListQuery(location="NZ")) == ["Kiri Ngata"]


def test_filters_left_at_all_leave_the_address(client: Client, helpdesk_agent: User) -> None:
    client.force_login(helpdesk_agent)
    synced(CONTOSO)
    sent = {"q": "ann", "license": "", "role": "", "location": ""}
    plain = client.get(f"/customers/{CONTOSO}/", sent)
    assert plain.status_code == 302
    assert plain["Location"] == f"/customers/{CONTOSO}/?q=ann"
    swapped = client.get(
        f"/customers/{CONTOSO}/", sent, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="users-results"
    )
    assert swapped.status_code == 200
    assert swapped["HX-Push-Url"] == f"/customers/{CONTOSO}/?q=ann"
