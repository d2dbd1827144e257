"""Selected users: the Users and licenses list's check boxes lead here with an action.

GET shows what will happen — the users it covers, those left out and why, the choices the
action needs (licenses to assign and remove; for a Delete of more than ten, the count typed) and
the ticket; POST makes the background job (`users/selected.py`) and goes to its page, which is
a bulk job's page: progress, a result per user, Retry failed rows, the passwords of a reset.

The selection arrives as the checked ids (`users`), or as `all=1` with the list's search and
filters (every user the list shows, at most 500); the confirmation sends the ids it listed, so
what is confirmed is what is done.
"""

from __future__ import annotations

import uuid
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from customers.directory.customer_queries import skus_of
from customers.directory.models import DirectoryUser
from customers.directory.user_queries import UserListQuery
from customers.pages import customer_or_404, shows_problems
from customers.services import CustomerRow
from portal.audit.records import Actor
from portal.staff.access import Capability, check_capability, require_capability
from portal.tickets import ticket_from_link
from portal.web.clients import partner_center_for
from portal.web.http import HtmxHttpRequest
from portal.web.paging import with_query
from users.bulk.models import BulkJob
from users.forms import SelectedActionForm, WhenForm
from users.selected import (
    TYPED_COUNT_OVER,
    SelectedAction,
    Selection,
    SelectionRefused,
    license_plan,
    selected_job_create,
    selection_of,
    selection_split,
    skips_protected,
)


@require_http_methods(["GET", "POST"])
@require_capability(Capability.VIEW)
@shows_problems("users/selected.html")
def users_selected(request: HtmxHttpRequest, customer_id: UUID) -> HttpResponse:
    data = request.POST if request.method == "POST" else request.GET
    customer = customer_or_404(pc=partner_center_for(request), customer_id=customer_id)
    back = _list_url(customer, data)
    try:
        action = SelectedAction(data.get("action", ""))
    except ValueError:
        messages.error(request, "Choose what to do with the selected users.")
        return redirect(back)
    check_capability(request.user, action.capability)
    try:
        users = _users_of(request, customer, data)
    except SelectionRefused as refused:
        messages.error(request, str(refused))
        return redirect(back)
    selection = selection_split(staff=request.user, action=action, users=users)
    count = len(selection.users)
    options = _form_options(customer, action, count)
    locations = [user.usage_location for user in selection.users]
    if request.method == "GET":
        initial = {"form_token": uuid.uuid4(), "ticket": ticket_from_link(request)}
        form = SelectedActionForm(initial=initial, **options)
        when = WhenForm(locations=locations)
        return _page(request, customer, action, selection, form, when, back)
    form = SelectedActionForm(request.POST, **options)
    when = WhenForm(request.POST, locations=locations)
    if form.is_valid() and when.is_valid() and count:
        try:
            job = _job_start(request, customer, action, selection, form, when)
        except SelectionRefused as refused:
            form.add_error(None, str(refused))
        else:
            return redirect("users:bulk_job", customer_id=customer.id, job_id=job.public_id)
    return _page(request, customer, action, selection, form, when, back, status=400)


def _users_of(
    request: HtmxHttpRequest, customer: CustomerRow, data: QueryDict
) -> list[DirectoryUser]:
    """The users the check boxes name, or with `all=1` on a GET every user the list shows."""
    every = data.get("all") == "1" and request.method == "GET"
    return selection_of(
        customer=customer.mirror,
        user_ids=data.getlist("users"),
        query=UserListQuery.from_params(data) if every else None,
    )


def _form_options(customer: CustomerRow, action: SelectedAction, count: int) -> dict[str, Any]:
    """What the confirmation form asks: licenses for a Licenses action, a typed count for a
    large Delete or Offboard."""
    return {
        "skus": skus_of(customer.mirror),
        "licenses": action is SelectedAction.LICENSES,
        "typed_count": count
        if action in (SelectedAction.DELETE, SelectedAction.OFFBOARD) and count > TYPED_COUNT_OVER
        else None,
    }


def _job_start(
    request: HtmxHttpRequest,
    customer: CustomerRow,
    action: SelectedAction,
    selection: Selection,
    form: SelectedActionForm,
    when: WhenForm,
) -> BulkJob:
    """The background job for a confirmed selection; raises `SelectionRefused`."""
    plan = (
        license_plan(
            customer=customer.mirror,
            users=selection.users,
            assign=form.cleaned_data["assign"],
            remove=form.cleaned_data["remove"],
        )
        if action is SelectedAction.LICENSES
        else None
    )
    return selected_job_create(
        customer=customer.mirror,
        action=action,
        users=selection.users,
        actor=Actor.from_request(request),
        form_token=str(form.cleaned_data["form_token"]),
        ticket=form.cleaned_data["ticket"],
        plan=plan,
        skip_protected=skips_protected(request.user, action),
        left_out=len(selection.left_out),
        schedule=when.cleaned_data["schedule"],
    )


def _page(
    request: HtmxHttpRequest,
    customer: CustomerRow,
    action: SelectedAction,
    selection: Selection,
    form: SelectedActionForm,
    when: WhenForm,
    back: str,
    *,
    status: int = 200,
) -> HttpResponse:
    context = {
        "customer": customer,
        "company_name": customer.company_name,
        "action": action,
        "selection": selection,
        "count": len(selection.users),
        "form": form,
        "when_form": when,
        "back": back,
    }
    return render(request, "users/selected.html", context, status=status)


def _list_url(customer: CustomerRow, data: QueryDict) -> str:
    """The users list as it was shown: its search, filters and sort."""
    params = UserListQuery.from_params(data).params()
    return with_query(reverse("customers:users", args=[customer.id]), **params)
