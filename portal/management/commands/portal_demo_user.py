"""`manage.py portal_demo_user [--port N]`: the demo sign-in of sandbox mode.

Makes sure a superuser `admin` exists and prints how to sign in. Its password is generated once
and kept in `<DATA_DIR>/demo-password` (readable by the owner only), so it stays the same across
restarts and anyone who can read the data directory can look it up again. It is set on every run,
so a password someone changed in the admin comes back to the one in the file.
"""

from __future__ import annotations

import os
import secrets
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

DEMO_USERNAME = "admin"
PASSWORD_FILE_NAME = "demo-password"  # noqa: S105 (a file name, not a password)


def demo_password_file() -> Path:
    return Path(settings.DATA_DIR) / PASSWORD_FILE_NAME


def demo_password() -> str:
    """The demo password from its file, made on first use."""
    path = demo_password_file()
    try:
        password = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        password = ""
    if password:
        return password
    password = secrets.token_urlsafe(12)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Created with mode 0600 from the start, so it is never readable by others, not even briefly.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(password + "\n")
    path.chmod(0o600)  # an empty file left by someone else may have had wider permissions
    return password


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
        user_model = get_user_model()
        with transaction.atomic():
            lookup: dict[str, Any] = {user_model.USERNAME_FIELD: DEMO_USERNAME}
            user, _ = user_model._default_manager.get_or_create(**lookup)
            user.is_active = True
            user.is_staff = True
            user.is_superuser = True
            user.set_password(password)
            user.save()
        # stdout only, never `logging`: log lines travel to places a password must not go.
        self.stdout.write(
            f"Sign in at http://127.0.0.1:{port}/ as {DEMO_USERNAME} with password {password}"
        )
