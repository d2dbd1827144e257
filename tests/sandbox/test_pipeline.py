"""What every call goes through: auth, headers, idempotency, faults, BOM, and no kept password."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

import pytest
from django.db import connections
from django.test import Client
from django.utils import timezone

from portal.sandbox.models import CustomerUser, FaultSettings, IdempotentResponse
from tests.db_dump import dump_database
from tests.sandbox.support import PASSWORD, Api, Tenant, new_user, request_id

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])


def _count(tenant: Tenant) -> int:
    return CustomerUser.objects.filter(customer=tenant.customer).count()


def test_a_call_without_a_bearer_token_answers_401(api: Api, tenant: Tenant) -> None:
    api.token = None
    answer = api.get(tenant.users)
    assert answer.status == 401
    assert answer.code == 800001
    assert answer.headers["WWW-Authenticate"].startswith("OAuth realm=")


def test_it_echoes_request_and_correlation_ids(api: Api, tenant: Tenant) -> None:
    answer = api.get(tenant.users, request_id="rid-1", headers={"MS-CorrelationId": "cid-1"})
    assert answer.headers["MS-RequestId"] == "rid-1"
    assert answer.headers["MS-CorrelationId"] == "cid-1"
    assert answer.headers["MS-CV"]
    generated = api.get(tenant.users)
    assert generated.headers["MS-RequestId"]
    assert generated.headers["Content-Type"] == "application/json; charset=utf-8"


def test_a_repeated_request_id_replays_the_answer_and_changes_nothing(
    api: Api, tenant: Tenant
) -> None:
    rid = request_id()
    first = api.post(tenant.users, new_user(tenant), request_id=rid)
    second = api.post(tenant.users, new_user(tenant), request_id=rid)
    assert first.status == second.status == 200
    assert second.json()["id"] == first.json()["id"]
    assert _count(tenant) == 3
    # The replay never carries the password: the store keeps none.
    assert first.json()["passwordProfile"]["password"] == PASSWORD
    assert "password" not in second.json()["passwordProfile"]
    stored = IdempotentResponse.objects.get(request_id=rid)
    assert PASSWORD.encode() not in bytes(stored.body)


def test_a_repeated_delete_replays_its_204(api: Api, tenant: Tenant) -> None:
    rid = request_id()
    assert api.delete(tenant.user(tenant.bob), request_id=rid).status == 204
    assert api.delete(tenant.user(tenant.bob), request_id=rid).status == 204
    assert api.delete(tenant.user(tenant.bob), request_id=request_id()).status == 404


def test_a_failed_request_is_not_stored_so_its_retry_runs_again(api: Api, tenant: Tenant) -> None:
    rid = request_id()
    refused = api.post(tenant.users, new_user(tenant, "alice"), request_id=rid)
    assert refused.status == 409
    assert not IdempotentResponse.objects.filter(request_id=rid).exists()
    api.patch(tenant.user(tenant.alice), {"userPrincipalName": "alicia@contoso.com"})
    assert api.post(tenant.users, new_user(tenant, "alice"), request_id=rid).status == 200


def test_a_request_id_reused_for_another_request_answers_3000(api: Api, tenant: Tenant) -> None:
    rid = request_id()
    api.post(tenant.users, new_user(tenant), request_id=rid)
    other = api.patch(tenant.user(tenant.bob), {"displayName": "B"}, request_id=rid)
    assert (other.status, other.code) == (400, 3000)


def test_stored_answers_are_forgotten_after_24_hours(
    api: Api, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    rid = request_id()
    api.post(tenant.users, new_user(tenant), request_id=rid)
    later = timezone.now() + timedelta(hours=24, minutes=1)
    monkeypatch.setattr("portal.sandbox.clock.now", lambda: later)
    again = api.post(tenant.users, new_user(tenant), request_id=rid)
    assert again.status == 409  # ran again: the username is now taken


@pytest.mark.django_db(databases=["default", "sandbox"], transaction=True)
def test_concurrent_repeats_of_one_request_id_run_the_change_once(tenant: Tenant) -> None:
    rid = request_id()
    answers: list[int] = []

    def send() -> None:
        try:
            answers.append(
                Api(Client()).post(tenant.users, new_user(tenant), request_id=rid).status
            )
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [200, 200, 200, 200]
    assert _count(tenant) == 3


def test_server_errors_are_injected_before_any_change(
    api: Api, tenant: Tenant, faults: FaultSettings
) -> None:
    faults.error_rate = 1.0
    faults.save()
    answer = api.post(tenant.users, new_user(tenant), request_id=request_id())
    assert answer.status in {500, 503}
    assert answer.json()["code"] == answer.status
    assert _count(tenant) == 2


def test_a_lost_answer_keeps_the_change_and_its_retry_gets_the_stored_answer(
    api: Api, tenant: Tenant, faults: FaultSettings
) -> None:
    faults.lost_response_rate = 1.0
    faults.save()
    rid = request_id()
    lost = api.post(tenant.users, new_user(tenant), request_id=rid)
    assert lost.status == 504
    assert _count(tenant) == 3
    faults.lost_response_rate = 0.0
    faults.save()
    retried = api.post(tenant.users, new_user(tenant), request_id=rid)
    assert retried.status == 200
    assert retried.json()["userPrincipalName"] == "carol@contoso.onmicrosoft.com"
    assert _count(tenant) == 3


def test_random_throttling_answers_429_with_retry_after_and_the_gateway_body(
    api: Api, tenant: Tenant, faults: FaultSettings
) -> None:
    faults.throttle_rate = 1.0
    faults.retry_after_seconds = 7
    faults.save()
    answer = api.post(tenant.users, new_user(tenant))
    assert answer.status == 429
    assert answer.headers["Retry-After"] == "7"
    assert answer.json() == {
        "statusCode": 429,
        "message": "Rate limit is exceeded. Try again in 7 seconds.",
    }
    assert _count(tenant) == 2


def test_each_customer_has_its_own_token_bucket(
    api: Api, tenant: Tenant, faults: FaultSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    faults.throttle_capacity = 2
    faults.throttle_refill_per_second = 0.5
    faults.save()
    now = timezone.now()
    monkeypatch.setattr("portal.sandbox.clock.now", lambda: now)
    assert api.get(tenant.users).status == 200
    assert api.get(tenant.users).status == 200
    throttled = api.get(tenant.users)
    assert throttled.status == 429
    assert throttled.headers["Retry-After"] == "2"  # one token at 0.5 per second
    assert api.get("/customers").status == 200  # another bucket
    monkeypatch.setattr("portal.sandbox.clock.now", lambda: now + timedelta(seconds=2))
    assert api.get(tenant.users).status == 200


@pytest.mark.django_db(databases=["default", "sandbox"], transaction=True)
def test_latency_is_slept_outside_any_transaction(
    api: Api, tenant: Tenant, faults: FaultSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    faults.latency_ms = 250
    faults.save()
    slept: list[tuple[float, bool]] = []
    monkeypatch.setattr(
        "portal.sandbox.api.faults.time.sleep",
        lambda seconds: slept.append((seconds, connections["sandbox"].in_atomic_block)),
    )
    assert api.post(tenant.users, new_user(tenant)).status == 200
    assert slept == [(0.25, False)]


def test_json_bodies_start_with_a_bom_by_default_as_the_docs_samples_do(
    api: Api, tenant: Tenant
) -> None:
    user = api.get(tenant.user(tenant.bob))
    licences = api.get(f"{tenant.user(tenant.alice)}/licenses")
    created = api.post(tenant.users, new_user(tenant))
    missing = api.get(tenant.user("00000000-0000-0000-0000-000000000000"))
    for answer in (user, licences, created, missing):
        assert answer.raw.startswith(b"\xef\xbb\xbf{"), answer.raw[:10]
    assert user.json()["displayName"] == "Bob Builder"
    assert missing.code == 60002
    # An empty body (a 204) stays empty.
    assert api.delete(tenant.user(tenant.bob)).raw == b""


def test_the_bom_can_be_switched_off(api: Api, tenant: Tenant, faults: FaultSettings) -> None:
    faults.emit_bom = False
    faults.save()
    answer = api.get(tenant.user(tenant.bob))
    assert answer.raw.startswith(b"{")
    assert answer.json()["displayName"] == "Bob Builder"


def test_random_faults_repeat_with_the_same_seed(
    api: Api, tenant: Tenant, faults: FaultSettings
) -> None:
    def statuses(seed: int) -> list[int]:
        faults.error_rate, faults.random_seed = 0.5, seed
        faults.save()
        return [api.get(tenant.users).status for _ in range(12)]

    first = statuses(11)
    statuses(12)  # another seed in between
    assert statuses(11) == first
    assert {200} < set(first)


def test_no_password_is_kept_or_logged(
    api: Api, tenant: Tenant, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    created = api.post(tenant.users, new_user(tenant), request_id=request_id())
    api.patch(
        tenant.user(created.json()["id"]),
        {"passwordProfile": {"password": "Second!Secret9", "forceChangePassword": False}},
        request_id=request_id(),
    )
    dumped = dump_database("sandbox")
    for secret in (PASSWORD, "Second!Secret9"):
        assert secret not in dumped
        assert secret not in caplog.text
