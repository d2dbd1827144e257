"""What the user page and each of its actions read first: the customer and the user, live, and
what the staff member may do to this user (`UserPage`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID

from customers.directory.customer_queries import Choices, choices_of
from customers.pages import customer_or_404
from customers.services import CustomerRow, customer_users_open
from portal.partnercenter import PartnerCenterClient
from portal.staff.access import (
    Capability,
    can_act_on_user,
    can_change_roles_or_licenses,
    can_update_user,
    check_act_on_user,
)
from portal.web.http import HtmxHttpRequest
from users import selectors
from users.selectors import UserDetails


@dataclass
class UserPage:
    """Everything the user page needs, read once per request."""

    customer: CustomerRow
    details: UserDetails
    choices: Choices | None  # the customer's domains, roles and SKUs (None: never read yet)
    may: dict[str, bool] = field(default_factory=dict)

    @property
    def user_id(self) -> str:
        return self.details.user.id or ""

    @property
    def username(self) -> str:
        return self.details.user.user_principal_name or ""


def user_page(
    request: HtmxHttpRequest, pc: PartnerCenterClient, customer_id: UUID, user_id: UUID
) -> UserPage:
    """The customer and the user, read live, with what the staff member may do to this user.

    The one access helper of the user page and its actions: each asks `page.may` (or
    `check_may`).
    """
    customer = customer_or_404(pc=pc, customer_id=customer_id)
    details = selectors.user_details(pc=pc, customer_id=customer.id, user_id=str(user_id))
    staff = request.user
    protected = details.is_protected

    def may(action: Capability) -> bool:
        return can_act_on_user(staff, action, target_holds_directory_role=protected)

    # Only the fields an Admin agent alone may change need the customer's domains, roles and
    # licences; the others need nothing but the user.
    choices = None
    if may(Capability.UPDATE_USER) and can_change_roles_or_licenses(staff):
        choices = choices_of(customer_users_open(customer.mirror))
    return UserPage(
        customer,
        details,
        choices,
        may={
            "update": may(Capability.UPDATE_USER),
            "reset": may(Capability.RESET_PASSWORD),
            "delete": may(Capability.DELETE_USER),
            "change_username": may(Capability.UPDATE_USER)
            and can_update_user(staff, fields=["user_principal_name"]),
            "change_roles": may(Capability.UPDATE_USER)
            and can_change_roles_or_licenses(staff)
            and choices is not None,
        },
    )


def check_may(request: HtmxHttpRequest, page: UserPage, action: Capability) -> None:
    check_act_on_user(request.user, action, target_holds_directory_role=page.details.is_protected)
