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

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Final

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from customers.directory.models import DirectoryBudget

MAX_SLOWDOWN: Final = 32.0
RECOVERY: Final = timedelta(seconds=60)
_EPOCH: Final = datetime(2000, 1, 1, tzinfo=UTC)


class CallCounter:
    """A pacer that only counts: every attempt of every call, retries included."""

    def __init__(self) -> None:
        self.calls = 0
        self.throttles = 0

    def before_call(self) -> None:
        self.calls += 1

    def throttled(self, retry_after: float | None) -> None:
        self.throttles += 1


class BackgroundBudget(CallCounter):
    """Paces calls to the shared background rate (see the module's docstring)."""

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

    def before_call(self) -> None:
        super().before_call()
        now = self.now()
        with transaction.atomic():
            budget = _budget()
            if budget.slowdown > 1 and budget.throttled_at and now - budget.throttled_at > RECOVERY:
                budget.slowdown = max(budget.slowdown / 2, 1.0)
                budget.throttled_at = now
            start = max(now, budget.next_call_at)
            budget.next_call_at = start + timedelta(seconds=budget.slowdown / self.rate)
            budget.save(update_fields=["next_call_at", "slowdown", "throttled_at"])
        wait = (start - now).total_seconds()
        if wait > 0:
            self.waited += wait
            self.sleep(wait)

    def throttled(self, retry_after: float | None) -> None:
        super().throttled(retry_after)
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
