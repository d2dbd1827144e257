"""Add user: the form (a page, or the modal with htmx), and Save's one-time answer.

Every rendering of the form carries a new one-time id, which becomes the create call's
MS-RequestId; `user_create` remembers which ids created a user, so a resubmitted form (reload,
back, double click) creates nothing. The one exception to "a re-shown form gets a new id" is an
answer Partner Center did not confirm: the same id is kept, so pressing Save again is a retry of
the same request, never a second user.
"""

from __future__ import annotations

import uuid
from typing import Any, Final
from uuid import UUID

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET
from django_htmx.http import HttpResponseClientRedirect

from customers.directory.customer_queries import choices_of, customer_get, domains_of
from customers.directory.user_queries import users_by_username
from customers.pages import customer_or_404, shows_problems
from customers.services import CustomerRow, customer_users_open
from portal.audit.records import Actor
from portal.partnercenter import AlreadyExists, PartnerCenterError
from portal.staff.access import Capability, require_capability
from portal.tickets import ticket_from_link
from portal.web.clients import partner_center_for
from portal.web.http import HtmxHttpRequest
from users.assignments import new_request_id
from users.bulk.jobs import BulkJobRefused
from users.bulk.schedule_selectors import reserved_message, usernames_reserved
from users.bulk.scheduled_add import Starter, starter_schedule
from users.bulk.when import due_text
from users.forms import GENERATE, AddUserForm, WhenForm
from users.roles import PrivilegedRoleNotConfirmed
from users.services import CreateResult, NewUser, user_create
from users.usernames import USERNAME_TAKEN, username_status
from users.views.common import audit_for, error_message, read_once

UNCONFIRMED: Final = (
    "Partner Center did not confirm that the user was created. Press Save again — it will not "
    "create a second user."
)
SCHEDULED_NO_ROLES: Final = (
    "Admin roles are given once the user exists: schedule the user without them, or add now."
)
SCHEDULED_GENERATES: Final = (
    "A scheduled user's password is generated when it is created and handed to you like an "
    "upload's: choose Generate."
)
RETYPE_PASSWORD: Final = "Type the password again: it is never sent back to your browser."  # noqa: S105 (words)


@sensitive_post_parameters("password")
@require_capability(Capability.ADD_USER)
@shows_problems(lambda request: _template(request, "users/add.html"))
def user_add(request: HtmxHttpRequest, customer_id: UUID) -> HttpResponse:
    """GET: the form, with a new one-time id. POST (Save): create the user, show its password."""
    pc = partner_center_for(request)
    customer = customer_or_404(pc=pc, customer_id=customer_id)
    found = choices_of(customer_users_open(customer.mirror))
    if found is None:
        return _waiting(request, customer)
    choices: dict[str, Any] = {"domains": found.domains, "roles": found.roles, "skus": found.skus}

    if request.method != "POST":
        form = AddUserForm(initial=_initial(request), **choices)
        return _form(request, customer, form, new_request_id())

    form = AddUserForm(request.POST, **choices)
    when = WhenForm(request.POST, locations=[request.POST.get("usage_location", "")])
    # A form re-shown after an unconfirmed Save keeps its id until it is saved.
    pending = request.POST.get("pending") == "1"
    if not (form.is_valid() and when.is_valid()):
        form_id = str(form.cleaned_data.get("form_id") or "")
        keep = pending and bool(form_id)
        return _form(
            request, customer, form, form_id if keep else new_request_id(), when, pending=keep
        )
    data = form.cleaned_data
    request_id = str(data["form_id"])
    if when.cleaned_data["schedule"]:
        return _add_later(request, customer, form, when)
    reserved = usernames_reserved(customer_id=customer.id, usernames=[form.username])
    if reserved:
        form.add_error("alias", reserved_message(form.username, *reserved.values()))
        return _form(request, customer, form, request_id, when, pending=pending)
    new = _new_user(form)
    try:
        result = user_create(
            pc=pc,
            audit=audit_for(request, customer, data["ticket"]),
            new=new,
            request_id=request_id,
            role_names=found.role_names,
        )
    except PrivilegedRoleNotConfirmed as confirm:
        # Nothing was sent: the same form, with the same one-time id, asks for a yes.
        form.ask_privileged_confirmation(confirm.role_ids, f"{new.display_name} ({form.username})")
        if new.password:
            form.add_error("password", RETYPE_PASSWORD)
        return _form(request, customer, form, request_id, pending=pending)
    except PartnerCenterError as error:
        return _not_created(request, customer, form, error, request_id)
    return _created(request, customer, form, new, result)


def _waiting(request: HtmxHttpRequest, customer: CustomerRow) -> HttpResponse:
    """The page while the customer's directory is still being read: no choices to offer yet."""
    context: dict[str, Any] = {"customer": customer, "customer_id": customer.id}
    context["waiting"] = True
    return _render(request, "users/add.html", context)


def _created(
    request: HtmxHttpRequest,
    customer: CustomerRow,
    form: AddUserForm,
    new: NewUser,
    result: CreateResult,
) -> HttpResponse:
    """Save's answer, read once: the new user and its password."""
    context: dict[str, Any] = {"customer": customer, "customer_id": customer.id}
    context["result"] = result
    context["ticket"] = form.cleaned_data["ticket"]
    context["person"] = result.user
    context["reset_form_id"] = new_request_id()  # for the one-click reset if the password is lost
    context["another_url"] = _another_url(customer, form, new)
    return read_once(_render(request, "users/add_result.html", context))


@require_GET
@require_capability(Capability.ADD_USER)
def user_add_username_check(request: HtmxHttpRequest, customer_id: UUID) -> HttpResponse:
    """Add user's username, checked as it is typed (htmx): a problem with it, taken by another
    user of the customer, or free — from the directory, with no Partner Center call. Save
    checks again, live."""
    customer = customer_get(str(customer_id))
    if customer is None or not customer.mirrored:
        return HttpResponse("")
    alias, domain = request.GET.get("alias", ""), request.GET.get("domain", "")
    domains = domains_of(customer)
    status = username_status(
        alias,
        domain,
        domains=domains,
        holders={
            key: [row.state for row in rows]
            for key, rows in users_by_username(
                customer, [f"{alias.strip()}@{domain.strip()}"]
            ).items()
        },
    )
    return render(request, "users/username_status.html", {"status": status})


def _initial(request: HtmxHttpRequest) -> dict[str, Any]:
    """A new form: the ticket from the link, and after "Add another user" the domain, location
    and licenses of the user just added (the form offers only what the customer has)."""
    return {
        "ticket": ticket_from_link(request),
        "domain": request.GET.get("domain", ""),
        "usage_location": request.GET.get("location", ""),
        "licences": request.GET.getlist("license"),
    }


def _another_url(customer: CustomerRow, form: AddUserForm, new: NewUser) -> str:
    """Add another user: an empty form with the same domain, location, licenses and ticket."""
    kept = {
        "domain": form.cleaned_data["domain"],
        "location": new.usage_location,
        "license": list(new.sku_ids),
        "ticket": form.cleaned_data["ticket"],
    }
    query = urlencode({key: value for key, value in kept.items() if value}, doseq=True)
    return f"{reverse('users:add', args=[customer.id])}?{query}"


def _new_user(form: AddUserForm) -> NewUser:
    data = form.cleaned_data
    return NewUser(
        display_name=data["display_name"],
        user_principal_name=form.username,
        first_name=data["first_name"].strip(),
        last_name=data["last_name"].strip(),
        usage_location=data["usage_location"],
        role_ids=tuple(data["roles"]),
        sku_ids=tuple(data["licences"]),
        password=data["password"] or None,
        force_change_password=data["force_change_password"],
        privileged_confirmed=data["confirm_privileged"],
    )


def _not_created(
    request: HtmxHttpRequest,
    customer: CustomerRow,
    form: AddUserForm,
    error: PartnerCenterError,
    request_id: str,
) -> HttpResponse:
    """The form again, saying why. With no answer it keeps its one-time id: Save again repeats
    the same request, which cannot create a second user."""
    if error.outcome_unknown:
        form.add_error(None, UNCONFIRMED)
        if form.cleaned_data["password"]:
            form.add_error("password", RETYPE_PASSWORD)
        return _form(request, customer, form, request_id, pending=True)
    if isinstance(error, AlreadyExists):
        form.add_error("alias", USERNAME_TAKEN)
    else:
        form.add_error(None, error_message(request, error, customer.company_name))
    return _form(request, customer, form, new_request_id())


def _add_later(
    request: HtmxHttpRequest, customer: CustomerRow, form: AddUserForm, when: WhenForm
) -> HttpResponse:
    """Add user, At…: the new starter as a scheduled one-row upload. Admin roles and a typed
    password cannot wait (roles are given once the user exists; the password is generated when
    it runs and handed over like an upload's)."""
    data = form.cleaned_data
    form_id = str(data["form_id"])
    if data["roles"]:
        form.add_error("roles", SCHEDULED_NO_ROLES)
    if data["password_choice"] != GENERATE:
        form.add_error("password_choice", SCHEDULED_GENERATES)
    if form.errors:
        return _form(request, customer, form, form_id, when)
    starter = Starter(
        first_name=data["first_name"],
        last_name=data["last_name"],
        display_name=data["display_name"],
        username=form.username,
        usage_location=data["usage_location"] or "",
        sku_ids=data["licences"],
    )
    try:
        job = starter_schedule(
            customer=customer.mirror,
            starter=starter,
            actor=Actor.from_request(request),
            ticket=data["ticket"],
            schedule=when.cleaned_data["schedule"],
            form_id=uuid.UUID(form_id),
        )
    except BulkJobRefused as refused:
        form.add_error(None, str(refused))
        return _form(request, customer, form, form_id, when)
    messages.success(request, f"Scheduled: {form.username} is created at {due_text(job)}.")
    url = reverse("users:bulk_job", args=[customer.id, job.public_id])
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)


def _form(
    request: HtmxHttpRequest,
    customer: CustomerRow,
    form: AddUserForm,
    form_id: str,
    when: WhenForm | None = None,
    *,
    pending: bool = False,
) -> HttpResponse:
    context = {
        "customer": customer,
        "customer_id": customer.id,
        "form": form,
        "form_id": form_id,
        "pending": pending,
        "when_form": when or WhenForm(),
    }
    return _render(request, "users/add.html", context)


def _render(
    request: HtmxHttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    """The whole page, or (htmx, inside the modal) only the dialog's content."""
    context["in_modal"] = _in_modal(request)
    return render(request, _template(request, template), context, status=status)


def _in_modal(request: HtmxHttpRequest) -> bool:
    return bool(request.htmx) and not request.htmx.boosted


def _template(request: HtmxHttpRequest, template: str) -> str:
    return f"{template}#dialog" if _in_modal(request) else template
