"""Deleted users (N) → Restore: the checked users, each with its own result, shown on the Deleted
users tab the browser is sent back to."""

from __future__ import annotations

from typing import Final
from uuid import UUID

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from customers.directory.user_queries import deleted_users
from customers.pages import (
    RestoreLine,
    RestoreReport,
    customer_or_404,
    restore_report_keep,
)
from customers.services import customer_users_open
from portal.partnercenter import PartnerCenterError
from portal.staff.access import Capability, can_change_roles_or_licenses, require_capability
from portal.web.clients import partner_center_for
from portal.web.http import HtmxHttpRequest
from portal.web.paging import with_query
from users.forms import RestoreForm
from users.restores import users_restore, users_restore_permitted
from users.views.common import audit_for, error_message

# One Restore covers at most a page of the Deleted users tab, and then some.
MAX_RESTORE: Final = 500


@require_POST
@require_capability(Capability.RESTORE_USER)
def users_restore_view(request: HtmxHttpRequest, customer_id: UUID) -> HttpResponse:
    """Restore the checked deleted users; a protected one only for an Admin agent."""
    pc = partner_center_for(request)
    deleted_url = reverse("customers:deleted", args=[customer_id])
    company = ""
    try:
        customer = customer_or_404(pc=pc, customer_id=customer_id)
        company = customer.company_name
        posted = request.POST.getlist("users")[:MAX_RESTORE]
        mirror = customer_users_open(customer.mirror)
        rows = {row.user_id: row for row in deleted_users(mirror, posted)}
        form = RestoreForm(request.POST, user_ids=rows)
        if not form.is_valid():
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, str(error))
            return redirect(with_query(deleted_url, ticket=request.POST.get("ticket", "")))
        chosen = [rows[user_id] for user_id in form.cleaned_data["users"]]
        allowed, refused = users_restore_permitted(
            pc=pc, staff=request.user, customer_id=customer.id, users=chosen
        )
        ticket = form.cleaned_data["ticket"]
        results = users_restore(
            pc=pc,
            audit=audit_for(request, customer, ticket),
            users=allowed,
            # What an offboarding removed is given back only by someone who may give it.
            give_back=request.POST.get("give_back") == "1"
            and can_change_roles_or_licenses(request.user),
        )
    except PartnerCenterError as error:
        messages.error(request, error_message(request, error, company))
        return redirect(deleted_url)
    by_id = {result.user_id: result for result in [*results, *refused]}
    lines = [
        RestoreLine(
            user_id=row.user_id,
            username=by_id[row.user_id].username,
            restored=by_id[row.user_id].restored,
            reason=by_id[row.user_id].reason,
            correlation_id=getattr(by_id[row.user_id].error, "correlation_id", "") or "",
            given_back=by_id[row.user_id].given_back,
        )
        for row in chosen
    ]
    # Shown on the Deleted users tab the browser is sent to (and a reload does nothing twice).
    restore_report_keep(request, customer.id, RestoreReport(lines=lines, ticket=ticket))
    return redirect(deleted_url)
