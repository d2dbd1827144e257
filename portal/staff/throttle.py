"""Sign-in throttling on top of django-axes: two locks, each with its own threshold.

django-axes counts failures per username and address together (`AXES_LOCKOUT_PARAMETERS`), so
one address could try a password against every username. The portal adds a second count, every
failure from one address whatever the username, with a higher threshold
(`PORTAL_LOGIN_ADDRESS_FAILURE_LIMIT`, 50 by default), so an office behind one address is not
locked out by a few typos while a spray from one address is. Both counts cover the lockout window
(`PORTAL_LOGIN_LOCKOUT_MINUTES`), and both lead to the same lockout page, which says which lock
it is and for how long in words.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_cool_off, get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone


def address_failures(request: HttpRequest) -> int:
    """Failed sign-ins from the request's address within the lockout window, any username."""
    address = getattr(request, "axes_ip_address", "")
    if not address:
        return 0
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    attempts = AccessAttempt.objects.filter(ip_address=address, attempt_time__gte=since)
    total: int | None = attempts.aggregate(total=Sum("failures_since_start"))["total"]
    return total or 0


def address_locked(request: HttpRequest) -> bool:
    return address_failures(request) >= settings.PORTAL_LOGIN_ADDRESS_FAILURE_LIMIT


class SignInThrottle(AxesDatabaseHandler):  # type: ignore[misc]  # axes has no types
    """axes' database handler, also locking an address that failed too often across usernames.

    axes compares `get_failures` with its one limit wherever it decides (before a sign-in and
    after a failure), so a locked address reports at least that limit.
    """

    def get_failures(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
        failures: int = super().get_failures(request, credentials)
        if address_locked(request):
            return max(failures, int(get_failure_limit(request, credentials)))
        return failures


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """The lockout page (`AXES_LOCKOUT_CALLABLE`): which lock, and for how long, in words."""
    by_address = address_locked(request)
    context = {
        "by_address": by_address,
        "failure_limit": (
            settings.PORTAL_LOGIN_ADDRESS_FAILURE_LIMIT
            if by_address
            else get_failure_limit(request, credentials)
        ),
        "cooloff": duration_in_words(get_cool_off(request) or settings.AXES_COOLOFF_TIME),
    }
    return render(request, "registration/locked_out.html", context, status=429)


def duration_in_words(delta: timedelta) -> str:
    """'15 minutes', '1 hour', '1 hour 30 minutes'."""
    minutes = max(round(delta.total_seconds() / 60), 1)
    hours, minutes = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
    if minutes:
        parts.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
    return " ".join(parts)
