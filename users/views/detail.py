"""The user page and its Submit (update). Reset password and Delete user account, which ask
first, are in `ask_first.py`; what both read for a user (`UserPage`) is in `user_page.py`.

Each action first reads the user live (`user_details`): the protected-account rule needs its
directory roles as Partner Center has them now, not as the directory remembers them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from customers.pages import shows_problems
from portal.partnercenter import (
    AlreadyExists,
    PartnerCenterError,
)
from portal.staff.access import (
    HELPDESK_UPDATE_FIELDS,
    PROTECTED_ACCOUNT,
    Capability,
    StaffUser,
    can_change_roles_or_licenses,
    check_update_fields,
    require_capability,
)
from portal.tickets import ticket_from_link
from portal.web.clients import partner_center_for
from portal.web.http import HtmxHttpRequest
from portal.web.paging import with_query
from users import updates
from users.assignments import Step
from users.bulk.schedule_selectors import scheduled_changes, visible_kinds
from users.forms import UpdateUserForm
from users.roles import PrivilegedRoleNotConfirmed
from users.selectors import EDITABLE_FIELDS, BadFingerprint
from users.updates import ConcurrentChange, UserChanges
from users.usernames import USERNAME_TAKEN
from users.views.common import (
    NOT_FOUND,
    audit_for,
    error_message,
    user_activity,
)
from users.views.user_page import UserPage, check_may, user_page

_NAME_FIELDS = ("first_name", "last_name", "display_name", "usage_location")
_FIELD_LABELS = {
    "first_name": "First name",
    "last_name": "Last name",
    "display_name": "Display name",
    "user_principal_name": "Username",
    "usage_location": "Location",
}


@require_capability(Capability.VIEW)
@shows_problems("users/detail.html", not_found=NOT_FOUND)
def user_detail(request: HtmxHttpRequest, customer_id: UUID, user_id: UUID) -> HttpResponse:
    """A user's details, directory roles and licenses, read live; the forms the role allows."""
    pc = partner_center_for(request)
    page = user_page(request, pc, customer_id, user_id)
    ticket = ticket_from_link(request)
    return _render(
        request,
        page,
        update_form=_update_form(request.user, page, initial_ticket=ticket),
        ticket=ticket,
    )


@require_POST
@require_capability(Capability.UPDATE_USER)
@shows_problems("users/detail.html", not_found=NOT_FOUND)
def user_update(request: HtmxHttpRequest, customer_id: UUID, user_id: UUID) -> HttpResponse:
    """Submit: patch only what changed; show both versions if someone changed the user meanwhile."""
    pc = partner_center_for(request)
    page = user_page(request, pc, customer_id, user_id)
    check_may(request, page, Capability.UPDATE_USER)
    _refuse_fields_beyond_role(request, page)
    form = _update_form(request.user, page, data=request.POST)
    if not form.is_valid():
        return _render(request, page, update_form=form)
    data = form.cleaned_data
    changes = UserChanges(
        **{name: data[name] for name in _NAME_FIELDS if name in form.fields},
        user_principal_name=form.username if "alias" in form.fields else None,
        role_ids=_chosen(form, "roles"),
        roles_offered=_offered(form, "roles"),
        sku_ids=_chosen(form, "licences"),
        skus_offered=_offered(form, "licences"),
        privileged_confirmed=data["confirm_privileged"],
    )
    try:
        steps = updates.user_update(
            pc=pc,
            audit=audit_for(request, page.customer, data["ticket"]),
            user_id=page.user_id,
            fingerprint=data["fingerprint"],
            changes=changes,
            role_names=_role_names(page),
        )
    except PrivilegedRoleNotConfirmed as pending:
        form.ask_privileged_confirmation(pending.role_ids, page.details.user.display_name or "")
        return _render(request, page, update_form=form)
    except ConcurrentChange as conflict:
        return _conflict(request, page, conflict, changes)
    except BadFingerprint as error:
        form.add_error(None, str(error))
        return _render(request, page, update_form=form, status=400)
    except AlreadyExists:
        form.add_error("alias", USERNAME_TAKEN)
        return _render(request, page, update_form=form)
    except PartnerCenterError as error:
        form.add_error(None, error_message(request, error, page.customer.company_name))
        return _render(request, page, update_form=form)
    _report(request, steps)
    return redirect("users:detail", customer_id=page.customer.id, user_id=page.user_id)


# --- Helpers ---------------------------------------------------------------------------------


def _update_form(
    staff: StaffUser, page: UserPage, *, data: Any = None, initial_ticket: str = ""
) -> UpdateUserForm:
    person = page.details.user
    alias, _, domain = (person.user_principal_name or "").rpartition("@")
    choices = page.choices
    domains = list(choices.domains) if choices else []
    if domain and domain.casefold() not in {name.casefold() for name in domains}:
        domains.insert(0, domain)
    allowed: set[str] = set(HELPDESK_UPDATE_FIELDS)
    if page.may["change_username"]:
        allowed |= {"alias", "domain"}
    if page.may["change_roles"]:
        allowed |= {"roles", "licences"}
    initial = {
        "first_name": person.first_name or "",
        "last_name": person.last_name or "",
        "display_name": person.display_name or "",
        "alias": alias,
        "domain": domain,
        "usage_location": (person.usage_location or "").upper(),
        "roles": [role_id for role_id, _ in page.details.roles],
        "licences": page.details.sku_ids,
        "fingerprint": page.details.fingerprint,
        "ticket": initial_ticket,
    }
    return UpdateUserForm(
        data,
        initial=initial,
        allowed=allowed,
        domains=domains,
        roles=choices.roles if choices else (),
        skus=choices.skus if choices else (),
        held_skus=page.details.sku_ids,
        held_roles=[role_id for role_id, _ in page.details.roles],
    )


def _refuse_fields_beyond_role(request: HtmxHttpRequest, page: UserPage) -> None:
    """A crafted POST that changes what the role may not change is refused outright (403)."""
    posted = request.POST
    wanted = f"{posted.get('alias', '')}@{posted.get('domain', '')}"
    check_update_fields(
        request.user,
        changes_username=("alias" in posted or "domain" in posted)
        and wanted.casefold() != page.username.casefold(),
        changes_roles_or_licences="roles" in posted or "licences" in posted,
    )


def _chosen(form: UpdateUserForm, name: str) -> frozenset[str] | None:
    return frozenset(form.cleaned_data[name]) if name in form.fields else None


def _offered(form: UpdateUserForm, name: str) -> frozenset[str] | None:
    """The roles or licenses the form offered: only those can be taken away by unchecking."""
    if name not in form.fields:
        return None
    return frozenset(str(value) for value, _ in form.fields[name].choices)  # type: ignore[attr-defined]


def _role_names(page: UserPage) -> dict[str, str]:
    names = page.choices.role_names if page.choices else {}
    return {**names, **dict(page.details.roles)}


def _report(request: HtmxHttpRequest, steps: list[Step]) -> None:
    if not steps:
        messages.info(request, "Nothing changed: the form matched the user as it is.")
    for step in steps:
        if step.succeeded:
            messages.success(request, f"{step.description}.")
        else:
            messages.error(request, f"Not done: {step.description}. {step.error}")


def _conflict(
    request: HtmxHttpRequest, page: UserPage, conflict: ConcurrentChange, changes: UserChanges
) -> HttpResponse:
    """The page as it was loaded, Partner Center now, and the submit: nothing overwritten."""
    loaded, current = conflict.loaded, conflict.current
    rows = []
    for name in EDITABLE_FIELDS:
        yours = getattr(changes, name)
        now = getattr(current, name) or ""
        if yours is None and now == loaded.fields[name]:
            continue
        shown_yours = loaded.fields[name] if yours is None else yours
        rows.append(
            ConflictRow(
                _FIELD_LABELS[name], loaded.fields[name], now, shown_yours, name in conflict.clashes
            )
        )
    role_names = _role_names(page)
    sku_names = page.choices.sku_names if page.choices else {}
    for label, names, was, now_held, chosen in (
        ("Admin roles", role_names, loaded.role_ids, conflict.current_role_ids, changes.role_ids),
        ("Licenses", sku_names, loaded.sku_ids, conflict.current_sku_ids, changes.sku_ids),
    ):
        if chosen is None and now_held == was:
            continue
        rows.append(
            ConflictRow(
                label,
                _names(was, names),
                _names(now_held, names),
                _names(was if chosen is None else chosen, names),
                clash=False,
            )
        )
    context = {"customer": page.customer, "person": current, "rows": rows}
    return render(request, "users/update_conflict.html", context, status=409)


@dataclass(frozen=True)
class ConflictRow:
    label: str
    loaded: str  # when the page was opened
    now: str  # in Partner Center now
    yours: str  # what the submit asked for
    clash: bool  # both changed it, differently: the reason nothing was saved

    @property
    def changed_meanwhile(self) -> bool:
        return self.now != self.loaded


def _names(ids: Iterable[str], names: dict[str, str]) -> str:
    return ", ".join(sorted(names.get(item, item) for item in ids))


def _render(
    request: HtmxHttpRequest,
    page: UserPage,
    *,
    update_form: UpdateUserForm | None = None,
    ticket: str = "",
    status: int = 200,
) -> HttpResponse:
    if update_form is None:
        update_form = _update_form(request.user, page, initial_ticket=ticket)
    delete_url = reverse("users:delete", args=[page.customer.id, page.user_id])
    reset_url = reverse("users:reset_password", args=[page.customer.id, page.user_id])
    context = {
        "customer": page.customer,
        "customer_id": page.customer.id,
        "details": page.details,
        "may": page.may,
        "protected_reason": PROTECTED_ACCOUNT if page.details.is_protected else "",
        "update_form": update_form,
        "reset_url": f"{reset_url}?ticket={ticket}" if ticket else reset_url,
        "delete_url": f"{delete_url}?ticket={ticket}" if ticket else delete_url,
        "activity": user_activity(page.customer.id, page.user_id),
        "scheduled": scheduled_changes(
            visible=visible_kinds(request.user),
            upcoming=True,
            customer_id=page.customer.id,
            user_id=page.user_id,
        ),
        "offboard_url": with_query(
            reverse("users:selected", args=[page.customer.id]),
            action="offboard",
            users=page.user_id,
            ticket=ticket,
        ),
        "schedule_licenses_url": with_query(
            reverse("users:selected", args=[page.customer.id]),
            action="licenses",
            users=page.user_id,
        ),
        "choices_missing": page.may["update"]
        and can_change_roles_or_licenses(request.user)
        and page.choices is None,
    }
    return render(request, "users/detail.html", context, status=status)
