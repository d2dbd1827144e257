"""What each fluent operation puts on the wire, and how answers and pages are read back."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from responses import matchers

from portal.partnercenter import (
    CustomerUser,
    LicenseUpdate,
    PartnerCenterClient,
    PartnerCenterError,
    PasswordProfile,
    Sort,
    UserMember,
)
from tests.partnercenter.conftest import API_ROOT

CID = "c-1"
USERS = f"{API_ROOT}/customers/{CID}/users"
DELETED_FILTER = '{"Field":"UserState","Value":"Inactive","Operator":"equals"}'


def _user(number: int) -> dict[str, Any]:
    return {"id": f"u-{number}", "displayName": f"User {number}", "state": "active"}


def _page(
    items: list[dict[str, Any]], next_uri: str | None = None, token: str = ""
) -> dict[str, Any]:
    body: dict[str, Any] = {"totalCount": len(items), "items": items, "links": {}}
    if next_uri:
        body["links"]["next"] = {
            "uri": next_uri,
            "method": "GET",
            "headers": [{"key": "MS-ContinuationToken", "value": token}],
        }
        body["continuationToken"] = token
    return body


def _sent(index: int) -> Any:
    """The JSON body of the `index`th request sent."""
    body = responses.calls[index].request.body
    assert body is not None
    return json.loads(body)


def _query(index: int) -> dict[str, list[str]]:
    """The query string of the `index`th request sent."""
    url = responses.calls[index].request.url
    assert url is not None
    return parse_qs(urlsplit(url).query)


@responses.activate
def test_list_sends_size_and_sort_and_reads_the_continuation(client: PartnerCenterClient) -> None:
    responses.get(USERS, json=_page([_user(1)], "/customers/c-1/users?seekOperation=Next", "t1"))

    page = client.customers.by_id(CID).users.list(size=100, sort=Sort("DisplayName", True))

    query = _query(0)
    assert query == {"size": ["100"], "sortField": ["DisplayName"], "sortDirection": ["Descending"]}
    assert [user.id for user in page.items] == ["u-1"]
    assert page.continuation_token == "t1"
    assert page.has_more


@responses.activate
def test_list_with_a_continuation_sends_the_token_as_a_header(client: PartnerCenterClient) -> None:
    responses.get(
        USERS,
        json=_page([_user(2)]),
        match=[
            matchers.query_param_matcher({"seekOperation": "Next"}),
            matchers.header_matcher({"MS-ContinuationToken": "a+b/c="}),
        ],
    )

    page = client.customers.by_id(CID).users.list(continuation="a+b/c=")

    assert [user.id for user in page.items] == ["u-2"]
    assert not page.has_more


@pytest.mark.parametrize(
    "next_uri",
    [
        "/customers/c-1/users?seekOperation=Next",
        "/v1/customers/c-1/users?seekOperation=Next",
        "https://api.partnercenter.microsoft.com/v1/customers/c-1/users?seekOperation=Next",
    ],
)
@responses.activate
def test_iter_all_follows_next_links_with_or_without_v1(
    client: PartnerCenterClient, next_uri: str
) -> None:
    responses.get(USERS, json=_page([_user(1), _user(2)], next_uri, "t1"))
    responses.get(
        USERS,
        json=_page([_user(2), _user(3)]),
        match=[matchers.header_matcher({"MS-ContinuationToken": "t1"})],
    )

    users = list(client.customers.by_id(CID).users.iter_all())

    # u-2 moved between pages while they were read: it is still yielded once.
    assert [user.id for user in users] == ["u-1", "u-2", "u-3"]
    assert responses.calls[1].request.url == f"{USERS}?seekOperation=Next"


@responses.activate
def test_paging_that_repeats_a_continuation_stops_with_an_error(
    client: PartnerCenterClient,
) -> None:
    responses.get(USERS, json=_page([_user(1)], "/customers/c-1/users?seekOperation=Next", "t1"))

    with pytest.raises(PartnerCenterError, match="circle"):
        list(client.customers.by_id(CID).users.iter_all())


@responses.activate
def test_deleted_sends_the_user_state_filter(client: PartnerCenterClient) -> None:
    deleted = {**_user(4), "state": "inactive", "softDeletionTime": "2017-01-20T00:33:34Z"}
    responses.get(USERS, json=_page([deleted]))

    page = client.customers.by_id(CID).users.deleted()

    query = _query(0)
    assert query == {"size": ["500"], "filter": [DELETED_FILTER]}
    assert page.items[0].is_deleted
    assert page.items[0].soft_deletion_time == datetime(2017, 1, 20, 0, 33, 34, tzinfo=UTC)


@responses.activate
def test_restore_patches_the_state_only(client: PartnerCenterClient) -> None:
    responses.patch(f"{USERS}/u-1", json=_user(1))

    client.customers.by_id(CID).users.by_id("u-1").restore()

    assert _sent(0) == {"state": "active", "attributes": {"objectType": "CustomerUser"}}


@responses.activate
def test_reset_password_patches_a_password_profile(client: PartnerCenterClient) -> None:
    responses.patch(f"{USERS}/u-1", json=_user(1))

    client.customers.by_id(CID).users.by_id("u-1").reset_password("Renew456*", force_change=False)

    assert _sent(0) == {
        "passwordProfile": {"password": "Renew456*", "forceChangePassword": False},
        "attributes": {"objectType": "CustomerUser"},
    }


@responses.activate
@pytest.mark.parametrize("required", [True, False])
def test_require_password_change_sends_only_the_flag(
    client: PartnerCenterClient, required: bool
) -> None:
    answer = {**_user(1), "passwordProfile": {"forceChangePassword": required}}
    responses.patch(f"{USERS}/u-1", json=answer)

    user = client.customers.by_id(CID).users.by_id("u-1").require_password_change(required=required)

    assert _sent(0) == {
        "passwordProfile": {"forceChangePassword": required},
        "attributes": {"objectType": "CustomerUser"},
    }
    assert user.password_profile == PasswordProfile(force_change_password=required)


@responses.activate
def test_an_answer_that_starts_with_a_bom_is_read(client: PartnerCenterClient) -> None:
    body = "\ufeff" + json.dumps(_user(1))
    responses.get(
        f"{USERS}/u-1", body=body.encode(), content_type="application/json; charset=utf-8"
    )

    assert client.customers.by_id(CID).users.by_id("u-1").get().display_name == "User 1"


@responses.activate
def test_patch_sends_only_what_is_set_and_an_empty_string_clears(
    client: PartnerCenterClient,
) -> None:
    responses.patch(f"{USERS}/u-1", json=_user(1))

    client.customers.by_id(CID).users.by_id("u-1").patch(
        CustomerUser(display_name="New", first_name="")
    )

    assert _sent(0) == {
        "displayName": "New",
        "firstName": "",
        "attributes": {"objectType": "CustomerUser"},
    }


@responses.activate
def test_delete_answers_204_with_no_body(client: PartnerCenterClient) -> None:
    responses.delete(f"{USERS}/u-1", status=204)

    # delete() is typed to return None: seen as returning an object, what it returns is checked.
    delete: Callable[[], object] = client.customers.by_id(CID).users.by_id("u-1").delete
    assert delete() is None


@responses.activate
def test_ids_are_escaped_so_they_cannot_change_the_route(client: PartnerCenterClient) -> None:
    responses.get(f"{USERS}/..%2Fx", json=_user(1))

    client.customers.by_id(CID).users.by_id("../x").get()

    assert responses.calls[0].request.url == f"{USERS}/..%2Fx"


@responses.activate
def test_licences_roles_and_skus_use_their_endpoints(client: PartnerCenterClient) -> None:
    customer = client.customers.by_id(CID)
    user = customer.users.by_id("u-1")
    responses.get(f"{API_ROOT}/customers/{CID}/customDomains", json=["contoso.com"])
    responses.get(f"{USERS}/u-1/directoryroles", json={"items": [{"id": "r-1", "name": "R"}]})
    responses.get(
        f"{USERS}/u-1/licenses",
        json={"items": [{"productSku": {"id": "s-1", "name": "E3"}, "servicePlans": []}]},
        match=[matchers.query_string_matcher("licenseGroupIds=Group1&licenseGroupIds=Group2")],
    )
    responses.post(
        f"{USERS}/u-1/licenseupdates",
        status=201,
        json={"licensesToAssign": [{"skuId": "s-1"}], "licenseWarnings": []},
    )
    responses.post(
        f"{API_ROOT}/customers/{CID}/directoryroles/r-1/usermembers",
        status=201,
        json={"id": "u-1", "roleId": "r-1"},
    )
    responses.delete(f"{API_ROOT}/customers/{CID}/directoryroles/r-1/usermembers/u-1", status=204)
    responses.get(
        f"{API_ROOT}/customers/{CID}/subscribedskus",
        json={"items": [{"productSku": {"id": "s-1"}, "availableUnits": "4"}]},
    )

    assert customer.domains() == ["contoso.com"]
    assert user.directory_roles.list()[0].name == "R"
    assert user.licenses.list(license_groups=["Group1", "Group2"])[0].sku_id == "s-1"
    update = user.license_updates.create(LicenseUpdate.assign("s-1"))
    member = customer.directory_roles.by_id("r-1").user_members.add(
        UserMember(id="u-1", display_name="Jane", user_principal_name="jane@c.com")
    )
    customer.directory_roles.by_id("r-1").user_members.remove("u-1")
    skus = customer.subscribed_skus.list()

    assert update.licenses_to_assign[0].sku_id == "s-1"
    assert _sent(3) == {
        "licensesToAssign": [{"skuId": "s-1", "excludedPlans": None}],
        "licensesToRemove": None,
        "attributes": {"objectType": "LicenseUpdate"},
    }
    assert member.role_id == "r-1"
    assert _sent(4) == {
        "id": "u-1",
        "displayName": "Jane",
        "userPrincipalName": "jane@c.com",
        "attributes": {"objectType": "UserMember"},
    }
    assert skus[0].available_units == 4


def test_a_user_read_tolerates_missing_fields_and_any_case() -> None:
    user = CustomerUser.from_wire({"ID": "u-1", "UserPrincipalName": "a@b.c", "State": "Active"})

    assert user.id == "u-1"
    assert user.user_principal_name == "a@b.c"
    assert user.state == "active"
    assert user.display_name is None
    assert user.soft_deletion_time is None
    assert user.password_profile is None


def test_a_password_never_shows_in_repr() -> None:
    user = CustomerUser(password_profile=PasswordProfile("Secret!123", force_change_password=True))

    assert "Secret!123" not in repr(user)


def test_a_page_size_over_500_is_refused_before_sending(client: PartnerCenterClient) -> None:
    with pytest.raises(ValueError, match="1 to 500"):
        client.customers.by_id(CID).users.list(size=501)
