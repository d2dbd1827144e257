"""Redis down is a cache miss, not a 500: the portal goes on, /healthz says "warn"."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.cache.backends.redis import RedisCache
from django.test import Client
from pytest_django.fixtures import Settings

from portal import cache as cache_module
from portal.cache import DegradingRedisCache

DOWN = "redis://127.0.0.1:1/0"  # nothing listens there


def _cache(location: str) -> DegradingRedisCache:
    return DegradingRedisCache(location, {"OPTIONS": {"socket_connect_timeout": 0.2}})


@pytest.fixture
def redis_down(settings: Settings) -> Iterator[None]:
    settings.CACHES = {
        "default": {
            "BACKEND": "portal.cache.DegradingRedisCache",
            "LOCATION": DOWN,
            "OPTIONS": {"socket_connect_timeout": 0.2},
        }
    }
    cache_module._warned_at[0] = 0.0
    yield
    cache.close()


def test_every_operation_answers_as_a_miss_and_one_warning_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    cache_module._warned_at[0] = 0.0
    down = _cache(DOWN)
    with caplog.at_level(logging.WARNING, logger="portal.cache"):
        assert down.get("k", "default") == "default"
        down.set("k", "v")
        assert down.add("k", "v") is False
        assert down.get_many(["a", "b"]) == {}
        assert down.delete("k") is False
        with pytest.raises(ValueError):
            down.incr("k")
        assert down.available() is False
    warnings = [r for r in caplog.records if r.name == "portal.cache"]
    assert len(warnings) == 1 and "going on without the cache" in warnings[0].getMessage()


def test_a_redis_that_answers_is_used_as_it_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    stored: dict[str, object] = {}
    monkeypatch.setattr(RedisCache, "set", lambda self, key, value, *a: stored.update({key: value}))
    monkeypatch.setattr(RedisCache, "get", lambda self, key, default=None, *a: stored.get(key))
    healthy = _cache(DOWN)  # the calls never reach the network here
    healthy.set("key", "value")
    assert healthy.get("key") == "value"


@pytest.mark.django_db(databases=["default", "sandbox"])
def test_pages_and_healthz_go_on_without_redis(
    redis_down: None, client: Client, admin_agent: User
) -> None:
    health = client.get("/healthz")
    assert health.status_code == 200
    assert health.json()["cache"] == "unavailable"
    assert health.json()["status"] == "warn"
    client.force_login(admin_agent)
    assert client.get("/").status_code == 200
