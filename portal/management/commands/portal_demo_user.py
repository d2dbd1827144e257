"""`manage.py portal_demo_user [--port N]`: the demo sign-in of sandbox mode.

Makes sure the demo superuser `admin` exists, marked as the demo account (`portal.demo`: it can
never sign in in live mode), and prints how to sign in. Its password is generated once and kept
in `<DATA_DIR>/demo-password` (readable by the owner only), so it stays the same across restarts
and anyone who can read the data directory can look it up again. It is set on every run, so a
password someone changed in the admin comes back to the one in the file.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from portal.demo import DEMO_USERNAME, demo_account_ensure, demo_password


class Command(BaseCommand):
    help = "Sandbox mode: make sure the demo superuser 'admin' exists and print how to sign in."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--port", type=int, default=8000, help="The port shown in the sign-in line."
        )

    def handle(self, *args: Any, port: int, **options: Any) -> None:
        if not settings.SANDBOX_ENABLED:
            raise CommandError(
                "There is no demo account in live mode: create staff accounts with "
                "`manage.py createsuperuser`."
            )
        password = demo_password()
        demo_account_ensure(password)
        # stdout only, never `logging`: log lines travel to places a password must not go.
        self.stdout.write(
            f"Sign in at http://127.0.0.1:{port}/ as {DEMO_USERNAME} with password {password}"
        )
