"""`manage.py customer_user_get`: Get-PCCustomerUser (-UserId, -Deleted), or every user."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from portal.staff.access import Capability
from users.command_io import add_user_choice, count_of, user_data
from users.commands import Invocation, UserCommand
from users.selectors import user_details


class Command(UserCommand):
    help = (
        "Show one user of a customer (with its admin roles and licenses), or list every "
        "user; --deleted for the deleted, still restorable ones (Get-PCCustomerUser)."
    )
    capability = Capability.VIEW
    changes_something = False

    def add_options(self, parser: CommandParser) -> None:
        add_user_choice(parser, required=False)
        parser.add_argument(
            "--deleted",
            action="store_true",
            help="The users deleted in the last 30 days (Get-PCCustomerUser -Deleted).",
        )

    def run(self, invocation: Invocation, options: dict[str, Any]) -> None:
        user_id, username = options["user_id"], options["user_principal_name"]
        if options["deleted"] and (user_id or username):
            user = self.find_deleted_user(invocation, user_id=user_id, username=username)
            self.output(invocation, user_data(user))
        elif options["deleted"]:
            users = invocation.pc.customers.by_id(invocation.customer_id).users.iter_deleted()
            rows = [user_data(user) for user in users]
            columns = ("id", "user_principal_name", "display_name", "restorable_until")
            self.output(invocation, rows, columns=columns, notes=[count_of(rows, "deleted user")])
        elif user_id or username:
            user = self.find_user(invocation, user_id=user_id, username=username)
            details = user_details(
                pc=invocation.pc, customer_id=invocation.customer_id, user_id=user.id or ""
            )
            data = {
                **user_data(details.user),
                "directory_roles": [name for _, name in details.roles],
                "licenses": details.license_names,
            }
            self.output(invocation, data)
        else:
            users = invocation.pc.customers.by_id(invocation.customer_id).users.iter_all()
            rows = [user_data(user) for user in users]
            columns = ("id", "user_principal_name", "display_name", "usage_location")
            self.output(invocation, rows, columns=columns, notes=[count_of(rows, "user")])
