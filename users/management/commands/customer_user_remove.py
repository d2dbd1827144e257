"""`manage.py customer_user_remove`: Remove-PCCustomerUser / C# `Users.ById(id).Delete()`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from portal.staff.access import Capability
from users.command_io import add_user_choice
from users.commands import Invocation, UserCommand
from users.services import user_delete


class Command(UserCommand):
    help = (
        "Delete a user (Remove-PCCustomerUser). Partner Center keeps it for 30 days, during "
        "which customer_user_restore brings it back."
    )
    capability = Capability.DELETE_USER

    def add_options(self, parser: CommandParser) -> None:
        add_user_choice(parser, required=True)

    def run(self, invocation: Invocation, options: dict[str, Any]) -> None:
        user = self.find_user(
            invocation, user_id=options["user_id"], username=options["user_principal_name"]
        )
        self.check_may_act_on(invocation, Capability.DELETE_USER, user)
        user_delete(
            pc=invocation.pc,
            audit=invocation.audit(),
            user_id=user.id or "",
            username=user.user_principal_name or "",
        )
        data = {"id": user.id, "user_principal_name": user.user_principal_name, "state": "inactive"}
        self.output(
            invocation,
            data,
            lead=f"Deleted {user.user_principal_name}.",
            notes=[
                "It can be restored for 30 days: manage.py customer_user_restore "
                f"--tenant-id {invocation.customer_id} --user-id {user.id} --as ..."
            ],
        )
