"""`manage.py customer_user_remove`: Remove-PCCustomerUser / C# `Users.ById(id).Delete()`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from portal.staff.access import Capability
from users.command_io import add_user_choice
from users.command_schedule import command_schedule, scheduled_lead
from users.commands import Invocation, UserCommand
from users.selected import SelectedAction
from users.services import user_delete


class Command(UserCommand):
    help = (
        "Delete a user (Remove-PCCustomerUser). Partner Center keeps it for 30 days, during "
        "which customer_user_restore brings it back."
    )
    capability = Capability.DELETE_USER
    schedulable = True

    def add_options(self, parser: CommandParser) -> None:
        add_user_choice(parser, required=True)

    def run(self, invocation: Invocation, options: dict[str, Any]) -> None:
        user = self.find_user(
            invocation, user_id=options["user_id"], username=options["user_principal_name"]
        )
        self.check_may_act_on(invocation, Capability.DELETE_USER, user)
        if invocation.schedule:
            job = command_schedule(invocation, SelectedAction.DELETE, user)
            lead, notes = scheduled_lead(job, f"the delete of {user.user_principal_name}")
            data: dict[str, Any] = {"id": user.id, "user_principal_name": user.user_principal_name}
            data.update(job=str(job.public_id), run_at=job.run_at, state=job.state)
            self.output(invocation, data, lead=lead, notes=notes)
            return
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
