"""Signing in and out: the sign-in page with its Microsoft button, the two legs of Sign in with
Microsoft, sign-out, the person's own page (Sign out everywhere) and a local password change."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import BACKEND_SESSION_KEY, login, logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.contrib.auth.models import User
from django.contrib.auth.views import LoginView, LogoutView, PasswordChangeView
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from portal.audit.records import Action, Actor, audit_record, audit_sign_in
from portal.staff.access import role_of, roles_listed
from portal.staff.entra import EntraSignInError, entra_sign_in_begin, entra_sign_in_complete
from portal.staff.second_factor import enrolled, needs_second_factor
from portal.staff.sessions import SIGNED_IN_AT, idle_seconds, sign_out_everywhere
from portal.web.forms import style

_FLOW_KEY: Final = "entra_flow"
_NEXT_KEY: Final = "entra_next"
BACKEND: Final = "portal.staff.backends.EntraBackend"
LOCAL_SIGNIN_OFF: Final = (
    "Sign-in with a portal password is turned off here. Use Sign in with Microsoft."
)


class SignInForm(AuthenticationForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style(self)


class PasswordForm(PasswordChangeForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style(self)


class SignInView(LoginView):
    """Django's sign-in with the portal's template; a signed-in visitor goes straight on."""

    template_name = "registration/login.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        audit_sign_in(self.request)
        return response


class SignOutView(LogoutView):
    """Django's sign-out (POST only), confirmed by a message on the sign-in page."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        # After logout the session is new and empty; the message reaches the next page through
        # the messages cookie.
        messages.info(request, "You have signed out.")
        return response


class ChangePasswordView(PasswordChangeView):
    """A local staff member changes their own password.

    Django's view keeps this session signed in and, because every session stores a hash of the
    password, ends the member's sessions everywhere else.
    """

    template_name = "registration/password_change.html"
    form_class = PasswordForm
    success_url = reverse_lazy("customers:dashboard")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        messages.success(
            self.request, "Your password was changed. Your other sessions were signed out."
        )
        return response


class PortalSignInView(SignInView):
    """The sign-in page: the local form, the Microsoft button, or both, as the settings say.

    With `PORTAL_LOCAL_SIGNIN=false` the form is not shown and a posted one is refused before any
    password is checked (the password backend refuses it too, which covers the admin's form).
    """

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["local_signin"] = settings.PORTAL_LOCAL_SIGNIN
        context["entra_signin"] = settings.PORTAL_ENTRA_SIGNIN
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not settings.PORTAL_LOCAL_SIGNIN:
            messages.error(request, LOCAL_SIGNIN_OFF)
            response = self.render_to_response(self.get_context_data())
            response.status_code = 403
            return response
        return super().post(request, *args, **kwargs)


def _enabled() -> None:
    if not settings.PORTAL_ENTRA_SIGNIN:
        raise Http404("Sign in with Microsoft is not turned on.")


def _redirect_uri(request: HttpRequest) -> str:
    configured: str = settings.PORTAL_ENTRA_REDIRECT_URI
    return configured or request.build_absolute_uri(reverse("staff:entra_callback"))


def _back_to_sign_in(request: HttpRequest, message: str) -> HttpResponse:
    messages.error(request, message)
    return redirect("staff:login")


@never_cache
@require_GET
def entra_sign_in(request: HttpRequest) -> HttpResponse:
    """Start Sign in with Microsoft: keep msal's flow in the session, go to Microsoft."""
    _enabled()
    try:
        flow = entra_sign_in_begin(redirect_uri=_redirect_uri(request))
    except EntraSignInError as error:
        return _back_to_sign_in(request, str(error))
    request.session[_FLOW_KEY] = flow
    next_page = request.GET.get("next", "")
    if url_has_allowed_host_and_scheme(
        next_page, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        request.session[_NEXT_KEY] = next_page
    return redirect(flow["auth_uri"])


@never_cache
@require_GET
def entra_callback(request: HttpRequest) -> HttpResponse:
    """Microsoft's answer: sign the staff member in, or say plainly on the sign-in page why not."""
    _enabled()
    # Popped, not read: an answer can be used once, and a failed one leaves nothing behind.
    flow = request.session.pop(_FLOW_KEY, None)
    next_page = request.session.pop(_NEXT_KEY, "")
    try:
        user = entra_sign_in_complete(flow=flow, auth_response=request.GET.dict())
    except EntraSignInError as error:
        return _back_to_sign_in(request, str(error))
    login(request, user, backend=BACKEND)
    audit_sign_in(request)
    return redirect(next_page or settings.LOGIN_REDIRECT_URL)


@login_required
@require_GET
def account(request: HttpRequest) -> HttpResponse:
    """The person's own page (top bar → their name): who they are here, their role, how and when
    they signed in, when the session ends, and Sign out everywhere."""
    assert isinstance(request.user, User)  # login_required
    signed_in_at = request.session.get(SIGNED_IN_AT)
    context = {
        "role": role_of(request.user),
        "roles": roles_listed(request.user),
        "microsoft": request.session.get(BACKEND_SESSION_KEY) == BACKEND,
        "signed_in_at": (
            datetime.fromtimestamp(float(signed_in_at), UTC) if signed_in_at else None
        ),
        "idle_minutes": idle_seconds() // 60,
        "lifetime_hours": int(settings.SESSION_COOKIE_AGE) / 3600,
        "factor": enrolled(request.user),
        "mfa_required": needs_second_factor(request.user),
    }
    return render(request, "registration/account.html", context)


@login_required
@require_POST
def sign_out_everywhere_view(request: HttpRequest) -> HttpResponse:
    """End every session of this person, this one included (a lost laptop, a shared browser)."""
    assert isinstance(request.user, User)  # login_required
    sign_out_everywhere(user=request.user)
    audit_record(
        actor=Actor.from_request(request), action=Action.SIGNED_OUT_EVERYWHERE, succeeded=True
    )
    logout(request)
    messages.info(request, "You were signed out everywhere, in this browser too.")
    return redirect("staff:login")
