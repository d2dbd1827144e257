"""`manage.py scheduled_change_cancel`: cancel a scheduled change before it runs (nothing is
sent), with the same role rules as its Cancel button."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandParser
from django.http import Http404

from portal.audit.records import Actor
from portal.staff import access
from users.bulk.jobs import JOB_CAPABILITY
from users.bulk.models import BulkJob
from users.bulk.schedule import scheduled_job_cancel
from users.bulk.when import due_text
from users.command_inputs import staff_named
from users.command_io import NotAllowed, NotFound, logs_on_stderr, one_line, uuid_value


class Command(BaseCommand):
    help = "Cancel a scheduled change that has not run (scheduled_change_list gives its --job)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--as", dest="as_staff", required=True, metavar="USERNAME")
        parser.add_argument("--job", type=uuid_value, required=True, help="The change's job id.")

    def handle(self, *args: Any, **options: Any) -> None:
        with logs_on_stderr():
            staff = staff_named(options["as_staff"])
            job = BulkJob.objects.filter(public_id=options["job"], run_at__isnull=False).first()
            missing = NotFound(f"No scheduled change has the id {options['job']}.")
            if job is None:
                raise missing
            try:
                access.enter_customer(staff, job.customer_id)
                access.check_capability(staff, JOB_CAPABILITY[job.kind])
            except Http404:
                raise missing from None
            except PermissionDenied as denied:
                raise NotAllowed(f"{staff.get_username()}: {one_line(str(denied))}") from None
            if not scheduled_job_cancel(job=job, actor=Actor.for_command(staff)):
                raise NotAllowed(
                    f"This change is {job.get_state_display().lower()}: only one that has not "
                    "run can be cancelled here (a running one: its page's Cancel)."
                )
            self.stdout.write(
                f"Cancelled {job.get_kind_display().lower()} due {due_text(job)}: nothing was sent."
            )
