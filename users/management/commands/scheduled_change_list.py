"""`manage.py scheduled_change_list`: the scheduled changes a staff member may see, as on the
Scheduled changes page: what will run, when, for which ticket and by whom (with --ran, what ran
or was cancelled in the last 30 days)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from portal.staff import access
from users.bulk.schedule_selectors import ScheduledLine, scheduled_changes, visible_kinds
from users.command_inputs import staff_named
from users.command_io import NotAllowed, json_default, logs_on_stderr, rows_table, uuid_value

COLUMNS = ("job", "due", "customer", "change", "ticket", "by", "state")


class Command(BaseCommand):
    help = (
        "List scheduled changes (--ran: those that ran or were cancelled in the last 30 days), "
        "of every customer the staff member (--as) may see, or of one (--tenant-id)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--as", dest="as_staff", required=True, metavar="USERNAME")
        parser.add_argument("--tenant-id", type=uuid_value, help="Only this customer's.")
        parser.add_argument("--ran", action="store_true", help="What ran, not what will.")
        parser.add_argument("--json", action="store_true", help="Write JSON instead of a table.")

    def handle(self, *args: Any, **options: Any) -> None:
        with logs_on_stderr():
            staff = staff_named(options["as_staff"])
            if access.role_of(staff) is None:
                raise NotAllowed(f"{staff.get_username()}: {access.NO_ROLE_MESSAGE}")
            lines = scheduled_changes(
                visible=visible_kinds(staff),
                upcoming=not options["ran"],
                customer_id=options["tenant_id"],
            )
            rows = [_row(line) for line in lines]
            if options["json"]:
                self.stdout.write(json.dumps(rows, default=json_default, indent=2))
            elif rows:
                self.stdout.write(rows_table(rows, COLUMNS))
            else:
                self.stdout.write("Nothing " + ("ran." if options["ran"] else "is scheduled."))


def _row(line: ScheduledLine) -> dict[str, Any]:
    job = line.job
    users = ", ".join(line.users) + (f" and {line.more} more" if line.more > 0 else "")
    return {
        "job": str(job.public_id),
        "due": line.due,
        "customer": job.customer_name or job.customer_id,
        "change": f"{job.get_kind_display()}: {users}",
        "ticket": job.ticket,
        "by": job.created_by_username,
        "state": job.get_state_display(),
    }
