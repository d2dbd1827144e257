"""Sign in and out, and the pages that belong to no app yet."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.views import LoginView, LogoutView, PasswordChangeView
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse_lazy

from portal.access import Capability, require_capability


class SignInView(LoginView):
    """Django's sign-in with the portal's template; a signed-in visitor goes straight on."""

    template_name = "registration/login.html"
    redirect_authenticated_user = True


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
    success_url = reverse_lazy("customers:dashboard")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        messages.success(
            self.request, "Your password was changed. Your other sessions were signed out."
        )
        return response


@require_capability(Capability.VIEW)
def audit_log(request: HttpRequest) -> HttpResponse:
    """Placeholder until the audit log lands, so the left navigation never leads to a 404."""
    return render(request, "portal/audit_log.html")
