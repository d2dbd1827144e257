"""Deleted users → Restore: who of the chosen users this person may restore, and each restore
with its own result (one that fails says why and the rest go on)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied

from customers.directory.writes import directory_user_write
from portal.audit.records import Action, AuditContext
from portal.partnercenter import AlreadyExists, NotFound, PartnerCenterClient, PartnerCenterError
from portal.staff.access import PROTECTED_ACCOUNT, Capability, can_act_on_user
from users.assignments import new_request_id
from users.selectors import Restorable, users_split_protected


@dataclass
class RestoreResult:
    user_id: str
    username: str
    restored: bool
    reason: str = ""
    error: PartnerCenterError | None = None  # what Partner Center answered, for its identifiers


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
    *, pc: PartnerCenterClient, audit: AuditContext, users: Sequence[Restorable]
) -> list[RestoreResult]:
    """Restore each user; one that fails (purged, username taken) says why and the rest go on."""
    results = []
    audit = audit.calling(pc)
    collection = pc.customers.by_id(audit.customer_id).users
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
        results.append(RestoreResult(row.user_id, row.user_principal_name, True))
    return results


def _why(error: PartnerCenterError, row: Restorable) -> str:
    if isinstance(error, NotFound):
        return "It was deleted more than 30 days ago and has been purged."
    if isinstance(error, AlreadyExists):
        return (
            f"Another active user now has the username {row.user_principal_name}: "
            "rename or delete that user first."
        )
    return str(error)
