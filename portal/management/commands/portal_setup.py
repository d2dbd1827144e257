"""`manage.py portal_setup`: bring the databases up to date, once, however many replicas start.

The container entrypoint (`docker/entrypoint`) runs this before the web server, the worker or the
maintenance loop. Several replicas starting together would each run `migrate` at the same time,
and two concurrent migrations of one PostgreSQL database fail half-way (a table created twice)
or worse. So the whole set-up runs under one lock:

- PostgreSQL: a session-level advisory lock (`pg_advisory_lock`) on the portal's database; the
  second replica waits for it, then finds nothing left to do.
- SQLite: an exclusive `flock` on a file beside the database (the processes share one host).

Under the lock: in sandbox mode, create the sandbox's PostgreSQL database when it is missing;
migrate both aliases; create the cache table; in sandbox mode seed the sandbox (idempotent). It
prints whether it applied migrations, so an operator (and the tests) can see that only one
replica did.
"""

from __future__ import annotations

import fcntl
from argparse import ArgumentParser
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connections
from django.db.migrations.executor import MigrationExecutor

from portal.demo import demo_accounts_retire

# Any fixed 64-bit number: the advisory lock's name, shared by every replica of this portal.
ADVISORY_LOCK_KEY = 0x5041525450525450  # "PARTPRTP"
ALIASES = ("default", "sandbox")


def _pending(alias: str) -> int:
    connection = connections[alias]
    executor = MigrationExecutor(connection)
    return len(executor.migration_plan(executor.loader.graph.leaf_nodes()))


@contextmanager
def setup_lock() -> Iterator[str]:
    """Hold the set-up lock for this portal's database; yields how it is held."""
    connection = connections["default"]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [ADVISORY_LOCK_KEY])
        try:
            yield "PostgreSQL advisory lock"
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [ADVISORY_LOCK_KEY])
        return
    database = Path(str(settings.DATABASES["default"]["NAME"]))
    lock_path = database.with_name(database.name + ".setup-lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("a") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield "file lock"
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


def _ensure_sandbox_database() -> bool:
    """Sandbox mode on PostgreSQL: create `<name>_sandbox` when missing; True if created."""
    sandbox = settings.DATABASES["sandbox"]
    default = settings.DATABASES["default"]
    if sandbox["ENGINE"] != "django.db.backends.postgresql" or sandbox["NAME"] == default["NAME"]:
        return False
    if (sandbox.get("HOST"), sandbox.get("PORT")) != (default.get("HOST"), default.get("PORT")):
        return False  # another server: its operator creates it
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [sandbox["NAME"]])
        if cursor.fetchone():
            return False
        quoted = connections["default"].ops.quote_name(str(sandbox["NAME"]))
        cursor.execute(f"CREATE DATABASE {quoted}")
    return True


class Command(BaseCommand):
    help = "Migrate both databases (and seed the sandbox in sandbox mode) under a lock."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--no-seed", action="store_true", help="Sandbox mode: do not seed the demo data."
        )

    def handle(self, *args: Any, no_seed: bool, **options: Any) -> None:
        with setup_lock() as how:
            self.stdout.write(f"portal_setup: holding the set-up lock ({how})")
            if settings.SANDBOX_ENABLED and _ensure_sandbox_database():
                self.stdout.write("portal_setup: created the sandbox's database")
            pending = {alias: _pending(alias) for alias in ALIASES}
            for alias in ALIASES:
                if pending[alias]:
                    call_command("migrate", database=alias, interactive=False, verbosity=0)
            total = sum(pending.values())
            if total:
                self.stdout.write(f"portal_setup: applied {total} migration(s)")
            else:
                self.stdout.write("portal_setup: no migrations to apply")
            call_command("createcachetable", verbosity=0)
            if settings.SANDBOX_ENABLED and not no_seed:
                call_command("sandbox_seed", verbosity=0)
            if not settings.SANDBOX_ENABLED:
                # Every start, not only one that migrates: the switch to live changes no schema.
                for username in demo_accounts_retire():
                    self.stdout.write(
                        f"portal_setup: live mode: the sandbox's demo account {username!r} is "
                        "deactivated"
                    )
        self.stdout.write("portal_setup: done")
