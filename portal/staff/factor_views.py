"""The second factor's pages: the code step after a local sign-in, enrolling an authenticator app
(QR code, the secret to type, the first code, then ten recovery codes shown once), and new
recovery codes from the person's own page. The rules are in `portal.staff.second_factor`."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from portal.audit.records import Action, Actor, audit_record
from portal.staff.second_factor import (
    CodeRefused,
    code_verify,
    enrolled,
    enrolment_confirm,
    enrolment_pending,
    enrolment_start,
    recovery_codes_replace,
)
from portal.web.forms import style


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code",
        max_length=20,
        help_text="The six digits your authenticator app shows now, or one of your recovery codes.",
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style(self)


def _next(request: HttpRequest) -> str:
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    safe = url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return wanted if safe else resolve_url("/")


def _staff(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # login_required
    return request.user


def _shown_once(response: HttpResponse) -> HttpResponse:
    add_never_cache_headers(response)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def second_factor(request: HttpRequest) -> HttpResponse:
    """The code step after a local sign-in (an enrolled person, or anyone the gate sends)."""
    staff = _staff(request)
    if not enrolled(staff):
        return redirect("staff:second_factor_enrol")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            code_verify(request=request, user=staff, code=form.cleaned_data["code"])
        except CodeRefused as refused:
            form.add_error("code", str(refused))
            audit_record(
                actor=Actor.from_request(request),
                action=Action.SIGN_IN_FAILED,
                succeeded=False,
                message="Wrong second-factor code.",
            )
        else:
            return redirect(_next(request))
    context = {"form": form, "next": _next(request)}
    return render(
        request, "registration/second_factor.html", context, status=400 if form.errors else 200
    )


@login_required
@require_http_methods(["GET", "POST"])
def second_factor_enrol(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator app: scan or type, then the first code; recovery codes once."""
    staff = _staff(request)
    if enrolled(staff):
        messages.info(
            request,
            "Your authenticator app is set up already. For a new phone, ask a superuser to "
            "reset your second factor, then set it up again.",
        )
        return redirect("staff:account")
    form = CodeForm(request.POST or None)
    form.fields["code"].help_text = "The six digits the app shows for Partner Portal now."
    if request.method == "POST" and form.is_valid():
        try:
            codes = enrolment_confirm(request=request, user=staff, code=form.cleaned_data["code"])
        except CodeRefused as refused:
            form.add_error("code", str(refused))
            codes = None
        if codes is not None:
            audit_record(
                actor=Actor.from_request(request),
                action=Action.SECOND_FACTOR_ENROLLED,
                succeeded=True,
            )
            context = {"codes": codes, "next": _next(request), "first": True}
            return _shown_once(render(request, "registration/recovery_codes.html", context))
        elif not form.errors:
            form.add_error("code", "That code is not right. Type the code the app shows now.")
    enrolment = (enrolment_pending(user=staff) if request.method == "POST" else None) or (
        enrolment_start(user=staff)
    )
    context = {"form": form, "enrolment": enrolment, "next": _next(request)}
    status = 400 if form.errors else 200
    return _shown_once(
        render(request, "registration/second_factor_enrol.html", context, status=status)
    )


@login_required
@require_POST
def recovery_codes_new(request: HttpRequest) -> HttpResponse:
    """Ten new recovery codes from the person's own page; the old ones stop working."""
    staff = _staff(request)
    if not enrolled(staff):
        messages.error(request, "Set up an authenticator app first.")
        return redirect("staff:account")
    codes = recovery_codes_replace(user=staff)
    audit_record(
        actor=Actor.from_request(request),
        action=Action.SECOND_FACTOR_ENROLLED,
        succeeded=True,
        message="New recovery codes.",
    )
    context = {"codes": codes, "next": resolve_url("staff:account"), "first": False}
    return _shown_once(render(request, "registration/recovery_codes.html", context))
