"""The client's sending rules: headers, request ids, retries, back-off, throttling, 401."""

from __future__ import annotations

import json
import uuid

import pytest
import requests
import responses

from portal.partnercenter import (
    AlreadyExists,
    CustomerUser,
    PartnerCenterClient,
    Throttled,
    Unauthorized,
    Unavailable,
)
from portal.partnercenter.retry import DEFAULT_TIMEOUT
from tests.partnercenter.conftest import API_ROOT, FakeTime, RecordingTokens, make_client

CUSTOMER = "4d3cf487-70f4-4e1e-9ff1-b2bfce8d9f04"
USERS = f"{API_ROOT}/customers/{CUSTOMER}/users"
USER_BODY = {"id": "u-1", "userPrincipalName": "jane@contoso.onmicrosoft.com", "state": "active"}


def _request_ids() -> list[str]:
    return [call.request.headers["MS-RequestId"] for call in responses.calls]


def _create(client: PartnerCenterClient, request_id: str | None = None) -> CustomerUser:
    user = CustomerUser(display_name="Jane", user_principal_name="jane@contoso.onmicrosoft.com")
    return client.customers.by_id(CUSTOMER).users.create(user, request_id=request_id)


@responses.activate
def test_it_sends_the_headers_partner_center_expects(client: PartnerCenterClient) -> None:
    responses.post(USERS, json=USER_BODY)

    _create(client)

    sent = responses.calls[0].request.headers
    assert sent["Accept"] == "application/json"
    assert sent["X-Locale"] == "en-US"
    assert sent["Content-Type"] == "application/json"
    assert sent["Authorization"] == "Bearer token-1"
    assert sent["MS-CorrelationId"] == "corr-1"
    assert uuid.UUID(sent["MS-RequestId"]).version == 4


@responses.activate
def test_every_call_has_a_timeout(client: PartnerCenterClient) -> None:
    responses.get(f"{API_ROOT}/customers/{CUSTOMER}", json={"id": CUSTOMER})
    responses.post(USERS, json=USER_BODY)

    client.customers.by_id(CUSTOMER).get()
    _create(client)

    # responses keeps each send's keyword arguments on the request it records, as `req_kwargs`:
    # an attribute of its own, which requests' PreparedRequest does not declare.
    sent = [vars(call.request)["req_kwargs"] for call in responses.calls]
    assert [kwargs["timeout"] for kwargs in sent] == [
        DEFAULT_TIMEOUT,
        DEFAULT_TIMEOUT,
    ]


@responses.activate
def test_each_logical_operation_gets_its_own_request_id(client: PartnerCenterClient) -> None:
    responses.post(USERS, json=USER_BODY)

    _create(client)
    _create(client)

    first, second = _request_ids()
    assert first != second


@responses.activate
def test_it_retries_5xx_and_408_with_the_same_request_id_and_the_sdk_back_off(
    client: PartnerCenterClient, fake_time: FakeTime
) -> None:
    responses.post(USERS, status=503, json={"code": 503, "description": "busy"})
    responses.post(USERS, status=408, body="")
    responses.post(USERS, status=500, body="oops")
    responses.post(USERS, json=USER_BODY)

    user = _create(client)

    assert user.id == "u-1"
    assert len(set(_request_ids())) == 1
    assert len(responses.calls) == 4
    assert fake_time.sleeps == [0.5, 1.5, 3.5]


@responses.activate
def test_it_reuses_the_callers_request_id_on_every_attempt(client: PartnerCenterClient) -> None:
    responses.post(USERS, status=502, body="")
    responses.post(USERS, json=USER_BODY)

    _create(client, request_id="form-7")

    assert _request_ids() == ["form-7", "form-7"]


@responses.activate
def test_a_change_that_exhausted_its_retries_is_unavailable_with_an_unknown_outcome(
    client: PartnerCenterClient, fake_time: FakeTime
) -> None:
    responses.post(USERS, status=504, json={"code": 504, "description": "Gateway timeout"})

    with pytest.raises(Unavailable) as caught:
        _create(client, request_id="row-3")

    error = caught.value
    assert len(responses.calls) == 4
    assert error.outcome_unknown
    assert error.request_id == "row-3"
    assert error.status == 504
    assert "same request id" in str(error)
    assert fake_time.sleeps == [0.5, 1.5, 3.5]


@responses.activate
def test_a_read_that_exhausted_its_retries_has_no_unknown_outcome(
    client: PartnerCenterClient,
) -> None:
    responses.get(f"{API_ROOT}/customers/{CUSTOMER}", status=503, body="")

    with pytest.raises(Unavailable) as caught:
        client.customers.by_id(CUSTOMER).get()

    assert not caught.value.outcome_unknown


@responses.activate
def test_transport_failures_are_retried_with_the_same_request_id(
    client: PartnerCenterClient,
) -> None:
    responses.post(USERS, body=requests.ConnectionError("reset"))
    responses.post(USERS, body=requests.ReadTimeout("slow"))
    responses.post(USERS, json=USER_BODY)

    assert _create(client).id == "u-1"
    assert len(set(_request_ids())) == 1
    assert len(responses.calls) == 3


@responses.activate
def test_no_requests_exception_escapes_when_transport_failures_persist(
    client: PartnerCenterClient,
) -> None:
    responses.post(USERS, body=requests.ReadTimeout("slow"))

    with pytest.raises(Unavailable) as caught:
        _create(client)

    assert caught.value.outcome_unknown
    assert caught.value.status is None
    assert isinstance(caught.value.__cause__, requests.ReadTimeout)
    assert len(responses.calls) == 4


@responses.activate
def test_a_definite_error_is_not_retried(client: PartnerCenterClient) -> None:
    responses.post(USERS, status=400, json={"code": 3000, "description": "Invalid usageLocation"})

    with pytest.raises(Exception, match="Invalid usageLocation"):
        _create(client)

    assert len(responses.calls) == 1


@responses.activate
def test_429_waits_retry_after_then_retries_with_the_same_request_id(
    client: PartnerCenterClient, fake_time: FakeTime
) -> None:
    responses.post(USERS, status=429, headers={"Retry-After": "2"}, json={"statusCode": 429})
    responses.post(USERS, json=USER_BODY)

    _create(client)

    assert fake_time.sleeps == [2.0]
    assert len(set(_request_ids())) == 1


@responses.activate
def test_429_beyond_the_cap_raises_throttled_with_retry_after(
    client: PartnerCenterClient, fake_time: FakeTime
) -> None:
    gateway = {"statusCode": 429, "message": "Rate limit is exceeded. Try again in 3 seconds."}
    responses.post(USERS, status=429, headers={"Retry-After": "3"}, json=gateway)

    with pytest.raises(Throttled) as caught:
        _create(client)

    # 3 s fits the 5 s cap; the doubled 6 s after the second 429 does not.
    assert fake_time.sleeps == [3.0]
    assert len(responses.calls) == 2
    error = caught.value
    assert error.retry_after == 3.0
    assert str(error).startswith("Partner Center is busy. Try again in 3 seconds.")
    assert error.description == gateway["message"]
    assert not error.outcome_unknown


@responses.activate
def test_a_retry_after_longer_than_the_cap_raises_at_once(
    client: PartnerCenterClient, fake_time: FakeTime
) -> None:
    responses.get(f"{API_ROOT}/customers", status=429, headers={"Retry-After": "30"}, body="")

    with pytest.raises(Throttled) as caught:
        client.customers.list()

    assert fake_time.sleeps == []
    assert caught.value.retry_after == 30.0
    assert "Try again in 30 seconds" in str(caught.value)


@responses.activate
def test_a_worker_cap_waits_out_repeated_throttling_doubling_each_time(
    fake_time: FakeTime, tokens: RecordingTokens
) -> None:
    client = make_client(fake_time, tokens, throttle_wait_cap=300)
    for _ in range(3):
        responses.post(USERS, status=429, headers={"Retry-After": "2"}, body="")
    responses.post(USERS, json=USER_BODY)

    _create(client)

    assert fake_time.sleeps == [2.0, 4.0, 8.0]
    assert len(set(_request_ids())) == 1


@responses.activate
def test_time_spent_waiting_for_answers_counts_against_the_throttle_cap(
    client: PartnerCenterClient, fake_time: FakeTime
) -> None:
    def slow_429(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        fake_time.now += 4  # the answer took 4 s to come
        return 429, {"Retry-After": "2"}, ""

    responses.add_callback(responses.POST, USERS, callback=slow_429)

    with pytest.raises(Throttled):
        _create(client)

    assert fake_time.sleeps == []


@responses.activate
def test_throttled_after_a_lost_answer_says_the_outcome_is_unknown(
    client: PartnerCenterClient,
) -> None:
    responses.post(USERS, status=504, body="")
    responses.post(USERS, status=429, headers={"Retry-After": "60"}, body="")

    with pytest.raises(Throttled) as caught:
        _create(client, request_id="row-9")

    assert caught.value.outcome_unknown
    assert caught.value.request_id == "row-9"


@responses.activate
def test_already_exists_after_a_lost_answer_says_the_outcome_is_unknown(
    client: PartnerCenterClient,
) -> None:
    responses.post(USERS, body=requests.ConnectionError("reset"))
    responses.post(USERS, status=409, json={"code": 3000, "description": "taken"})

    with pytest.raises(AlreadyExists) as caught:
        _create(client)

    # The conflict may be with this very create's first attempt: the caller should look it up.
    assert caught.value.outcome_unknown


@responses.activate
def test_a_401_refreshes_the_token_once_and_retries(
    client: PartnerCenterClient, tokens: RecordingTokens
) -> None:
    responses.post(USERS, status=401, json={"code": 800001, "description": "expired"})
    responses.post(USERS, json=USER_BODY)

    _create(client)

    assert tokens.calls == [False, True]
    assert [call.request.headers["Authorization"] for call in responses.calls] == [
        "Bearer token-1",
        "Bearer token-2",
    ]
    assert len(set(_request_ids())) == 1


@responses.activate
def test_a_second_401_raises_unauthorized(
    client: PartnerCenterClient, tokens: RecordingTokens
) -> None:
    responses.post(USERS, status=401, json={"code": 800001, "description": "Token missing"})

    with pytest.raises(Unauthorized) as caught:
        _create(client)

    assert tokens.calls == [False, True]
    assert len(responses.calls) == 2
    assert caught.value.code == "800001"
    assert "reconnect" in str(caught.value)


@responses.activate
def test_the_request_body_is_camel_case_json_without_unset_fields(
    client: PartnerCenterClient,
) -> None:
    responses.post(USERS, json=USER_BODY)

    _create(client)

    body = responses.calls[0].request.body
    assert body is not None
    assert json.loads(body) == {
        "displayName": "Jane",
        "userPrincipalName": "jane@contoso.onmicrosoft.com",
        "attributes": {"objectType": "CustomerUser"},
    }


@responses.activate
def test_a_429_without_retry_after_still_waits_before_retrying(
    client: PartnerCenterClient, fake_time: FakeTime
) -> None:
    responses.post(USERS, status=429, body="")
    responses.post(USERS, json=USER_BODY)

    _create(client)

    assert fake_time.sleeps == [1.0]


@responses.activate
def test_a_retry_after_given_as_a_date_is_read_in_seconds(
    client: PartnerCenterClient, fake_time: FakeTime
) -> None:
    responses.post(USERS, status=429, headers={"Retry-After": "Wed, 21 Oct 2099 07:28:00 GMT"})

    with pytest.raises(Throttled) as caught:
        _create(client)

    assert caught.value.retry_after is not None
    assert caught.value.retry_after > 365 * 24 * 3600
    assert fake_time.sleeps == []
