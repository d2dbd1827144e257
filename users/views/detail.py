"""The users app's pages. This issue: the user page, read only (its actions come next)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.http import HttpResponse
from django.shortcuts import render

from customers.views.common import customer_or_404
from portal.access import Capability, require_capability
from portal.http import HtmxHttpRequest
from portal.partnercenter import PartnerCenterError, partner_center
from portal.problems import partner_center_problem
from users.services import user_details

NOT_FOUND = (
    "This user does not exist in the customer's directory: it may have been deleted for good "
    "(30 days after its deletion), or the link is out of date."
)


@require_capability(Capability.VIEW)
def user_detail(request: HtmxHttpRequest, customer_id: UUID, user_id: UUID) -> HttpResponse:
    """A user's details, directory roles and licences, read live from Partner Center."""
    pc = partner_center()
    customer = None
    try:
        customer = customer_or_404(pc=pc, customer_id=customer_id)
        details = user_details(pc=pc, customer_id=customer.id, user_id=str(user_id))
    except PartnerCenterError as error:
        problem = partner_center_problem(
            request,
            error,
            company_name=customer.company_name if customer else "",
            not_found=NOT_FOUND,
        )
        failed = {"customer": customer, "customer_id": str(customer_id), "problem": problem}
        response = render(request, "users/detail.html", failed, status=problem.status)
        return problem.apply_headers(response)
    context: dict[str, Any] = {"customer": customer, "customer_id": customer.id}
    context["details"] = details
    return render(request, "users/detail.html", context)
