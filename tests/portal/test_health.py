"""`/healthz`: the database decides; Partner Center and stalled uploads are reported."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import requests
import responses
from django.core.cache import cache
from django.db import DatabaseError
from django.test import Client
from django.utils import timezone
from pytest_django import Settings

from portal import crypto, health
from portal.models import PartnerCenterTokenCache
from users.bulk.models import BulkJob

pytestmark = pytest.mark.django_db


def job(**fields: Any) -> BulkJob:
    return BulkJob.objects.create(
        customer_id="c1",
        created_by_username="amara",
        file_name="users.csv",
        usage_location="US",
        created_at=timezone.now(),
        enqueued_at=timezone.now(),
        **fields,
    )


def test_healthy_answers_200_without_sign_in_host_or_https(
    client: Client, settings: Settings
) -> None:
    # As in production: only the public host is allowed and http is redirected to https, yet
    # the container's own check on http://127.0.0.1:8000/healthz gets its answer.
    settings.ALLOWED_HOSTS = ["portal.example.com"]
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/healthz", HTTP_HOST="127.0.0.1:8000")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "bulk_jobs_stalled": 0,
        "partner_center": {"mode": "sandbox", "reachable": True},
    }
    assert response["Cache-Control"] == "no-store"
    assert client.get("/", HTTP_HOST="127.0.0.1:8000").status_code == 400  # the rest is guarded


def test_an_unreachable_database_fails_the_check_in_one_log_line(
    client: Client, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*args: Any, **kwargs: Any) -> None:
        raise DatabaseError("connection refused")

    monkeypatch.setattr("django.db.backends.utils.CursorWrapper.execute", broken)
    with caplog.at_level("INFO"):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "fail", "database": "unreachable"}
    # The access line, with the request id; not Django's "Service Unavailable" besides.
    lines = [record.getMessage() for record in caplog.records]
    assert len(lines) == 1 and lines[0].startswith("GET /healthz 503 ")
    assert lines[0].endswith(" user=- cause=database: DatabaseError: connection refused")


def test_stalled_bulk_uploads_are_counted_and_warn(client: Client) -> None:
    now = timezone.now()
    job(state=BulkJob.RUNNING, lease_owner="w1", lease_expires_at=now + timedelta(seconds=30))
    job(state=BulkJob.RUNNING, lease_owner="w2", lease_expires_at=now - timedelta(seconds=1))
    job(state=BulkJob.FINISHED, lease_owner="w3", lease_expires_at=now - timedelta(hours=1))
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["bulk_jobs_stalled"] == 1
    assert response.json()["status"] == "warn"


@pytest.fixture
def live(settings: Settings) -> Iterator[None]:
    settings.SANDBOX_ENABLED = False
    settings.PARTNER_CENTER_MODE = "live"
    settings.PARTNER_CENTER_BASE_URL = "https://api.partnercenter.test"
    settings.PORTAL_ENCRYPTION_KEYS = [crypto.generate_key()]
    cache.delete(health.PROBE_CACHE_KEY)
    yield
    cache.delete(health.PROBE_CACHE_KEY)


@responses.activate
def test_live_partner_center_is_reported_and_cached_but_never_fails_the_check(
    client: Client, live: None
) -> None:
    responses.get("https://api.partnercenter.test", status=404)
    PartnerCenterTokenCache.objects.create(
        encrypted_cache=crypto.encrypt("{}"),
        connected_as="admin@contoso.example",
        last_success_at=timezone.now(),
    )
    first = client.get("/healthz")
    assert first.status_code == 200
    pc = first.json()["partner_center"]
    assert pc["mode"] == "live" and pc["reachable"] is True and pc["connected"] is True
    assert pc["sign_in_failing"] is False
    client.get("/healthz")
    assert len(responses.calls) == 1  # the probe is kept for a minute in the shared cache


@responses.activate
def test_live_partner_center_unreachable_and_sign_in_failing_still_pass(
    client: Client, live: None
) -> None:
    responses.get("https://api.partnercenter.test", body=requests.ConnectionError("down"))
    PartnerCenterTokenCache.objects.create(encrypted_cache="x", last_error="invalid_grant")
    response = client.get("/healthz")
    assert response.status_code == 200
    pc = response.json()["partner_center"]
    assert pc["reachable"] is False and pc["error"] == "ConnectionError"
    assert pc["sign_in_failing"] is True


@responses.activate
def test_a_token_cache_no_key_opens_is_not_connected_and_warns(
    client: Client, live: None, settings: Settings
) -> None:
    responses.get("https://api.partnercenter.test", status=404)
    PartnerCenterTokenCache.objects.create(encrypted_cache=crypto.encrypt("{}"))
    settings.PORTAL_ENCRYPTION_KEYS = [crypto.generate_key()]  # the old key rotated away
    response = client.get("/healthz")
    assert response.status_code == 200
    pc = response.json()["partner_center"]
    assert pc["connected"] is False
    assert pc["token_cache"] == "unreadable with the configured keys"
    assert response.json()["status"] == "warn"
