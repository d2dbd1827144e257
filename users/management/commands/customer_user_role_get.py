"""`manage.py customer_user_role_get`: Get-PartnerCustomerUserRole / C#
`Customers.ById(id).DirectoryRoles.Get()`, or `Users.ById(id).DirectoryRoles.Get()`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from portal.staff.access import Capability
from users.command_io import add_user_choice, count_of, role_data
from users.commands import Invocation, UserCommand


class Command(UserCommand):
    help = (
        "List the customer's directory (admin) roles, or those one user holds with --user-id or "
        "--user-principal-name (Get-PartnerCustomerUserRole). Privileged roles are marked."
    )
    capability = Capability.VIEW
    changes_something = False

    def add_options(self, parser: CommandParser) -> None:
        add_user_choice(parser, required=False)

    def run(self, invocation: Invocation, options: dict[str, Any]) -> None:
        customer = invocation.pc.customers.by_id(invocation.customer_id)
        user_id, username = options["user_id"], options["user_principal_name"]
        lead = ""
        if user_id or username:
            user = self.find_user(invocation, user_id=user_id, username=username)
            roles = customer.users.by_id(user.id or "").directory_roles.list()
            lead = f"{user.user_principal_name}:"
        else:
            roles = customer.directory_roles.list()
        rows = [role_data(role) for role in roles]
        notes = [count_of(rows, "role")]
        self.output(invocation, rows, columns=("name", "privileged", "id"), lead=lead, notes=notes)
