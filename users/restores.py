"""Deleted users → Restore: who of the chosen users this person may restore, and each restore
with its own result (one that fails says why and the rest go on)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied

from customers.directory.writes import directory_user_write
from portal.audit.records import Action, AuditContext
from portal.partnercenter import (
    AlreadyExists,
    CustomerUser,
    LicenseGroupId,
    NotFound,
    PartnerCenterClient,
    PartnerCenterError,
)
from portal.staff.access import PROTECTED_ACCOUNT, Capability, can_act_on_user
from users.assignments import change_licenses, change_roles, new_request_id
from users.bulk.models import BulkJob, BulkRow
from users.selectors import Restorable, users_split_protected


@dataclass
class RestoreResult:
    user_id: str
    username: str
    restored: bool
    reason: str = ""
    error: PartnerCenterError | None = None  # what Partner Center answered, for its identifiers
    given_back: str = ""  # what an offboarding had removed and was given back, in words


def users_restore_permitted[R: Restorable](
    *,
    pc: PartnerCenterClient,
    staff: User | AnonymousUser,
    customer_id: str,
    users: list[R],
) -> tuple[list[R], list[RestoreResult]]:
    """(allowed, refused): the chosen users `staff` may restore, and a refused result for each
    protected one (holding a directory role, read live) that only an Admin agent may restore.

    PermissionDenied when every chosen user is refused: only a crafted request gets there.
    """
    allowed, protected = users_split_protected(pc=pc, customer_id=customer_id, users=users)
    if can_act_on_user(staff, Capability.RESTORE_USER, target_holds_directory_role=True):
        return allowed + protected, []
    refused = [
        RestoreResult(row.user_id, row.user_principal_name, False, PROTECTED_ACCOUNT)
        for row in protected
    ]
    if refused and not allowed:
        raise PermissionDenied(PROTECTED_ACCOUNT)
    return allowed, refused


def users_restore(
    *,
    pc: PartnerCenterClient,
    audit: AuditContext,
    users: Sequence[Restorable],
    give_back: bool = False,
) -> list[RestoreResult]:
    """Restore each user; one that fails (purged, username taken) says why and the rest go on.

    With `give_back`, a user the portal offboarded also gets back the licenses (those with a
    seat left) and admin roles the offboarding removed."""
    results = []
    audit = audit.calling(pc)
    collection = pc.customers.by_id(audit.customer_id).users
    had = offboarded_had(customer_id=audit.customer_id, users=users) if give_back else {}
    for row in users:
        request_id = new_request_id()
        about = audit.about(user_id=row.user_id, username=row.user_principal_name)
        try:
            restored = collection.by_id(row.user_id).restore(request_id=request_id)
        except PartnerCenterError as error:
            about.record(Action.USER_RESTORE, succeeded=False, error=error)
            reason = _why(error, row)
            results.append(
                RestoreResult(row.user_id, row.user_principal_name, False, reason, error=error)
            )
            continue
        about.record(Action.USER_RESTORE, succeeded=True, request_id=request_id)
        directory_user_write(tenant_id=audit.customer_id, user=restored)
        given = _give_back(pc, about, restored, had[row.user_id]) if row.user_id in had else ""
        results.append(RestoreResult(row.user_id, row.user_principal_name, True, given_back=given))
    return results


def offboarded_had(*, customer_id: str, users: Sequence[Restorable]) -> dict[str, dict[str, Any]]:
    """For each of `users` the portal offboarded, what its latest offboarding removed."""
    rows = BulkRow.objects.filter(
        job__customer_id=customer_id,
        job__kind=BulkJob.OFFBOARD,
        state=BulkRow.DONE,
        user_id__in=[row.user_id for row in users],
    ).order_by("job__created_at", "pk")
    return {row.user_id: row.progress for row in rows}


def _give_back(
    pc: PartnerCenterClient, audit: AuditContext, user: CustomerUser, had: dict[str, Any]
) -> str:
    """Assign the licenses with a seat left and add the roles an offboarding took; a sentence
    of what was given back and what could not be."""
    customer = pc.customers.by_id(audit.customer_id)
    licenses = _named(had.get("licenses", []))
    roles = _named(had.get("roles", []))
    said: list[str] = []
    missed: list[str] = []
    if licenses:
        seats = {
            sku.sku_id: sku.available_units or 0
            for sku in customer.subscribed_skus.list(license_groups=list(LicenseGroupId))
        }
        free = {sku_id for sku_id in licenses if seats.get(sku_id, 0) > 0}
        missed += [
            f"{licenses[sku_id]} (no seat left)" for sku_id in licenses if sku_id not in free
        ]
        if free:
            step = change_licenses(pc, audit, user, free, set())
            (said if step.succeeded else missed).extend(licenses[sku_id] for sku_id in sorted(free))
    if roles:
        for step in change_roles(pc, audit, user, tuple(roles), roles, add=True):
            (said if step.succeeded else missed).append(roles[step.role_id])
    text = f"gave back {', '.join(said)}" if said else ""
    if missed:
        text += ("; " if text else "") + f"could not give back {', '.join(missed)}"
    return text or "the offboarding had removed nothing"


def _named(items: list[dict[str, Any]]) -> dict[str, str]:
    return {str(item["id"]): str(item["name"] or item["id"]) for item in items}


def _why(error: PartnerCenterError, row: Restorable) -> str:
    if isinstance(error, NotFound):
        return "It was deleted more than 30 days ago and has been purged."
    if isinstance(error, AlreadyExists):
        return (
            f"Another active user now has the username {row.user_principal_name}: "
            "rename or delete that user first."
        )
    return str(error)
