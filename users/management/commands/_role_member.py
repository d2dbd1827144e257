"""What customer_user_role_add and customer_user_role_remove share (Add-/Remove-
PartnerCustomerUserRoleMember): one user, one directory role, checked as the user page checks a
role change, and one audited call."""

from __future__ import annotations

from typing import Any, ClassVar

from django.core.management.base import CommandParser

from portal.partnercenter import CustomerUser, DirectoryRole
from portal.staff.access import Capability
from users.assignments import held_roles, user_role_change
from users.command_io import (
    BadInput,
    NotFound,
    partner_center_failure,
    role_data,
    uuid_value,
)
from users.commands import Invocation, UserCommand


class RoleMemberCommand(UserCommand):
    """Give (`adds`) or take away one directory role."""

    # As on the user page: roles need an Admin agent (who may act on a protected account too).
    capability = Capability.CHANGE_ROLES_OR_LICENSES
    adds: ClassVar[bool]

    def add_options(self, parser: CommandParser) -> None:
        parser.add_argument("--user-id", type=uuid_value, required=True, help="The user.")
        role = parser.add_mutually_exclusive_group(required=True)
        role.add_argument(
            "--role-id",
            type=uuid_value,
            help="The directory role's id (customer_user_role_get lists them).",
        )
        role.add_argument(
            "--role-name", help='The role\'s name instead, e.g. "Helpdesk Administrator".'
        )

    def run(self, invocation: Invocation, options: dict[str, Any]) -> None:
        user = self.find_user(invocation, user_id=options["user_id"], username=None)
        role = _find_role(invocation, options["role_id"], options["role_name"])
        users = invocation.pc.customers.by_id(invocation.customer_id).users
        held = {role_id.lower() for role_id in held_roles(users.by_id(user.id or ""))}
        self.check_may_act_on(invocation, Capability.UPDATE_USER, user, protected=bool(held))
        username = user.user_principal_name
        data: dict[str, Any] = {"id": user.id, "user_principal_name": username}
        data.update(role=role.name, role_id=role.id, privileged=role_data(role)["privileged"])
        if (role.id.lower() in held) == self.adds:
            holds = "already holds" if self.adds else "does not hold"
            lead = f"Nothing to change: {username} {holds} {role.name}."
            self.output(invocation, {**data, "changed": False}, lead=lead)
            return
        self.check_confirmed(user, role, options)
        step = user_role_change(
            pc=invocation.pc, audit=invocation.audit(), user=user, role=role, add=self.adds
        )
        if step.failure is not None:
            raise partner_center_failure(step.failure, f"Not done: {step.description}")
        lead = (
            f"Gave {username} the role {role.name}."
            if self.adds
            else f"Took the role {role.name} away from {username}."
        )
        self.output(invocation, {**data, "changed": True}, lead=lead)

    def check_confirmed(
        self, user: CustomerUser, role: DirectoryRole, options: dict[str, Any]
    ) -> None:
        """Granting a privileged role needs the same yes as the user page asks for."""


def _find_role(invocation: Invocation, role_id: str | None, name: str | None) -> DirectoryRole:
    roles = invocation.pc.customers.by_id(invocation.customer_id).directory_roles.list()
    wanted = (name or "").strip().casefold()
    for role in roles:
        if role.id.lower() == (role_id or "") or (wanted and role.name.casefold() == wanted):
            return role
    if name is not None and not wanted:
        raise BadInput("--role-name cannot be empty.")
    raise NotFound(
        f"No directory role {role_id or name} in {invocation.customer.company_name} "
        "(customer_user_role_get lists them)."
    )
