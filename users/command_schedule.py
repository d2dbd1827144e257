"""`--at` on the change commands: the change becomes a scheduled job, the same as the web's
(`users.selected.selected_job_create` with a `Schedule`), made now and run at its time by the
maintenance loop; nothing is sent to Partner Center now."""

from __future__ import annotations

from collections.abc import Iterable

from customers.directory.models import DirectoryCustomer, DirectoryUser
from customers.directory.sync import directory_customer_sync
from customers.directory.user_queries import user_get
from customers.services import customer_open
from portal.partnercenter import CustomerUser
from users.bulk.models import BulkJob
from users.bulk.when import due_text
from users.command_io import BadInput, NotFound
from users.commands import Invocation
from users.selected import (
    SelectedAction,
    SelectionRefused,
    license_plan,
    selected_job_create,
    skips_protected,
)


def command_schedule(
    invocation: Invocation,
    action: SelectedAction,
    user: CustomerUser,
    *,
    assign: Iterable[str] = (),
    remove: Iterable[str] = (),
) -> BulkJob:
    """Schedule `action` on `user` for `invocation.schedule`, checked as the web checks it
    (seats for a license change); the job that will run it."""
    assert invocation.schedule is not None
    mirror = command_mirror(invocation)
    person = _directory_user(invocation, mirror, user)
    plan = None
    if action is SelectedAction.LICENSES:
        try:
            plan = license_plan(
                customer=mirror, users=[person], assign=list(assign), remove=list(remove)
            )
        except SelectionRefused as refused:
            raise BadInput(str(refused)) from None
    return selected_job_create(
        customer=mirror,
        action=action,
        users=[person],
        actor=invocation.audit().actor,
        form_token="",
        ticket=invocation.ticket,
        plan=plan,
        skip_protected=skips_protected(invocation.staff, action),
        schedule=invocation.schedule,
    )


def command_mirror(invocation: Invocation) -> DirectoryCustomer:
    """The command's customer in the directory, read into it first if it never was."""
    row = customer_open(pc=invocation.pc, customer_id=invocation.customer_id)
    if row is None:
        raise NotFound(f"No customer with tenant id {invocation.customer_id}.")
    if not row.mirror.mirrored:
        directory_customer_sync(pc=invocation.pc, customer=row.mirror, concurrency=1)
        row.mirror.refresh_from_db()
    return row.mirror


def _directory_user(
    invocation: Invocation, mirror: DirectoryCustomer, user: CustomerUser
) -> DirectoryUser:
    """The user as the directory knows it, reading the customer into it if it does not yet."""
    person = user_get(mirror, user.id or "")
    if person is None:
        directory_customer_sync(pc=invocation.pc, customer=mirror, concurrency=1)
        mirror.refresh_from_db()
        person = user_get(mirror, user.id or "")
    if person is None:
        raise NotFound(f"{user.user_principal_name} is not in the portal's directory yet.")
    return person


def scheduled_lead(job: BulkJob, what: str) -> tuple[str, list[str]]:
    """What a command says after scheduling: the change, when, and how to see or cancel it."""
    return (
        f"Scheduled: {what} at {due_text(job)}. Nothing was sent now.",
        [
            f"manage.py scheduled_change_list --as ... shows it; "
            f"manage.py scheduled_change_cancel --job {job.public_id} --as ... cancels it."
        ],
    )
