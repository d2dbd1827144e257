"""The one budget of background Partner Center calls, shared by every process.

The sweep that keeps the directory fresh, and any other background reading, pace their calls
through `BackgroundBudget`: at most `PORTAL_DIRECTORY_CALLS_PER_SECOND` across every process,
whatever the number of workers. A 429 from Partner Center pushes the next call past its
Retry-After and halves the rate; a minute without one restores it by half again. What a person
does (a page, Add user, a bulk upload, a Refresh) never takes from this budget, so it never
waits behind background work.

The slot is reserved in one short transaction on a single row (`DirectoryBudget`): SQLite
serialises it, PostgreSQL locks the row.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from customers.directory.models import DirectoryBudget

MAX_SLOWDOWN: Final = 32.0
SLOTS_AT_ONCE: Final = 5
RECOVERY: Final = timedelta(seconds=60)
_EPOCH: Final = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Until:
    """How long a slice of background work may go on: until `deadline` (`time.monotonic()`), or
    sooner when `stop` is set — the process was asked to stop (SIGTERM: `docker stop` waits 10 s
    by default), and the slice ends at the next customer or user, not at its deadline."""

    deadline: float
    stop: threading.Event | None = None

    @classmethod
    def within(cls, seconds: float, stop: threading.Event | None = None) -> Until:
        return cls(time.monotonic() + seconds, stop)

    def over(self) -> bool:
        return time.monotonic() >= self.deadline or (self.stop is not None and self.stop.is_set())


class CallCounter:
    """A pacer that only counts: every attempt of every call, retries included (threads of one
    sync share it; a lost count now and then would only blur a progress figure)."""

    def __init__(self) -> None:
        self.calls = 0
        self.throttles = 0

    def before_call(self) -> None:
        self.calls += 1

    def throttled(self, retry_after: float | None) -> None:
        self.throttles += 1


class BackgroundBudget(CallCounter):
    """Paces calls to the shared background rate (see the module's docstring).

    Slots are reserved a few at a time (`SLOTS_AT_ONCE`) in one transaction and handed out
    here, to this process's threads in turn: the shared row is written once per few calls, not
    once per call, so a sync's own writes (SQLite has one writer) never hold its calls up.
    """

    def __init__(
        self,
        *,
        calls_per_second: float | None = None,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], datetime] = timezone.now,
    ) -> None:
        super().__init__()
        self.rate = calls_per_second or settings.PORTAL_DIRECTORY_CALLS_PER_SECOND
        self.sleep = sleep
        self.now = now
        self.waited = 0.0
        self._slots: list[datetime] = []
        self._lock = threading.Lock()

    def before_call(self) -> None:
        with self._lock:
            super().before_call()
            if not self._slots:
                self._slots = self._reserve(self.now())
            start = self._slots.pop(0)
        wait = (start - self.now()).total_seconds()
        if wait > 0:
            self.waited += wait
            self.sleep(wait)

    def _reserve(self, now: datetime) -> list[datetime]:
        with transaction.atomic():
            budget = _budget()
            if budget.slowdown > 1 and budget.throttled_at and now - budget.throttled_at > RECOVERY:
                budget.slowdown = max(budget.slowdown / 2, 1.0)
                budget.throttled_at = now
            interval = timedelta(seconds=budget.slowdown / self.rate)
            # Slowed down, one slot at a time: the next 429 must be heard at once.
            count = SLOTS_AT_ONCE if budget.slowdown == 1 else 1
            start = max(now, budget.next_call_at)
            budget.next_call_at = start + interval * count
            budget.save(update_fields=["next_call_at", "slowdown", "throttled_at"])
        return [start + interval * number for number in range(count)]

    def throttled(self, retry_after: float | None) -> None:
        with self._lock:
            super().throttled(retry_after)
            self._slots = []  # reserved at the old rate
        now = self.now()
        with transaction.atomic():
            budget = _budget()
            budget.slowdown = min(budget.slowdown * 2, MAX_SLOWDOWN)
            budget.throttled_at = now
            pause = now + timedelta(seconds=retry_after if retry_after is not None else 1.0)
            budget.next_call_at = max(budget.next_call_at, pause)
            budget.save(update_fields=["next_call_at", "slowdown", "throttled_at"])


def _budget() -> DirectoryBudget:
    """The one row, locked for this transaction (made on first use)."""
    row = DirectoryBudget.objects.select_for_update().filter(pk=1).first()
    if row is not None:
        return row
    try:
        with transaction.atomic():
            return DirectoryBudget.objects.create(pk=1, next_call_at=_EPOCH)
    except IntegrityError:  # another process made it first
        return DirectoryBudget.objects.select_for_update().get(pk=1)
