"""`manage.py directory_forget [--customer ID_OR_DOMAIN ...]`: empty the directory, or forget some
customers. Nothing is lost: the next page view or sweep reads them from Partner Center again."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from customers.directory.customer_queries import customer_by_domain, customer_get
from customers.directory.sync import directory_forget, directory_forget_all


class Command(BaseCommand):
    help = (
        "Delete what the directory mirrors of Partner Center (names, usernames, locations, roles, "
        "licenses): every customer, or those given. They are read again when next needed."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--customer",
            action="append",
            default=[],
            metavar="ID_OR_DOMAIN",
            help="A customer's tenant id or one of its domains (repeat for several).",
        )

    def handle(self, *args: Any, customer: list[str], **options: Any) -> None:
        if not customer:
            count = directory_forget_all()
            self.stdout.write(f"Forgot {count} customer(s): the directory is empty.")
            return
        found = []
        for wanted in customer:
            row = customer_get(wanted) or customer_by_domain(wanted)
            if row is None:
                raise CommandError(f"The directory holds no customer {wanted!r}; nothing changed.")
            found.append(row)
        for row in found:
            directory_forget(customer=row)
            self.stdout.write(f"Forgot {row.company_name} ({row.tenant_id}).")
