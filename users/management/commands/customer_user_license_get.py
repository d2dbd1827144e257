"""`manage.py customer_user_license_get`: Get-PartnerCustomerUserLicense / C#
`Users.ById(id).Licenses.Get(licenseGroupIds)`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from portal.staff.access import Capability
from users.command_io import add_license_group_choice, add_user_choice, count_of, license_data
from users.commands import Invocation, UserCommand


class Command(UserCommand):
    help = (
        "List the licenses a user holds, with their service plans (Get-PartnerCustomerUserLicense)."
    )
    capability = Capability.VIEW
    changes_something = False

    def add_options(self, parser: CommandParser) -> None:
        add_user_choice(parser, required=True)
        add_license_group_choice(parser)

    def run(self, invocation: Invocation, options: dict[str, Any]) -> None:
        user = self.find_user(
            invocation, user_id=options["user_id"], username=options["user_principal_name"]
        )
        operations = invocation.pc.customers.by_id(invocation.customer_id).users.by_id(
            user.id or ""
        )
        licenses = operations.licenses.list(license_groups=options["license_group"])
        rows = [license_data(license) for license in licenses]
        columns = ("sku_part_number", "name", "license_group_id", "sku_id")
        self.output(
            invocation,
            rows,
            columns=columns,
            lead=f"{user.user_principal_name}:",
            notes=[count_of(rows, "license")],
        )
