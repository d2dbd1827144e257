"""Sessions that end: after `PORTAL_SESSION_IDLE_MINUTES` without a request (default 30), after
`SESSION_COOKIE_AGE` from sign-in whatever the activity (default 8 hours), and at once after
"Sign out everywhere". A Microsoft sign-in is also sent back through Microsoft once the idle
timeout has passed since it was made, active or not, so that someone taken out of an Entra group
loses the role it gave within that time (a local account's role is read at every request).

`session_started` (on `user_logged_in`) stamps the session; `SessionExpiryMiddleware` checks it
on every signed-in request and ends it with a message saying why.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Final

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import BACKEND_SESSION_KEY, logout
from django.contrib.auth.models import User
from django.contrib.auth.views import redirect_to_login
from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, resolve_url
from django.urls import reverse
from django.utils.http import urlencode

from portal.models import StaffSignOut

SIGNED_IN_AT: Final = "portal_signed_in_at"  # seconds since the epoch
LAST_SEEN: Final = "portal_last_seen"
# The last request's time is written back at most this often (not a session write per request).
TOUCH_EVERY: Final = 60
ENTRA_BACKEND: Final = "portal.staff.backends.EntraBackend"


def now() -> float:
    """The clock (tests replace it)."""
    return time.time()


def idle_seconds() -> int:
    return int(settings.PORTAL_SESSION_IDLE_MINUTES) * 60


def session_started(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    """`user_logged_in`: when this session began, and its first activity."""
    started = now()
    request.session[SIGNED_IN_AT] = started
    request.session[LAST_SEEN] = started


def why_ended(session: SessionBase, user: User, at: float) -> str:
    """Why this signed-in session is over at `at`, or "" while it goes on. A session made before
    sessions were stamped is stamped now instead of ended."""
    signed_in_at = session.get(SIGNED_IN_AT)
    if signed_in_at is None:
        session[SIGNED_IN_AT] = session[LAST_SEEN] = at
        return ""
    minutes = int(settings.PORTAL_SESSION_IDLE_MINUTES)
    if at - float(session.get(LAST_SEEN, signed_in_at)) > idle_seconds():
        return f"You were signed out after {minutes} minutes without activity. Sign in again."
    if at - float(signed_in_at) > int(settings.SESSION_COOKIE_AGE):
        hours = int(settings.SESSION_COOKIE_AGE) / 3600
        return f"Your session ended {hours:g} hours after you signed in. Sign in again."
    everywhere = _signed_out_everywhere_at(user)
    if everywhere is not None and everywhere.timestamp() > float(signed_in_at):
        return "You were signed out everywhere. Sign in again."
    if session.get(BACKEND_SESSION_KEY) == ENTRA_BACKEND and at - float(signed_in_at) > (
        idle_seconds()
    ):
        return f"Microsoft sign-in is checked again every {minutes} minutes."
    return ""


def _signed_out_everywhere_at(user: User) -> datetime | None:
    """Read with the user by the authentication backends (`portal.staff.backends`)."""
    try:
        return user.signed_out_everywhere.at
    except StaffSignOut.DoesNotExist:
        return None


class SessionExpiryMiddleware:
    """After authentication and messages: ends a session that is over (see the module), sending
    the request to the sign-in page (a Microsoft sign-in straight back to Microsoft) with the
    page it asked for; otherwise notes its activity."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        user = getattr(request, "user", None)
        if isinstance(user, User) and user.is_authenticated:
            at = now()
            reason = why_ended(request.session, user, at)
            if reason:
                return self._end(request, reason)
            if at - float(request.session.get(LAST_SEEN, 0)) >= TOUCH_EVERY:
                request.session[LAST_SEEN] = at
        return self.get_response(request)

    @staticmethod
    def _end(request: HttpRequest, reason: str) -> HttpResponseBase:
        entra = request.session.get(BACKEND_SESSION_KEY) == ENTRA_BACKEND
        logout(request)
        messages.info(request, reason)
        back = request.get_full_path() if request.method == "GET" else ""
        if entra and settings.PORTAL_ENTRA_SIGNIN:
            target = reverse("staff:entra_sign_in")
            return redirect(f"{target}?{urlencode({'next': back})}" if back else target)
        return redirect_to_login(back or resolve_url(settings.LOGIN_REDIRECT_URL))


def sign_out_everywhere(*, user: User) -> None:
    """End every session of `user`, this one included (each ends at its next request)."""
    at = datetime.fromtimestamp(now(), UTC)
    StaffSignOut.objects.update_or_create(user=user, defaults={"at": at})
