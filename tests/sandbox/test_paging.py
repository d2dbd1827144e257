"""Seek paging of users, customers and role members: size, sort, links.next, tokens."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from portal.sandbox.models import CustomerUser, FaultSettings
from tests.sandbox.support import Api, Tenant
from tests.sandbox_data import make_customer, make_user

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])


def _add_users(tenant: Tenant, count: int) -> None:
    now = timezone.now()
    CustomerUser.objects.bulk_create(
        CustomerUser(
            customer=tenant.customer,
            user_principal_name=f"user{number:04}@contoso.onmicrosoft.com",
            display_name=f"User {number % 37:02}",  # many equal names: ties need the id
            password_last_set_at=now,
            created_at=now,
        )
        for number in range(count)
    )


def _walk(api: Api, first_page_path: str) -> list[dict[str, Any]]:
    """Every item (a JSON object) of every page, following links.next from the first."""
    page = api.get(first_page_path)
    items = list(page.json()["items"])
    while "next" in page.json()["links"]:
        page = api.follow(page)
        assert page.status == 200, page.json()
        items += page.json()["items"]
    return items


def test_the_default_page_is_100_users_with_a_next_link(api: Api, tenant: Tenant) -> None:
    _add_users(tenant, 150)
    page = api.get(tenant.users).json()
    assert len(page["items"]) == 100
    assert page["totalCount"] == 100
    following = page["links"]["next"]
    # Production writes /v1 and the size into its next links; so does the sandbox by default.
    assert following["uri"] == f"/v1{tenant.users}?size=100&seekOperation=Next"
    assert following["headers"][0]["key"] == "MS-ContinuationToken"
    assert following["headers"][0]["value"] == page["continuationToken"]


def test_a_page_is_at_most_500_users(api: Api, tenant: Tenant) -> None:
    _add_users(tenant, 620)
    assert len(api.get(f"{tenant.users}?size=1000").json()["items"]) == 500
    assert len(api.get(f"{tenant.users}?size=0").json()["items"]) == 100
    assert api.get(f"{tenant.users}?size=many").status == 400


def test_following_next_links_yields_every_user_exactly_once(api: Api, tenant: Tenant) -> None:
    _add_users(tenant, 1203)
    items = _walk(api, f"{tenant.users}?size=500")
    ids = [item["id"] for item in items]
    assert len(ids) == len(set(ids)) == 1205


@pytest.mark.parametrize("with_v1", [True, False], ids=["production", "docs-samples"])
def test_next_links_carry_the_v1_prefix_unless_switched_off(
    api: Api, tenant: Tenant, faults: FaultSettings, with_v1: bool
) -> None:
    faults.next_link_with_v1 = with_v1
    faults.save()
    _add_users(tenant, 30)
    page = api.get(f"{tenant.users}?size=10")
    prefix = "/v1" if with_v1 else ""
    assert (
        page.json()["links"]["next"]["uri"] == f"{prefix}{tenant.users}?size=10&seekOperation=Next"
    )
    assert len({item["id"] for item in _walk(api, f"{tenant.users}?size=10")}) == 32


def test_users_sort_by_display_name_or_username_in_either_direction(
    api: Api, tenant: Tenant
) -> None:
    _add_users(tenant, 40)
    descending = _walk(api, f"{tenant.users}?size=7&sortField=DisplayName&sortDirection=Descending")
    names = [item["displayName"] for item in descending]
    assert names == sorted(names, reverse=True)
    by_upn = _walk(api, f"{tenant.users}?size=9&sortField=UserPrincipalName")
    upns = [item["userPrincipalName"] for item in by_upn]
    assert upns == sorted(upns)
    assert api.get(f"{tenant.users}?sortField=Salary").status == 400


def test_a_user_added_between_pages_does_not_repeat_or_shift_others(
    api: Api, tenant: Tenant
) -> None:
    _add_users(tenant, 20)
    first = api.get(f"{tenant.users}?size=10")
    make_user(tenant.customer, "aaron", "Aaron First")  # sorts before everything seen
    page, ids = first, [item["id"] for item in first.json()["items"]]
    while "next" in page.json()["links"]:
        page = api.follow(page)
        ids += [item["id"] for item in page.json()["items"]]
    # Everyone who was there at the start, exactly once; the newcomer sorts before the position.
    assert len(ids) == len(set(ids)) == 22


def test_a_bad_or_foreign_continuation_token_answers_3000(api: Api, tenant: Tenant) -> None:
    _add_users(tenant, 20)
    page = api.get(f"{tenant.users}?size=5").json()
    token = page["continuationToken"]
    bad = api.get(
        f"{tenant.users}?seekOperation=Next", headers={"MS-ContinuationToken": token + "x"}
    )
    assert (bad.status, bad.code) == (400, 3000)
    missing = api.get(f"{tenant.users}?seekOperation=Next")
    assert (missing.status, missing.code) == (400, 3000)
    deleted_list = (
        f"{tenant.users}?seekOperation=Next"
        '&filter={"Field":"UserState","Value":"Inactive","Operator":"equals"}'
    )
    foreign = api.get(deleted_list, headers={"MS-ContinuationToken": token})
    assert foreign.code == 3000


def test_the_last_page_has_no_next_link(api: Api, tenant: Tenant) -> None:
    page = api.get(tenant.users).json()
    assert "next" not in page["links"]
    assert "continuationToken" not in page
    assert page["attributes"] == {"objectType": "Collection"}


def test_customers_page_and_filter_by_company_name_or_domain(api: Api, tenant: Tenant) -> None:
    for number in range(12):
        make_customer(f"Fabrikam {number:02}", f"fabrikam{number:02}.onmicrosoft.com")
    everyone = _walk(api, "/customers?size=5")
    assert len(everyone) == 13
    names = [item["companyProfile"]["companyName"] for item in everyone]
    assert names == sorted(names)
    by_name = api.get(
        '/customers?filter={"Field":"CompanyName","Value":"fabrikam 1","Operator":"starts_with"}'
    )
    assert [c["companyProfile"]["companyName"] for c in by_name.json()["items"]] == [
        "Fabrikam 10",
        "Fabrikam 11",
    ]
    by_domain = api.get(
        '/customers?filter={"Field":"Domain","Value":"CONTOSO.COM","Operator":"starts_with"}'
    )
    assert [c["id"] for c in by_domain.json()["items"]] == [tenant.id]
    wrong = api.get('/customers?filter={"Field":"Domain","Value":"x","Operator":"equals"}')
    assert wrong.code == 3000


def test_the_deleted_users_next_link_keeps_its_filter_to_the_last_page(
    api: Api, tenant: Tenant
) -> None:
    """A customer with 1,500 deleted users pages to the end (the next link once dropped the
    filter, and its token then belonged to another collection)."""
    _add_users(tenant, 1600)
    CustomerUser.objects.filter(
        customer=tenant.customer, user_principal_name__gte="user0100"
    ).update(state=CustomerUser.INACTIVE, soft_deletion_time=timezone.now())
    deleted = _walk(
        api,
        f"{tenant.users}?size=500"
        '&filter={"Field":"UserState","Value":"Inactive","Operator":"equals"}',
    )
    assert len(deleted) == 1500
    assert len({item["id"] for item in deleted}) == 1500
    assert {item["state"] for item in deleted} == {"inactive"}


def test_a_filtered_customers_list_pages_to_the_end(api: Api) -> None:
    for number in range(7):
        make_customer(f"Fabrikam {number}", f"fabrikam{number}.onmicrosoft.com")
    found = _walk(
        api,
        '/customers?size=3&filter={"Field":"CompanyName","Value":"fabrikam","Operator":"starts_with"}',
    )
    assert len(found) == 7
