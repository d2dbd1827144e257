"""`manage.py customer_user_restore`: Restore-PCCustomerUser / C#
`Users.ById(id).Patch(new CustomerUser { State = UserState.Active })`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from portal.staff.access import Capability
from users.command_io import Failed, add_user_choice, partner_center_failure, user_data
from users.commands import Invocation, UserCommand, deleted_row
from users.restores import users_restore


class Command(UserCommand):
    help = (
        "Restore a user deleted in the last 30 days (Restore-PCCustomerUser), with its roles and "
        "licenses."
    )
    capability = Capability.RESTORE_USER

    def add_options(self, parser: CommandParser) -> None:
        add_user_choice(parser, required=True)

    def run(self, invocation: Invocation, options: dict[str, Any]) -> None:
        user = self.find_deleted_user(
            invocation, user_id=options["user_id"], username=options["user_principal_name"]
        )
        # Deleted users keep their directory roles: the protected-account rule holds for them.
        self.check_may_act_on(invocation, Capability.RESTORE_USER, user)
        [result] = users_restore(
            pc=invocation.pc, audit=invocation.audit(), users=[deleted_row(user)]
        )
        if not result.restored:
            message = f"{user.user_principal_name} was not restored: {result.reason}"
            if result.error is not None:
                raise partner_center_failure(result.error, message=message)
            raise Failed(message)
        restored = invocation.pc.customers.by_id(invocation.customer_id).users.by_id(result.user_id)
        self.output(
            invocation,
            user_data(restored.get()),
            lead=f"Restored {result.username}.",
        )
