"""`manage.py customer_user_role_add`: Add-PartnerCustomerUserRoleMember / C#
`DirectoryRoles.ById(roleId).UserMembers.Create(UserMember)`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from portal.partnercenter import CustomerUser, DirectoryRole
from users.command_io import BadInput
from users.management.commands._role_member import RoleMemberCommand
from users.roles import role_is_privileged


class Command(RoleMemberCommand):
    help = (
        "Give a user a directory (admin) role (Add-PartnerCustomerUserRoleMember). A privileged "
        "role, such as Global Administrator, needs --confirm-privileged."
    )
    adds = True

    def add_options(self, parser: CommandParser) -> None:
        super().add_options(parser)
        parser.add_argument(
            "--confirm-privileged",
            action="store_true",
            help="Yes, grant this privileged role (the user page asks the same before it does).",
        )

    def check_confirmed(
        self, user: CustomerUser, role: DirectoryRole, options: dict[str, Any]
    ) -> None:
        if role_is_privileged(role.id, role.name) and not options["confirm_privileged"]:
            raise BadInput(
                f"{role.name} is a privileged role: to give it to {user.user_principal_name}, "
                "add --confirm-privileged. Nothing was changed."
            )
