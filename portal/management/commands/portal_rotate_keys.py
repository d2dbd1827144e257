"""`manage.py portal_rotate_keys [--check]`: finish a rotation of PORTAL_ENCRYPTION_KEY.

Put the new key first in PORTAL_ENCRYPTION_KEY (the old one after it), restart, then run this:
every stored secret is re-encrypted with the new key. `--check` changes nothing and exits 1 while
anything still needs an older key, so the old key can be dropped once it exits 0. Safe to run
twice, and while the portal runs.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from portal.keys import keys_rotate


class Command(BaseCommand):
    help = "Re-encrypt every stored secret with the first PORTAL_ENCRYPTION_KEY (--check: count)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--check",
            action="store_true",
            help="Change nothing; exit 1 while a stored secret still needs an older key.",
        )

    def handle(self, *args: Any, check: bool, **options: Any) -> None:
        report = keys_rotate(check_only=check)
        for label in report.reencrypted:
            line = (
                f"{label}: {report.reencrypted[label]} re-encrypted, "
                f"{report.on_older_keys[label]} still on an older key, "
                f"{report.unreadable[label]} that no key opens"
            )
            self.stdout.write(line)
        if any(report.unreadable.values()):
            raise CommandError(
                "Some stored secrets open with no key in PORTAL_ENCRYPTION_KEY: put back the key "
                "they were encrypted with (after the first), then run this again."
            )
        if check and not report.done:
            raise CommandError("Some stored secrets still need an older key: run without --check.")
        if report.done:
            self.stdout.write("Every stored secret uses the first key: older keys can go.")
