"""Redis as a cache, not a dependency: when Redis does not answer, the portal goes on without
it (every read a miss, every write dropped) instead of answering 500 on every page of every
replica at once. The first failure in a minute is logged, as one line; `/healthz` reports the
cache as unavailable (status `warn`, HTTP 200: the process can still serve).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, Final, TypeVar

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger("portal.cache")

_UNAVAILABLE: Final = (RedisConnectionError, RedisTimeoutError, OSError)
_LOG_EVERY: Final = 60.0  # seconds between two warnings of the same outage
T = TypeVar("T")


_warned_at = [0.0]


def _warn(error: BaseException) -> None:
    """The first failure of an outage in a minute, in the log."""
    now = time.monotonic()
    if now - _warned_at[0] >= _LOG_EVERY:
        _warned_at[0] = now
        logger.warning("Redis does not answer (%s): going on without the cache", error)


class DegradingRedisCache(RedisCache):
    """Django's Redis cache that answers a miss (reads) or does nothing (writes) when Redis is
    down, saying so in the log at most once a minute."""

    def _or(self, fallback: T, call: Callable[[], T]) -> T:
        try:
            return call()
        except _UNAVAILABLE as error:
            _warn(error)
            return fallback

    def available(self) -> bool:
        """Whether Redis answers a ping now (for /healthz)."""
        return self._or(False, lambda: bool(self._cache.get_client().ping()))

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        return self._or(default, lambda: RedisCache.get(self, key, default, version))

    def get_many(self, keys: Any, version: int | None = None) -> dict[Any, Any]:
        return self._or({}, lambda: RedisCache.get_many(self, keys, version))

    def has_key(self, key: Any, version: int | None = None) -> bool:
        return self._or(False, lambda: RedisCache.has_key(self, key, version))

    def add(self, key: Any, value: Any, timeout: Any = None, version: int | None = None) -> bool:
        return self._or(False, lambda: RedisCache.add(self, key, value, timeout, version))

    def set(self, key: Any, value: Any, timeout: Any = None, version: int | None = None) -> None:
        self._or(None, lambda: RedisCache.set(self, key, value, timeout, version))

    def set_many(self, data: Any, timeout: Any = None, version: int | None = None) -> list[Any]:
        return self._or(list(data), lambda: RedisCache.set_many(self, data, timeout, version))

    def touch(self, key: Any, timeout: Any = None, version: int | None = None) -> bool:
        return self._or(False, lambda: RedisCache.touch(self, key, timeout, version))

    def delete(self, key: Any, version: int | None = None) -> bool:
        return self._or(False, lambda: RedisCache.delete(self, key, version))

    def delete_many(self, keys: Any, version: int | None = None) -> None:
        self._or(None, lambda: RedisCache.delete_many(self, keys, version))

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        # A missing key raises ValueError, as Django's caches do; an outage does too.
        try:
            return RedisCache.incr(self, key, delta, version)
        except _UNAVAILABLE as error:
            _warn(error)
            raise ValueError(f"Key {key!r} not found (the cache does not answer).") from None

    def clear(self) -> None:
        self._or(
            None,
            lambda: RedisCache.clear(
                self,
            ),
        )
