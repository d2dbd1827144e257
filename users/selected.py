"""Actions on users selected in the Users and licenses list: manage licenses, reset passwords,
delete. Each runs as a background job, as a bulk upload does (`users/bulk/`: the same worker,
lease, progress page, retry, results file and one-time passwords), one row per user.

- `selection_of` reads the chosen users from the directory: the ids checked on a page, or every
  user that matches the list's search and filters; at most SELECTION_LIMIT.
- `selection_split` applies the role rules before anything is sent: someone who may not act on
  protected accounts (a Helpdesk agent) has those left out, each named with the reason. The
  directory's roles decide here; each row of the job reads its user's roles live again before
  its call (a guard never trusts the mirror alone).
- `license_plan` checks the licenses to assign and remove, with seats for every user that needs
  one, before anything is sent.
- `selected_job_create` makes the job, its rows and its audit record, and enqueues it; the same
  form sent twice (`form_token`) finds the job it made.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from typing import Final

from django.db import IntegrityError, transaction
from django.utils import timezone

from customers.directory.customer_queries import skus_of
from customers.directory.models import DirectoryCustomer, DirectoryUser
from customers.directory.user_queries import (
    UserListQuery,
    licenses_of,
    users_for_export,
    users_of,
    users_page,
)
from portal.audit.records import Action, Actor
from portal.ids import uuid_or_none
from portal.staff.access import Capability, StaffUser, can_act_on_user
from users.bulk.jobs import job_audit
from users.bulk.lease import bulk_job_enqueue
from users.bulk.models import BulkJob, BulkRow
from users.bulk.when import Schedule, due_text, scheduled_fields

# One action covers at most this many users (a select-all beyond it is refused, with the count).
SELECTION_LIMIT: Final = 500
# Deleting more than this many users asks for the count to be typed.
TYPED_COUNT_OVER: Final = 10


class SelectedAction(enum.StrEnum):
    """What can be done to selected users; the value is the job's kind."""

    LICENSES = BulkJob.LICENSES
    RESET = BulkJob.RESET
    DELETE = BulkJob.DELETE
    OFFBOARD = BulkJob.OFFBOARD

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def capability(self) -> Capability:
        return _CAPABILITIES[self]


_LABELS: Final = {
    SelectedAction.LICENSES: "Manage licenses",
    SelectedAction.RESET: "Reset passwords",
    SelectedAction.DELETE: "Delete users",
    SelectedAction.OFFBOARD: "Offboard",
}
_CAPABILITIES: Final = {
    SelectedAction.LICENSES: Capability.CHANGE_ROLES_OR_LICENSES,
    SelectedAction.RESET: Capability.RESET_PASSWORD,
    SelectedAction.DELETE: Capability.DELETE_USER,
    SelectedAction.OFFBOARD: Capability.DELETE_USER,
}


class SelectionRefused(Exception):
    """The selection or the action's choices cannot be carried out; `str(error)` says why."""


# --- Which users ---------------------------------------------------------------------------------


def selection_of(
    *, customer: DirectoryCustomer, user_ids: Sequence[str], query: UserListQuery | None = None
) -> list[DirectoryUser]:
    """The selected active users, by name: those of `user_ids` still in the directory, or, with
    `query`, every user the list shows for it (`user_ids` ignored). Refuses none, and more than
    SELECTION_LIMIT (saying how many)."""
    if query is not None:
        users = list(islice(users_for_export(customer, query), SELECTION_LIMIT + 1))
        if len(users) > SELECTION_LIMIT:
            total = _matching_count(customer, query)
            raise SelectionRefused(
                f"{total:,} users match this list; one action covers at most {SELECTION_LIMIT}. "
                "Narrow the search or filters, or check users on a page."
            )
    else:
        wanted = [str(uid) for uid in dict.fromkeys(user_ids) if uuid_or_none(uid) is not None]
        if len(wanted) > SELECTION_LIMIT:
            raise SelectionRefused(
                f"{len(wanted):,} users are selected; one action covers at most {SELECTION_LIMIT}."
            )
        users = list(
            users_of(customer).filter(user_id__in=wanted).order_by("display_key", "upn_key")
        )
    if not users:
        raise SelectionRefused(
            "No user is selected (or the selected users are no longer in the list): check the "
            "users to act on, then choose the action."
        )
    return users


def _matching_count(customer: DirectoryCustomer, query: UserListQuery) -> int:
    return users_page(customer, query, 1).paginator.count


@dataclass(frozen=True)
class LeftOut:
    user: DirectoryUser
    reason: str


@dataclass(frozen=True)
class Selection:
    """The users an action will cover, and those left out with the reason."""

    users: list[DirectoryUser]
    left_out: list[LeftOut]


def protected_reason(action: SelectedAction, roles: str) -> str:
    verb = {
        SelectedAction.RESET: "reset",
        SelectedAction.DELETE: "delete",
        SelectedAction.LICENSES: "change",
    }[action]
    held = f" ({roles})" if roles else ""
    return f"Holds an admin role{held}: only an Admin agent can {verb} a protected account."


def selection_split(
    *, staff: StaffUser, action: SelectedAction, users: list[DirectoryUser]
) -> Selection:
    """Leave out the protected accounts (users with an admin role, as the directory knows them)
    that `staff` may not act on; everyone else is covered."""
    if not skips_protected(staff, action):
        return Selection(users, [])
    covered = [user for user in users if not user.roles_key]
    left_out = [
        LeftOut(user, protected_reason(action, user.roles)) for user in users if user.roles_key
    ]
    return Selection(covered, left_out)


def skips_protected(staff: StaffUser, action: SelectedAction) -> bool:
    """Whether each row must read its user's roles live and leave a protected account alone."""
    if action.capability is Capability.CHANGE_ROLES_OR_LICENSES:
        return False
    return not can_act_on_user(staff, action.capability, target_holds_directory_role=True)


# --- Manage licenses: the plan -----------------------------------------------------------------


@dataclass(frozen=True)
class LicensePlan:
    assign: list[dict[str, str]]  # [{"id", "name"}], as a job keeps them
    remove: list[dict[str, str]]


def license_plan(
    *,
    customer: DirectoryCustomer,
    users: list[DirectoryUser],
    assign: Sequence[str],
    remove: Sequence[str],
) -> LicensePlan:
    """Check the licenses to assign and remove: each one of the customer's, none both, at least
    one; to assign any, every user has a location; and for each to assign, a seat for every
    selected user not known to hold it already (seats as last read). Raises SelectionRefused,
    naming the license or the users and the numbers."""
    skus = {sku.id.lower(): sku for sku in skus_of(customer)}
    assign_ids = [sku_id.lower() for sku_id in dict.fromkeys(assign)]
    remove_ids = [sku_id.lower() for sku_id in dict.fromkeys(remove)]
    if not assign_ids and not remove_ids:
        raise SelectionRefused("Choose a license to assign or to remove.")
    unknown = [sku_id for sku_id in assign_ids + remove_ids if sku_id not in skus]
    if unknown:
        raise SelectionRefused("That license is not one of this customer's subscriptions.")
    both = [skus[sku_id].name for sku_id in assign_ids if sku_id in remove_ids]
    if both:
        raise SelectionRefused(f"{both[0]} is chosen both to assign and to remove: choose one.")
    nowhere = [
        user.display_name or user.user_principal_name for user in users if not user.usage_location
    ]
    if assign_ids and nowhere:
        names = ", ".join(nowhere[:5]) + (
            f" and {len(nowhere) - 5} more" if len(nowhere) > 5 else ""
        )
        raise SelectionRefused(
            f"A license needs the user's location, and {len(nowhere)} of the selected users "
            f"have none: {names}. Set their location on their page first, or leave them out."
        )
    held = licenses_of(customer, [user.user_id for user in users])
    for sku_id in assign_ids:
        sku = skus[sku_id]
        needing = sum(1 for user in users if sku.id not in held.get(user.user_id, []))
        if needing > sku.available:
            raise SelectionRefused(
                f"{sku.name}: {needing} of the selected users need a seat, and "
                f"{sku.available} of {sku.total} are available. Buy more seats, or select "
                "fewer users."
            )
    return LicensePlan(
        assign=[{"id": skus[sku_id].id, "name": skus[sku_id].name} for sku_id in assign_ids],
        remove=[{"id": skus[sku_id].id, "name": skus[sku_id].name} for sku_id in remove_ids],
    )


# --- The job -------------------------------------------------------------------------------------


def selected_job_create(
    *,
    customer: DirectoryCustomer,
    action: SelectedAction,
    users: list[DirectoryUser],
    actor: Actor,
    form_token: str,
    ticket: str = "",
    plan: LicensePlan | None = None,
    skip_protected: bool = False,
    left_out: int = 0,
    schedule: Schedule | None = None,
    now: datetime | None = None,
) -> BulkJob:
    """Make the job that carries out `action` on `users` (one row each, by name), audit it and
    enqueue it (or leave it waiting for its `schedule`), in one transaction. The same
    `form_token` again returns the job it made, so a double click or a reload does nothing
    twice."""
    token = uuid_or_none(form_token) or uuid.uuid4()
    existing = BulkJob.objects.filter(draft_public_id=token).first()
    if existing is not None:
        return existing
    if action is SelectedAction.LICENSES and plan is None:
        raise ValueError("Manage licenses needs a license plan.")
    now = now or timezone.now()
    try:
        with transaction.atomic():
            job = _job_new(
                customer=customer,
                action=action,
                users=users,
                actor=actor,
                token=token,
                ticket=ticket,
                plan=plan,
                skip_protected=skip_protected,
                schedule=schedule,
                now=now,
            )
            _job_audit(
                job, actor, action, plan, count=len(users), left_out=left_out, schedule=schedule
            )
            if schedule is None:
                bulk_job_enqueue(job, now=now)
    except IntegrityError:  # a concurrent send of the same form won
        return BulkJob.objects.get(draft_public_id=token)
    return job


def _job_new(
    *,
    customer: DirectoryCustomer,
    action: SelectedAction,
    users: list[DirectoryUser],
    actor: Actor,
    token: uuid.UUID,
    ticket: str,
    plan: LicensePlan | None,
    skip_protected: bool,
    schedule: Schedule | None,
    now: datetime,
) -> BulkJob:
    """The job, with one row per user."""
    count = len(users)
    job = BulkJob.objects.create(
        kind=action.value,
        draft_public_id=token,
        customer_id=customer.tenant_id,
        customer_name=customer.company_name,
        created_by=actor.user,
        created_by_username=actor.username,
        ticket=ticket,
        file_name=f"{action.label}: {count} selected user{'' if count == 1 else 's'}",
        usage_location="",
        skus=plan.assign if plan else [],
        remove_skus=plan.remove if plan else [],
        skip_protected=skip_protected,
        created_at=now,
        **scheduled_fields(schedule),
    )
    BulkRow.objects.bulk_create(_rows(job, users))
    return job


def _job_audit(
    job: BulkJob,
    actor: Actor,
    action: SelectedAction,
    plan: LicensePlan | None,
    *,
    count: int,
    left_out: int,
    schedule: Schedule | None,
) -> None:
    """The job in the audit log: the action, how many users, and when it runs."""
    job_audit(job, actor).record(
        Action.SELECTED_USERS,
        succeeded=True,
        changes=_changes(job, action, count, plan, left_out),
        message=f"{action.label} of {count} selected user{'' if count == 1 else 's'}, "
        + (f"scheduled for {due_text(job)}." if schedule else "in the background."),
    )


def _rows(job: BulkJob, users: list[DirectoryUser]) -> Iterator[BulkRow]:
    """One row per user, by name, in the order chosen."""
    for number, user in enumerate(users, start=1):
        yield BulkRow(
            job=job,
            number=number,
            first_name=user.first_name[:64],
            last_name=user.last_name[:64],
            display_name=(user.display_name or user.user_principal_name)[:64],
            email=user.user_principal_name,
            user_id=user.user_id,
        )


def _changes(
    job: BulkJob, action: SelectedAction, count: int, plan: LicensePlan | None, left_out: int
) -> dict[str, object]:
    """What the job's own audit record says it will do."""
    changes: dict[str, object] = {"action": action.label, "users": count}
    if plan:
        changes["assign"] = [sku["name"] for sku in plan.assign]
        changes["remove"] = [sku["name"] for sku in plan.remove]
    if left_out:
        changes["left_out"] = left_out
    if job.run_at:
        changes["scheduled_for"] = due_text(job)
    return changes
