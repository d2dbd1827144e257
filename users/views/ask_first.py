"""The user page's actions that ask first: Reset password (must they change it, the ticket, the
one-time id) and Delete user account. GET asks; POST does it."""

from __future__ import annotations

import uuid
from typing import Final
from uuid import UUID

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from customers.directory.user_queries import user_get
from customers.pages import shows_problems
from portal.audit.records import Actor
from portal.partnercenter import PartnerCenterError
from portal.staff.access import Capability, require_capability
from portal.tickets import ticket_from_link
from portal.web.clients import partner_center_for
from portal.web.http import HtmxHttpRequest
from users import assignments, services
from users.bulk.when import due_text
from users.forms import DeleteUserForm, ResetPasswordForm, WhenForm
from users.models import OneTimeRequest
from users.selected import SelectedAction, selected_job_create
from users.views.common import NOT_FOUND, audit_for, error_message, read_once
from users.views.user_page import UserPage, check_may, user_page

RESET_UNCONFIRMED: Final = (
    "Partner Center did not confirm that the password was reset. Press Reset password again — "
    "it will not reset it twice."
)


@require_http_methods(["GET", "POST"])
@require_capability(Capability.RESET_PASSWORD)
@shows_problems("users/detail.html", not_found=NOT_FOUND)
def user_reset_password(request: HtmxHttpRequest, customer_id: UUID, user_id: UUID) -> HttpResponse:
    """Reset password: GET asks first (must they change it, the ticket); POST sets a new
    generated password, shown once on the answer itself (no-store).

    The form's one-time id is the call's MS-RequestId: a resubmitted form (reload, back and
    forward) resets nothing and offers to reset again, as a new action.
    """
    pc = partner_center_for(request)
    page = user_page(request, pc, customer_id, user_id)
    check_may(request, page, Capability.RESET_PASSWORD)
    if request.method != "POST":
        form = ResetPasswordForm(initial={"ticket": ticket_from_link(request)})
        return _reset_page(request, page, form)
    form = ResetPasswordForm(request.POST)
    pending = request.POST.get("reset-pending") == "1"
    if not form.is_valid():
        form_id = str(form.cleaned_data.get("form_id") or "")
        keep = form_id if pending and form_id else ""
        return _reset_page(request, page, form, form_id=keep, pending=bool(keep))
    request_id = str(form.cleaned_data["form_id"])
    force_change = form.cleaned_data["force_change_password"]
    try:
        result = services.user_reset_password(
            pc=pc,
            audit=audit_for(request, page.customer, form.cleaned_data["ticket"]),
            user_id=page.user_id,
            username=page.username,
            force_change=force_change,
            request_id=request_id,
        )
    except PartnerCenterError as error:
        if error.outcome_unknown:
            form.add_error(None, RESET_UNCONFIRMED)
            return _reset_page(request, page, form, form_id=request_id, pending=True)
        form.add_error(None, error_message(request, error, page.customer.company_name))
        return _reset_page(request, page, form)
    if result.already_done is not None:
        again = ResetPasswordForm(
            initial={"ticket": form.cleaned_data["ticket"], "force_change_password": force_change}
        )
        return _reset_page(request, page, again, already=result.already_done)
    return _reset_done(request, page, form, result)


def _reset_done(
    request: HtmxHttpRequest,
    page: UserPage,
    form: ResetPasswordForm,
    result: services.ResetResult,
) -> HttpResponse:
    """Reset's answer, read once: the new password, or that it is unknown."""
    context = {
        "customer": page.customer,
        "person": page.details.user,
        "password": result.password,
        "password_lost": result.password_lost,
        "force_change": form.cleaned_data["force_change_password"],
        "ticket": form.cleaned_data["ticket"],
        "reset_form_id": assignments.new_request_id(),
    }
    return read_once(render(request, "users/password_reset.html", context))


@require_capability(Capability.DELETE_USER)
@shows_problems("users/detail.html", not_found=NOT_FOUND)
def user_delete(request: HtmxHttpRequest, customer_id: UUID, user_id: UUID) -> HttpResponse:
    """Delete user account: GET asks for confirmation, naming the user; POST deletes, now or
    (When: At…) as a scheduled change that runs at that time."""
    pc = partner_center_for(request)
    page = user_page(request, pc, customer_id, user_id)
    check_may(request, page, Capability.DELETE_USER)
    locations = [page.details.user.usage_location or ""]
    if request.method != "POST":
        form = DeleteUserForm(initial={"ticket": ticket_from_link(request)})
        return _delete_page(request, page, form, WhenForm(locations=locations))
    form = DeleteUserForm(request.POST)
    when = WhenForm(request.POST, locations=locations)
    if not (form.is_valid() and when.is_valid()):
        return _delete_page(request, page, form, when)
    if when.cleaned_data["schedule"]:
        return _delete_later(request, page, form, when)
    try:
        services.user_delete(
            pc=pc,
            audit=audit_for(request, page.customer, form.cleaned_data["ticket"]),
            user_id=page.user_id,
            username=page.username,
        )
    except PartnerCenterError as error:
        form.add_error(None, error_message(request, error, page.customer.company_name))
        return _delete_page(request, page, form, when)
    messages.success(
        request,
        f"Deleted {page.username}. It can be restored from Deleted users for 30 days.",
    )
    return redirect("customers:users", customer_id=page.customer.id)


def _reset_page(
    request: HtmxHttpRequest,
    page: UserPage,
    form: ResetPasswordForm,
    *,
    form_id: str = "",
    pending: bool = False,
    already: OneTimeRequest | None = None,
) -> HttpResponse:
    context = {
        "customer": page.customer,
        "person": page.details.user,
        "protected": page.details.is_protected,
        "reset_form": form,
        # Every rendering of the form has its own one-time id, unless it is the same press
        # again after Partner Center did not confirm it.
        "reset_form_id": form_id or assignments.new_request_id(),
        "reset_pending": pending,
        "reset_already": already,
    }
    return render(request, "users/reset_confirm.html", context)


def _delete_later(
    request: HtmxHttpRequest, page: UserPage, form: DeleteUserForm, when: WhenForm
) -> HttpResponse:
    """Schedule the delete: a Delete job for this one user, waiting for its time. The page's
    one-time token makes a second send find the job the first made."""
    person = user_get(page.customer.mirror, page.user_id)
    if person is None:
        form.add_error(None, "This user is not in the portal's copy of the directory yet: Refresh.")
        return _delete_page(request, page, form, when)
    job = selected_job_create(
        customer=page.customer.mirror,
        action=SelectedAction.DELETE,
        users=[person],
        actor=Actor.from_request(request),
        form_token=request.POST.get("form_token", ""),
        ticket=form.cleaned_data["ticket"],
        schedule=when.cleaned_data["schedule"],
    )
    messages.success(request, f"Scheduled: {page.username} is deleted at {due_text(job)}.")
    return redirect("users:bulk_job", customer_id=page.customer.id, job_id=job.public_id)


def _delete_page(
    request: HtmxHttpRequest, page: UserPage, form: DeleteUserForm, when: WhenForm
) -> HttpResponse:
    context = {
        "customer": page.customer,
        "person": page.details.user,
        "form": form,
        "when_form": when,
        "form_token": request.POST.get("form_token") or uuid.uuid4(),
        "protected": page.details.is_protected,
    }
    return render(request, "users/delete_confirm.html", context)
