"""Fault injection: latency, throttling (random and a per-customer token bucket), 5xx, lost answers.

The settings live in the sandbox's database (FaultSettings), so every process sees a change made
by `manage.py sandbox_faults`, the admin, or a test, without a restart.
"""

from __future__ import annotations

import math
import random
import threading
import time

from django.db import transaction

from portal.sandbox import clock
from portal.sandbox.api.wire import Answer, ApiError
from portal.sandbox.models import FaultSettings, ThrottleBucket

_rng_lock = threading.Lock()
_rng = random.Random()
_rng_seed: int | None = None


def chance(settings: FaultSettings, rate: float) -> bool:
    """True with probability `rate`; repeatable from the settings' random seed."""
    global _rng, _rng_seed
    if rate <= 0:
        return False
    with _rng_lock:
        if settings.random_seed != _rng_seed:
            _rng_seed = settings.random_seed
            _rng = random.Random(_rng_seed)
        return _rng.random() < rate


def sleep_latency(settings: FaultSettings) -> None:
    # Called outside any transaction, so concurrent slow calls overlap instead of queueing on a
    # database lock.
    if settings.latency_ms:
        time.sleep(settings.latency_ms / 1000)


class Throttled(ApiError):
    """The gateway's 429, which has its own body rather than the ApiFault envelope (§6)."""

    def __init__(self, retry_after: int) -> None:
        message = f"Rate limit is exceeded. Try again in {retry_after} seconds."
        super().__init__(429, 429, message, headers={"Retry-After": str(retry_after)})

    def answer(self) -> Answer:
        body = {"statusCode": 429, "message": self.description}
        return Answer(429, body, dict(self.headers))


def check_throttle(settings: FaultSettings, customer_key: str) -> None:
    """Raise a 429 when the random rate or the customer's token bucket says so."""
    if chance(settings, settings.throttle_rate):
        raise Throttled(settings.retry_after_seconds)
    if settings.throttle_capacity:
        wait = _take_token(settings, customer_key)
        if wait:
            raise Throttled(wait)


def _take_token(settings: FaultSettings, key: str) -> int:
    """Take one token from the bucket; 0 when there was one, else the seconds until there is."""
    capacity = float(settings.throttle_capacity)
    refill = max(settings.throttle_refill_per_second, 1e-6)
    now = clock.now()
    with transaction.atomic(using="sandbox"):
        bucket, created = ThrottleBucket.objects.select_for_update().get_or_create(
            key=key, defaults={"tokens": capacity - 1, "updated_at": now}
        )
        if created:
            return 0
        elapsed = max((now - bucket.updated_at).total_seconds(), 0.0)
        tokens = min(capacity, bucket.tokens + elapsed * refill)
        if tokens >= 1:
            bucket.tokens, bucket.updated_at = tokens - 1, now
            bucket.save(update_fields=["tokens", "updated_at"])
            return 0
        bucket.tokens, bucket.updated_at = tokens, now
        bucket.save(update_fields=["tokens", "updated_at"])
        return max(1, math.ceil((1 - tokens) / refill))


def check_server_error(settings: FaultSettings) -> None:
    """A 500 or 503 before anything is changed."""
    if chance(settings, settings.error_rate):
        if chance(settings, 0.5):
            raise ApiError(503, 503, "The service is temporarily unavailable. Try again later.")
        raise ApiError(500, 500, "An internal error occurred. Try again later.")


def lost_answer(settings: FaultSettings) -> bool:
    """True when a committed change should be answered 504 ("the answer was lost")."""
    return chance(settings, settings.lost_response_rate)
