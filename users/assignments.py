"""A user's directory roles and licenses: the calls that change them, one audited `Step` each
(so a page can say exactly what was and was not done), and what the user holds now (read live).

`user_role_change` and `user_licenses_change` are the whole change for one user, as a command
makes it: audited as the user page's Submit audits it, and written through to the directory.
`user_require_password_change` sets only "must change the password at the next sign-in"."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from customers.directory.writes import directory_user_licenses, directory_user_roles
from portal.audit.records import Action, AuditContext
from portal.partnercenter import (
    CustomerUser,
    DirectoryRole,
    LicenseAssignment,
    LicenseUpdate,
    PartnerCenterClient,
    PartnerCenterError,
    UserMember,
)
from portal.partnercenter.operations import UserOperations
from users.roles import role_is_privileged


@dataclass
class Step:
    """One part of a multi-step change, for telling exactly what was and was not done."""

    description: str
    succeeded: bool
    error: str = ""
    role_id: str = field(default="", compare=False)  # the role a role step gave or took
    adds_role: bool = field(default=False, compare=False)
    sku_ids: tuple[str, ...] | None = field(default=None, compare=False)  # licences assigned
    sku_ids_removed: tuple[str, ...] = field(default=(), compare=False)
    # What Partner Center answered to a step that failed, with its identifiers.
    failure: PartnerCenterError | None = field(default=None, compare=False, repr=False)


def new_request_id() -> str:
    return str(uuid.uuid4())


def change_roles(
    pc: PartnerCenterClient,
    audit: AuditContext,
    user: CustomerUser,
    role_ids: tuple[str, ...],
    role_names: dict[str, str],
    *,
    add: bool,
) -> list[Step]:
    """Add the user to (or remove it from) each role: one call, audit record and step per role,
    so one refused role does not stop the others."""
    steps = []
    roles = pc.customers.by_id(audit.customer_id).directory_roles
    change = "added" if add else "removed"
    for role_id in role_ids:
        name = role_names.get(role_id, role_id)
        description = f"Gave the role {name}" if add else f"Took away the role {name}"
        changed: dict[str, Any] = {change: [name]}
        if add and role_is_privileged(role_id, name):
            description = f"Gave the privileged role {name}"
            changed["privileged"] = True
        members = roles.by_id(role_id).user_members
        request_id = new_request_id()
        try:
            if add:
                members.add(UserMember.of(user), request_id=request_id)
            else:
                members.remove(user.id or "", request_id=request_id)
        except PartnerCenterError as error:
            audit.record(Action.USER_ROLES_CHANGE, succeeded=False, error=error, changes=changed)
            steps.append(Step(description, False, str(error), role_id, add, failure=error))
            continue
        audit.record(
            Action.USER_ROLES_CHANGE, succeeded=True, changes=changed, request_id=request_id
        )
        steps.append(Step(description, True, role_id=role_id, adds_role=add))
    return steps


def change_licenses(
    pc: PartnerCenterClient,
    audit: AuditContext,
    user: CustomerUser,
    to_assign: set[str],
    to_remove: set[str],
) -> Step:
    update = LicenseUpdate(
        licenses_to_assign=[LicenseAssignment(sku_id) for sku_id in sorted(to_assign)],
        licenses_to_remove=sorted(to_remove),
    )
    request_id = new_request_id()
    changes = {"assigned": sorted(to_assign), "removed": sorted(to_remove)}
    operations = pc.customers.by_id(audit.customer_id).users.by_id(user.id or "")
    try:
        operations.license_updates.create(update, request_id=request_id)
    except PartnerCenterError as error:
        audit.record(Action.USER_LICENSES_CHANGE, succeeded=False, error=error, changes=changes)
        return Step("Changed the licenses", False, str(error), failure=error)
    audit.record(
        Action.USER_LICENSES_CHANGE, succeeded=True, changes=changes, request_id=request_id
    )
    return Step(
        "Changed the licenses",
        True,
        sku_ids=tuple(sorted(to_assign)),
        sku_ids_removed=tuple(sorted(to_remove)),
    )


def held_roles(operations: UserOperations) -> frozenset[str]:
    return frozenset(role.id for role in operations.directory_roles.list())


def held_skus(operations: UserOperations) -> frozenset[str]:
    return frozenset(license.product_sku.id for license in operations.licenses.list())


def user_role_change(
    *,
    pc: PartnerCenterClient,
    audit: AuditContext,
    user: CustomerUser,
    role: DirectoryRole,
    add: bool,
) -> Step:
    """Give `user` the directory role, or take it away: one audited call (a privileged role's
    record says so), and the directory learns it. The caller confirmed a privileged role."""
    audit = audit.calling(pc).about(user_id=user.id or "", username=user.user_principal_name or "")
    [step] = change_roles(pc, audit, user, (role.id,), {role.id: role.name}, add=add)
    if step.succeeded:
        directory_user_roles(
            tenant_id=audit.customer_id,
            user_id=user.id or "",
            added=[(role.id, role.name)] if add else [],
            removed=[] if add else [role.id],
        )
    return step


def user_licenses_change(
    *,
    pc: PartnerCenterClient,
    audit: AuditContext,
    user: CustomerUser,
    held: frozenset[str],
    assign: set[str],
    remove: set[str],
) -> Step:
    """Assign and remove licenses in one update (one license group), audited; the directory
    learns what the user holds after it (`held`: the SKU ids the user held before, read live)."""
    audit = audit.calling(pc).about(user_id=user.id or "", username=user.user_principal_name or "")
    step = change_licenses(pc, audit, user, assign, remove)
    if step.succeeded:
        directory_user_licenses(
            tenant_id=audit.customer_id, user_id=user.id or "", sku_ids=(held - remove) | assign
        )
    return step


def user_require_password_change(
    *, pc: PartnerCenterClient, audit: AuditContext, user: CustomerUser, required: bool = True
) -> None:
    """Make the user choose a new password at the next sign-in (or, `required=False`, no longer
    must), keeping the password: what `Set-PartnerCustomerUser -ForceChangePasswordNextLogin`
    sends. Audited as an update of the user; Partner Center's errors are raised once audited."""
    audit = audit.calling(pc).about(user_id=user.id or "", username=user.user_principal_name or "")
    changes = {"must_change_at_next_sign_in": required}
    request_id = new_request_id()
    operations = pc.customers.by_id(audit.customer_id).users.by_id(user.id or "")
    try:
        operations.require_password_change(required=required, request_id=request_id)
    except PartnerCenterError as error:
        audit.record(Action.USER_UPDATE, succeeded=False, error=error, changes=changes)
        raise
    audit.record(Action.USER_UPDATE, succeeded=True, changes=changes, request_id=request_id)
