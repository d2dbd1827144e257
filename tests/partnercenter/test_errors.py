"""Reading Partner Center's error answers into the SDK's exceptions."""

from __future__ import annotations

import pytest
import responses

from portal.partnercenter import (
    AlreadyExists,
    Forbidden,
    InvalidInput,
    NotFound,
    PartnerCenterClient,
    PartnerCenterError,
    Throttled,
    Unavailable,
)
from tests.partnercenter.conftest import API_ROOT

CUSTOMER = "c-1"
USER = f"{API_ROOT}/customers/{CUSTOMER}/users/u-1"
UPN_CONFLICT = "Another object with the same value for property userPrincipalName already exists."


def _get_user(client: PartnerCenterClient) -> None:
    client.customers.by_id(CUSTOMER).users.by_id("u-1").get()


@pytest.mark.parametrize("code", [60002, "60002"])
@responses.activate
def test_the_code_is_read_as_a_number_or_a_string(
    client: PartnerCenterClient, code: int | str
) -> None:
    responses.get(
        USER,
        status=404,
        json={"code": code, "description": "User not found", "source": "PartnerFD"},
        headers={"MS-RequestId": "made-up-by-a-gateway", "MS-CorrelationId": "corr-9"},
    )

    with pytest.raises(NotFound) as caught:
        _get_user(client)

    error = caught.value
    sent_request_id = responses.calls[0].request.headers["MS-RequestId"]
    assert error.code == "60002"
    assert error.description == "User not found"
    assert error.source == "PartnerFD"
    # The id the client sent: the one a caller can re-drive the operation with.
    assert error.request_id == sent_request_id
    assert error.correlation_id == "corr-9"
    assert error.status == 404
    assert "User not found" in str(error)
    assert sent_request_id in error.details()


@responses.activate
def test_an_error_body_with_a_bom_and_pascal_case_is_read(client: PartnerCenterClient) -> None:
    body = '\ufeff{"Code": 3000, "Description": "Invalid usageLocation", "Data": ["x"]}'
    responses.get(USER, status=400, body=body.encode(), content_type="application/json")

    with pytest.raises(InvalidInput) as caught:
        _get_user(client)

    assert caught.value.code == "3000"
    assert caught.value.description == "Invalid usageLocation"
    assert caught.value.data == ["x"]


@pytest.mark.parametrize("status", [400, 409])
@responses.activate
def test_a_duplicate_username_is_already_exists_whether_400_or_409(
    client: PartnerCenterClient, status: int
) -> None:
    responses.get(USER, status=status, json={"code": 3000, "description": UPN_CONFLICT})

    with pytest.raises(AlreadyExists) as caught:
        _get_user(client)

    assert caught.value.status == status
    assert UPN_CONFLICT.rstrip(".") in str(caught.value)


@responses.activate
def test_an_unrelated_400_is_invalid_input(client: PartnerCenterClient) -> None:
    responses.get(USER, status=400, json={"code": 3000, "description": "Bad alias"})

    with pytest.raises(InvalidInput):
        _get_user(client)


@responses.activate
def test_403_is_forbidden(client: PartnerCenterClient) -> None:
    responses.get(USER, status=403, json={"code": 2032, "description": "Access denied"})

    with pytest.raises(Forbidden) as caught:
        _get_user(client)

    assert "no delegated admin access" in str(caught.value)


@responses.activate
def test_the_gateway_throttling_body_is_read(client: PartnerCenterClient) -> None:
    message = "Rate limit is exceeded. Try again in 57 seconds."
    responses.get(
        USER,
        status=429,
        headers={"Retry-After": "57"},
        json={"statusCode": 429, "message": message},
    )

    with pytest.raises(Throttled) as caught:
        _get_user(client)

    assert caught.value.code == "429"
    assert caught.value.description == message
    assert caught.value.retry_after == 57


@responses.activate
def test_an_html_error_page_still_gives_a_readable_error(client: PartnerCenterClient) -> None:
    responses.get(USER, status=502, body="<html><body>Bad gateway</body></html>")

    with pytest.raises(Unavailable) as caught:
        _get_user(client)

    assert "<html>" not in str(caught.value)
    assert caught.value.description == "Bad Gateway"
    assert str(caught.value).startswith("Partner Center is not answering right now.")


@responses.activate
def test_an_unexpected_status_is_a_partner_center_error(client: PartnerCenterClient) -> None:
    responses.get(USER, status=412, json={"code": 2055, "description": "ETag no longer valid"})

    with pytest.raises(PartnerCenterError) as caught:
        _get_user(client)

    assert type(caught.value) is PartnerCenterError
    assert caught.value.code == "2055"


@responses.activate
def test_an_unreadable_success_body_is_an_error_not_a_crash(client: PartnerCenterClient) -> None:
    responses.get(USER, status=200, body="{not json")

    with pytest.raises(PartnerCenterError, match="could not be read"):
        _get_user(client)
