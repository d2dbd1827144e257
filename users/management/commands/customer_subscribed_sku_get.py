"""`manage.py customer_subscribed_sku_get`: Get-PartnerCustomerSubscribedSku / C#
`Customers.ById(id).SubscribedSkus.Get(licenseGroupIds)`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from portal.staff.access import Capability
from users.command_io import add_license_group_choice, count_of, subscribed_sku_data
from users.commands import Invocation, UserCommand


class Command(UserCommand):
    help = (
        "List the licenses a customer subscribes to, with the seats available, consumed and in "
        "all (Get-PartnerCustomerSubscribedSku)."
    )
    capability = Capability.VIEW
    changes_something = False

    def add_options(self, parser: CommandParser) -> None:
        add_license_group_choice(parser)

    def run(self, invocation: Invocation, options: dict[str, Any]) -> None:
        skus = invocation.pc.customers.by_id(invocation.customer_id).subscribed_skus.list(
            license_groups=options["license_group"]
        )
        rows = [subscribed_sku_data(sku) for sku in skus]
        columns = ("sku_part_number", "name", "available_units", "total_units", "sku_id")
        self.output(invocation, rows, columns=columns, notes=[count_of(rows, "license")])
