"""Query parameters: both spellings the clients use, and 400 code 3000 for anything else.

Microsoft's AutoRest client (PyPI `partnercenterservices`) sorts users with
`sortOption.sortField`/`sortOption.sortDirection` and sends `licenseGroupIds=Group1,Group2` as one
value; the .NET SDK writes `sortField`/`sortDirection` and repeats `licenseGroupIds`.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from portal.sandbox.models import CustomerUser
from tests.sandbox.support import Api, Tenant, new_user
from tests.sandbox_data import make_user

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])

DELETED_FILTER = '{"Field":"UserState","Value":"Inactive","Operator":"equals"}'


def _names(api: Api, path: str) -> list[str]:
    answer = api.get(path)
    assert answer.status == 200, answer.json()
    return [item["displayName"] for item in answer.json()["items"]]


def _refusal(api: Api, path: str) -> str:
    """The description of a 400 code 3000 answer to GET `path`."""
    answer = api.get(path)
    assert (answer.status, answer.code) == (400, 3000), answer.json()
    description: str = answer.json()["description"]
    return description


def _add_users(tenant: Tenant, count: int) -> None:
    now = timezone.now()
    CustomerUser.objects.bulk_create(
        CustomerUser(
            customer=tenant.customer,
            user_principal_name=f"user{number:04}@contoso.onmicrosoft.com",
            display_name=f"User {number:04}",
            password_last_set_at=now,
            created_at=now,
        )
        for number in range(count)
    )


# --- Both spellings ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "sortField=DisplayName&sortDirection=Descending",
        "sortOption.sortField=DisplayName&sortOption.sortDirection=Descending",
        "sortoption.SORTFIELD=displayname&SortDirection=descending",
    ],
    ids=["dotnet", "autorest", "any-case"],
)
def test_users_sort_in_either_spelling(api: Api, tenant: Tenant, query: str) -> None:
    assert _names(api, f"{tenant.users}?{query}") == ["Bob Builder", "Alice Admin"]


def test_the_autorest_sort_field_sorts_by_username(api: Api, tenant: Tenant) -> None:
    make_user(tenant.customer, "aaron", "Zed Last")
    names = _names(api, f"{tenant.users}?sortOption.sortField=UserPrincipalName")
    assert names == ["Zed Last", "Alice Admin", "Bob Builder"]


@pytest.mark.parametrize(
    "query",
    [
        "licenseGroupIds=Group1&licenseGroupIds=Group2",
        "licenseGroupIds=Group1,Group2",
        "licenseGroupIds=group2,%20GROUP1&licenseGroupIds=Group1",
    ],
    ids=["repeated", "comma-separated", "both-any-case"],
)
def test_licence_groups_in_either_spelling(api: Api, tenant: Tenant, query: str) -> None:
    skus = api.get(f"/customers/{tenant.id}/subscribedskus?{query}").json()["items"]
    assert sorted(sku["productSku"]["licenseGroupId"] for sku in skus) == [
        "group1",
        "group1",
        "group2",
    ]


# --- Unknown and malformed parameters ------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("sortFeild=DisplayName", "sortFeild"),
        ("top=5", "top"),
        ("licenseGroupIds=Group1", "licenseGroupIds"),  # users take no licence groups
    ],
)
def test_an_unknown_parameter_answers_3000_naming_it(
    api: Api, tenant: Tenant, query: str, named: str
) -> None:
    description = _refusal(api, f"{tenant.users}?{query}")
    assert repr(named) in description
    assert "sortField" in description  # and what the resource does take


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("size=many", "size"),
        ("size=-1", "size"),
        ("sortField=Salary", "sortField"),
        ("sortOption.sortField=Salary", "sortOption.sortField"),
        ("sortDirection=Sideways", "sortDirection"),
        ("sortOption.sortDirection=Up", "sortOption.sortDirection"),
        ("seekOperation=Previous", "seekOperation"),
        ("filter=not-json", "filter"),
        ('filter={"Field":"DisplayName","Value":"x","Operator":"equals"}', "filter"),
        ("sortField=", "sortField"),
        ("size=10&size=20", "size"),
        ("sortField=DisplayName&sortOption.sortField=UserPrincipalName", "sortField"),
    ],
)
def test_a_malformed_users_parameter_answers_3000_naming_it(
    api: Api, tenant: Tenant, query: str, named: str
) -> None:
    assert named in _refusal(api, f"{tenant.users}?{query}")


@pytest.mark.parametrize("value", ["Group3", "Group1,", "Group1,,Group2"])
def test_an_unknown_licence_group_answers_3000_instead_of_no_skus(
    api: Api, tenant: Tenant, value: str
) -> None:
    assert "licenseGroupIds" in _refusal(
        api, f"/customers/{tenant.id}/subscribedskus?licenseGroupIds={value}"
    )
    assert "licenseGroupIds" in _refusal(
        api, f"{tenant.user(tenant.alice)}/licenses?licenseGroupIds={value}"
    )


def test_resources_without_parameters_refuse_any(api: Api, tenant: Tenant) -> None:
    assert "no query parameters" in _refusal(api, f"{tenant.user(tenant.bob)}?expand=roles")
    created = api.post(f"{tenant.users}?size=1", new_user(tenant))
    assert (created.status, created.code) == (400, 3000)
    assert "'size'" in created.json()["description"]
    assert not CustomerUser.objects.filter(user_principal_name__startswith="carol").exists()


def test_customers_and_role_members_check_their_parameters_too(api: Api, tenant: Tenant) -> None:
    assert "sortField" in _refusal(api, "/customers?sortField=CompanyName")
    members = f"/customers/{tenant.id}/directoryroles/62e90394-69f5-4237-9190-012177145e10"
    assert "filter" in _refusal(api, f"{members}/usermembers?filter=x")
    assert api.get("/customers?size=1").status == 200


# --- size above 500 and links.self ---------------------------------------------------------


def test_size_above_500_is_served_as_500_and_the_links_say_so(api: Api, tenant: Tenant) -> None:
    _add_users(tenant, 620)
    page = api.get(f"{tenant.users}?size=1000&sortField=UserPrincipalName").json()
    assert len(page["items"]) == 500
    self_query = parse_qs(urlsplit(page["links"]["self"]["uri"]).query)
    assert self_query == {"size": ["500"], "sortField": ["UserPrincipalName"]}
    next_query = parse_qs(urlsplit(page["links"]["next"]["uri"]).query)
    assert next_query == {"size": ["500"], "seekOperation": ["Next"]}


def test_links_self_keeps_the_query_of_a_filtered_list(api: Api, tenant: Tenant) -> None:
    api.delete(tenant.user(tenant.bob))
    page = api.get(f"{tenant.users}?size=50&filter={DELETED_FILTER}").json()
    self_uri = page["links"]["self"]["uri"]
    assert urlsplit(self_uri).path == tenant.users
    assert parse_qs(urlsplit(self_uri).query) == {"size": ["50"], "filter": [DELETED_FILTER]}
    licences = f"{tenant.user(tenant.alice)}/licenses?licenseGroupIds=Group1,Group2"
    assert api.get(licences).json()["links"]["self"]["uri"] == licences.replace(",", "%2C")
    assert api.get(tenant.users).json()["links"]["self"]["uri"] == tenant.users


def test_a_next_page_may_repeat_its_size_but_not_change_size_or_sort(
    api: Api, tenant: Tenant
) -> None:
    _add_users(tenant, 30)
    first = api.get(f"{tenant.users}?size=10&sortField=UserPrincipalName").json()
    token = {"MS-ContinuationToken": first["continuationToken"]}
    same = api.get(f"{tenant.users}?seekOperation=Next&size=10", headers=token)
    assert same.status == 200
    assert len(same.json()["items"]) == 10
    resized = api.get(f"{tenant.users}?seekOperation=Next&size=20", headers=token)
    assert (resized.status, resized.code) == (400, 3000)
    assert "size" in resized.json()["description"]
    resorted = api.get(f"{tenant.users}?seekOperation=Next&sortField=DisplayName", headers=token)
    assert (resorted.status, resorted.code) == (400, 3000)
    assert "sort" in resorted.json()["description"]
