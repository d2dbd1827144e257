"""`manage.py portal_encryption_key`: print a new key for `PORTAL_ENCRYPTION_KEY`.

For operators: set it (or put it in the file `PORTAL_ENCRYPTION_KEY_FILE` names) before the first
live start, and back it up with the database. To rotate, put a new key first in the
comma-separated list and keep the old ones after it (see `portal.crypto`).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from portal.crypto import generate_key


class Command(BaseCommand):
    help = "Print a new random Fernet key for PORTAL_ENCRYPTION_KEY (nothing is stored)."

    def handle(self, *args: Any, **options: Any) -> None:
        # stdout only, never `logging`: a key must not travel with the logs.
        self.stdout.write(generate_key())
