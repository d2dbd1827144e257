"""A what-if client reads as usual and sends no change; licence groups are an enum on the wire
and in answers; role members are read in the server's largest pages by default."""

from __future__ import annotations

import pytest
import responses
from responses import matchers

from portal.partnercenter import (
    ChangeWithheld,
    LicenseGroupId,
    PartnerCenterClient,
    PasswordProfile,
    ProductSku,
)
from tests.partnercenter.conftest import API_ROOT, RecordingTokens

CID = "c-1"
USERS = f"{API_ROOT}/customers/{CID}/users"


@pytest.fixture
def what_if(tokens: RecordingTokens) -> PartnerCenterClient:
    return PartnerCenterClient(api_root=API_ROOT, token_provider=tokens, what_if=True)


@responses.activate
def test_a_what_if_client_reads_but_withholds_a_change_before_asking_for_a_token(
    what_if: PartnerCenterClient, tokens: RecordingTokens
) -> None:
    responses.get(f"{USERS}/u-1", json={"id": "u-1", "displayName": "Bob"})
    user = what_if.customers.by_id(CID).users.by_id("u-1")

    assert user.get().display_name == "Bob"
    with pytest.raises(ChangeWithheld) as withheld:
        user.reset_password("S3cret-Passw0rd", request_id="r-1")

    assert len(responses.calls) == 1  # the read only
    assert tokens.calls == [False]
    change = withheld.value
    assert (change.method, change.url, change.request_id) == ("PATCH", f"{USERS}/u-1", "r-1")
    profile = PasswordProfile("S3cret-Passw0rd", force_change_password=True)
    assert change.body["passwordProfile"] == profile.to_wire()


@responses.activate
def test_an_ordinary_client_sends_the_same_change(client: PartnerCenterClient) -> None:
    responses.delete(f"{USERS}/u-1", status=204)
    client.customers.by_id(CID).users.by_id("u-1").delete()
    assert len(responses.calls) == 1


@responses.activate
def test_licence_groups_are_sent_as_the_enum_and_read_back_in_any_case(
    client: PartnerCenterClient,
) -> None:
    responses.get(
        f"{API_ROOT}/customers/{CID}/subscribedskus",
        json={"items": [{"productSku": {"id": "s-1", "licenseGroupId": "group2"}}]},
        match=[matchers.query_string_matcher("licenseGroupIds=Group1&licenseGroupIds=Group2")],
    )
    skus = client.customers.by_id(CID).subscribed_skus.list(
        license_groups=[LicenseGroupId.GROUP1, "group2"]
    )
    assert skus[0].product_sku.license_group_id is LicenseGroupId.GROUP2


def test_an_unknown_licence_group_is_refused_before_anything_is_sent(
    client: PartnerCenterClient,
) -> None:
    with pytest.raises(ValueError, match="Group3"):
        client.customers.by_id(CID).subscribed_skus.list(license_groups=["Group3"])


def test_an_unknown_licence_group_in_an_answer_reads_as_none() -> None:
    assert ProductSku.from_wire({"id": "s", "licenseGroupId": "group9"}).license_group_id is None
    assert ProductSku.from_wire({"id": "s"}).license_group_id is None


@responses.activate
def test_role_members_are_read_in_pages_of_500_by_default(client: PartnerCenterClient) -> None:
    responses.get(
        f"{API_ROOT}/customers/{CID}/directoryroles/r-1/usermembers",
        json={"items": [{"id": "u-1"}], "links": {}},
        match=[matchers.query_string_matcher("size=500")],
    )
    members = client.customers.by_id(CID).directory_roles.by_id("r-1").user_members
    assert [member.id for member in members.iter_all()] == ["u-1"]
