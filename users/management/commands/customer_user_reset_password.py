"""`manage.py customer_user_reset_password`: Set-PartnerCustomerUser -Password, C#
`Patch(new CustomerUser { PasswordProfile = ... })`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from portal.staff.access import Capability
from users.command_io import add_user_choice, boolean_value
from users.commands import Invocation, UserCommand
from users.services import user_reset_password


class Command(UserCommand):
    help = (
        "Give a user a new temporary password, generated and shown once unless "
        "--password-prompt or --password-stdin gives one."
    )
    capability = Capability.RESET_PASSWORD
    takes_password = True

    def add_options(self, parser: CommandParser) -> None:
        add_user_choice(parser, required=True)
        parser.add_argument(
            "--force-change-password",
            type=boolean_value,
            default=True,
            metavar="true|false",
            help="Must the user change it at the next sign-in (default: true).",
        )

    def run(self, invocation: Invocation, options: dict[str, Any]) -> None:
        user = self.find_user(
            invocation, user_id=options["user_id"], username=options["user_principal_name"]
        )
        self.check_may_act_on(invocation, Capability.RESET_PASSWORD, user)
        typed = self.read_password(options)
        result = user_reset_password(
            pc=invocation.pc,
            audit=invocation.audit(),
            user_id=user.id or "",
            username=user.user_principal_name or "",
            force_change=options["force_change_password"],
            password=typed,
        )
        data: dict[str, Any] = {
            "id": user.id,
            "user_principal_name": user.user_principal_name,
            "force_change_password": options["force_change_password"],
        }
        notes = []
        if typed is None:
            data["password"] = result.password
            notes.append("The password is shown only this once; it is not stored anywhere.")
        lead = f"Reset the password of {user.user_principal_name}."
        self.output(invocation, data, lead=lead, notes=notes)
