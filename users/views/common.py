"""What the users app's views share: the audit context, one-time answers, activity, messages."""

from __future__ import annotations

from typing import Final

from django.http import HttpRequest, HttpResponse

from customers.services import CustomerRow
from portal.audit.records import ACTION_LABELS, Actor, AuditContext, recent_activity
from portal.models import AuditRecord
from portal.partnercenter import PartnerCenterError
from portal.web.problems import partner_center_problem

NOT_FOUND: Final = (
    "This user does not exist in the customer's directory: it may have been deleted for good "
    "(30 days after its deletion), or the link is out of date."
)


def audit_for(request: HttpRequest, customer: CustomerRow, ticket: str) -> AuditContext:
    return AuditContext(
        Actor.from_request(request), customer.id, customer.company_name, ticket=ticket
    )


def read_once(response: HttpResponse) -> HttpResponse:
    """A page that shows a temporary password: no cache, no back-button copy of it."""
    response["Cache-Control"] = "no-store"
    response["Pragma"] = "no-cache"
    return response


def error_message(request: HttpRequest, error: PartnerCenterError, company_name: str) -> str:
    """A Partner Center failure in one sentence, with its correlation id."""
    return partner_center_problem(request, error, company_name=company_name).with_id


def user_activity(customer_id: str, user_id: str) -> list[tuple[AuditRecord, str]]:
    """The latest audit records about one user, each with its label."""
    return [
        (record, ACTION_LABELS.get(record.action, record.action))
        for record in recent_activity(customer_id=customer_id, target_user_id=user_id)
    ]
