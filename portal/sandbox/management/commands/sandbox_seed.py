"""`manage.py sandbox_seed [--reset]`: fill the sandbox with demo data, once."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from portal.sandbox.seed import SeedResult, sandbox_seed, sandbox_seed_more
from portal.sandbox.seed_plan import large_plan, many_plans


class Command(BaseCommand):
    help = (
        "Fill the sandbox with realistic demo data (customers, users, roles, licenses). "
        "Does nothing when it already has data, unless --reset is given."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Delete every sandbox customer, user, role and license first, then seed again.",
        )
        parser.add_argument(
            "--large",
            type=int,
            metavar="USERS",
            help="Also add one customer with this many users (Litware, Inc.), e.g. 50000.",
        )
        parser.add_argument(
            "--many",
            type=int,
            metavar="CUSTOMERS",
            help="Also add this many customers of 2,500 users each, e.g. 200.",
        )

    def handle(self, *args: Any, reset: bool, **options: Any) -> None:
        if not settings.SANDBOX_ENABLED:
            # In live mode the sandbox alias is the portal's own database: never write there.
            raise CommandError("The sandbox is off in live mode; there is nothing to seed.")
        for name in ("large", "many"):
            if options[name] is not None and options[name] < 1:
                raise CommandError(f"--{name} takes a number of at least 1.")
        result = sandbox_seed(reset=reset)
        plans = [large_plan(options["large"])] if options["large"] else []
        plans += list(many_plans(options["many"])) if options["many"] else []
        if plans:
            more = sandbox_seed_more(plans)
            self._report(more, options, f"Added {len(plans)} customer(s)")
        if options["verbosity"] < 1 or plans:
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

    def _report(self, result: SeedResult, options: dict[str, Any], lead: str) -> None:
        if options["verbosity"] < 1:
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"{lead} in {result.seconds:.1f} s: the sandbox now has {result.customers} "
                f"customers, {result.active_users:,} active users, {result.deleted_users:,} "
                "deleted users."
            )
            if result.seeded
            else f"Those customers were already there: nothing changed ({result.customers} "
            "customers)."
        )
