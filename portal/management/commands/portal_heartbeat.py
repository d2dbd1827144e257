"""`manage.py portal_heartbeat --role worker|directory|maintenance`: a container's health check.

Exits 0 when a process of that role on this host wrote its heartbeat lately (`portal.heartbeat`),
1 otherwise, saying so in one line.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from portal.heartbeat import STALE, heartbeat_fresh

ROLES = ("worker", "directory", "maintenance")


class Command(BaseCommand):
    help = "Exit 0 when this host's process of the role was seen in the last minute."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--role", choices=ROLES, required=True)

    def handle(self, *args: Any, role: str, **options: Any) -> None:
        if not heartbeat_fresh(role=role):
            raise CommandError(
                f"No {role} process on this host was seen in the last {STALE.seconds} s."
            )
        self.stdout.write(f"{role}: alive")
