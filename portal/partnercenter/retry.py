"""How hard the client tries: bounded retries with back-off, a cap on waiting out throttling,
timeouts, and the sleep and clock it uses (injectable, so tests never wait for real time).

The rules, from Partner Center's contract and its .NET SDK:
- 5xx, 408 and transport failures are retried up to `max_attempts` in all, after
  `backoff(n)` seconds, re-sending the same MS-RequestId (Partner Center's idempotency key).
- 429 is waited out: `Retry-After` seconds, doubling while it repeats, for at most
  `throttle_wait_cap` seconds in all; then the call raises `Throttled`. A web request can afford a
  few seconds (then the page says "try again in N seconds"); a background worker much longer.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Protocol

# Per call site: what a person waiting for a page will sit through, and what a worker will.
WEB_THROTTLE_WAIT_CAP = 5.0
WORKER_THROTTLE_WAIT_CAP = 300.0

# Connect and read timeouts, in seconds. The .NET SDK allows 3 minutes per request; creating a
# user normally takes a second or two.
DEFAULT_TIMEOUT = (10.0, 120.0)

# A 429 without a usable Retry-After still waits this long, so throttling can never spin.
MIN_THROTTLE_WAIT = 1.0


def _sleep(seconds: float) -> None:
    # Looked up at call time, so the test suite can replace it once for every client it builds.
    time.sleep(seconds)


def _clock() -> float:
    return time.monotonic()


def sdk_backoff(attempt: int) -> float:
    """The .NET SDK's back-off before retry `attempt` (1-based): 0.5 s, 1.5 s, 3.5 s, ..."""
    return (2.0**attempt - 1) / 2


class Pacer(Protocol):
    """Paces a client's calls to a shared rate (e.g. the portal's budget of background calls):
    `before_call` waits for the next slot, `throttled` hears of each 429 so the rate can slow."""

    def before_call(self) -> None: ...

    def throttled(self, retry_after: float | None) -> None: ...


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 4
    backoff: Callable[[int], float] = sdk_backoff
    throttle_wait_cap: float = WEB_THROTTLE_WAIT_CAP
    timeout: float | tuple[float, float] = DEFAULT_TIMEOUT
    sleep: Callable[[float], None] = field(default=lambda seconds: _sleep(seconds))
    clock: Callable[[], float] = field(default=lambda: _clock())
    pacer: Pacer | None = None  # every attempt of every call waits its turn when set

    def with_throttle_wait_cap(self, seconds: float) -> RetryPolicy:
        return replace(self, throttle_wait_cap=seconds)

    def throttle_wait(self, retry_after: float | None, repeat: int) -> float:
        """Seconds to wait after the `repeat`-th consecutive 429 (0-based): Retry-After, then
        doubling, as Partner Center's throttling guidance asks."""
        base = max(retry_after or 0.0, MIN_THROTTLE_WAIT)
        return base * 2.0**repeat


__all__ = [
    "DEFAULT_TIMEOUT",
    "WEB_THROTTLE_WAIT_CAP",
    "WORKER_THROTTLE_WAIT_CAP",
    "Pacer",
    "RetryPolicy",
    "sdk_backoff",
]
