"""The Partner Center connection page (superusers): its state, and Connect / Reconnect.

Connect is a POST (CSRF-protected) that starts msal's authorization code flow and sends the
browser to Microsoft's sign-in; Microsoft sends it back to the callback, which stores the sign-in.
The flow (PKCE verifier, state, nonce) waits in the server-side session between the two.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from portal.connection.services import connection_status
from portal.partnercenter.connect import connection_finish, connection_start
from portal.partnercenter.errors import PartnerCenterError

FLOW_SESSION_KEY = "partner_center_connect_flow"

View = Callable[..., HttpResponse]


def superuser_required(view: View) -> View:
    """Sign-in first (redirect), then superusers only (the 403 page)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.user.is_superuser:
            raise PermissionDenied("Only a superuser manages the Partner Center connection.")
        return view(request, *args, **kwargs)

    return wrapper


@require_GET
@superuser_required
def connection_page(request: HttpRequest) -> HttpResponse:
    """Mode, partner tenant, app id, the token cache's state, the last successful sign-in."""
    return render(request, "portal/connection.html", {"status": connection_status()})


@require_POST
@superuser_required
def connection_connect(request: HttpRequest) -> HttpResponse:
    """Start Connect: off to Microsoft's sign-in (with MFA), back at the callback."""
    if settings.SANDBOX_ENABLED:
        messages.info(request, "Sandbox mode needs no Partner Center sign-in.")
        return redirect("connection:page")
    try:
        flow = connection_start(
            redirect_uri=request.build_absolute_uri(reverse("connection:callback"))
        )
    except PartnerCenterError as error:
        messages.error(request, f"Not connected: {error}")
        return redirect("connection:page")
    request.session[FLOW_SESSION_KEY] = flow
    return redirect(flow["auth_uri"])


@require_GET
@superuser_required
def connection_callback(request: HttpRequest) -> HttpResponse:
    """Microsoft's sign-in sends the browser back here with a code (or an error)."""
    flow = request.session.pop(FLOW_SESSION_KEY, None)
    if not flow:
        messages.error(
            request, "This sign-in answer belongs to no Connect in progress: start again."
        )
        return redirect("connection:page")
    try:
        connected = connection_finish(flow=flow, auth_response=request.GET.dict())
    except PartnerCenterError as error:
        messages.error(request, f"Not connected: {error}")
        return redirect("connection:page")
    who = connected.connection.username or "an account without a username"
    text = f"Connected to Partner Center as {who}. Every web and worker process now uses it."
    if not connected.mfa_confirmed:
        text += " Microsoft's answer did not say whether the sign-in used MFA."
    messages.success(request, text)
    return redirect("connection:page")
