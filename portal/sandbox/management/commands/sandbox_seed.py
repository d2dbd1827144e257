"""`manage.py sandbox_seed [--reset]`: fill the sandbox with demo data, once."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from portal.sandbox.seed import sandbox_seed


class Command(BaseCommand):
    help = (
        "Fill the sandbox with realistic demo data (customers, users, roles, licences). "
        "Does nothing when it already has data, unless --reset is given."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Delete every sandbox customer, user, role and licence first, then seed again.",
        )

    def handle(self, *args: Any, reset: bool, **options: Any) -> None:
        if not settings.SANDBOX_ENABLED:
            # In live mode the sandbox alias is the portal's own database: never write there.
            raise CommandError("The sandbox is off in live mode; there is nothing to seed.")
        result = sandbox_seed(reset=reset)
        if options["verbosity"] < 1:
            return
        summary = (
            f"{result.customers} customers, {result.active_users:,} active users, "
            f"{result.deleted_users} deleted users"
        )
        if not result.seeded:
            self.stdout.write(
                f"The sandbox is already seeded ({summary}); nothing changed. "
                "Use --reset to start again."
            )
            return
        self.stdout.write(
            self.style.SUCCESS(f"Seeded the sandbox: {summary} in {result.seconds:.1f} s.")
        )
