"""Changing customer users: add, update, reset password, delete, restore — audited, with tickets.

Every function takes the Partner Center client and an `AuditContext` (the acting staff member, the
customer and the ticket reference), writes one audit record per attempt (success or failure), and
updates or drops the customer's users snapshot. Role checks happen in the views through
`portal.access`; the protected-account rule needs Partner Center, so `user_is_protected` reads it
live here.

Partner Center errors are raised to the caller (a view maps them to fields and messages) after
they are audited; nothing here renders.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field

from django.core import signing
from django.db import IntegrityError

from customers.snapshots import (
    CustomerSnapshot,
    DeletedUserRow,
    UserRow,
    snapshot_drop,
    snapshot_update,
    with_user,
)
from portal.audit import Action, AuditContext, changes_between
from portal.partnercenter import (
    AlreadyExists,
    CustomerUser,
    LicenseAssignment,
    LicenseUpdate,
    NotFound,
    PartnerCenterClient,
    PartnerCenterError,
    PasswordProfile,
    UserMember,
)
from portal.passwords import generate_password
from users.models import CreatedUser

# The fields a person edits on the user page, as CustomerUser attributes.
EDITABLE_FIELDS = (
    "first_name",
    "last_name",
    "display_name",
    "user_principal_name",
    "usage_location",
)
_FINGERPRINT_SALT = "users.fingerprint"


@dataclass(frozen=True)
class NewUser:
    """What the Add user form collected."""

    display_name: str
    user_principal_name: str
    first_name: str = ""
    last_name: str = ""
    usage_location: str = ""
    role_ids: tuple[str, ...] = ()
    sku_ids: tuple[str, ...] = ()
    password: str | None = field(default=None, repr=False)  # None: generate one at Save
    force_change_password: bool = True


@dataclass
class Step:
    """One part of a multi-step change, for telling exactly what was and was not done."""

    description: str
    succeeded: bool
    error: str = ""


@dataclass
class CreateResult:
    user: CustomerUser | None = None
    password: str | None = field(default=None, repr=False)  # shown once, then forgotten
    already_created: CreatedUser | None = None
    password_lost: bool = False  # an earlier attempt created the user; its password is unknown
    steps: list[Step] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return all(step.succeeded for step in self.steps)


def new_request_id() -> str:
    return str(uuid.uuid4())


# --- Add user --------------------------------------------------------------------------------


def user_create(
    *,
    pc: PartnerCenterClient,
    audit: AuditContext,
    new: NewUser,
    request_id: str,
    role_names: dict[str, str] | None = None,
) -> CreateResult:
    """Create a user with the form's one-time `request_id`, then give it roles and licences.

    A form already used answers `already_created` and creates nothing. The password is generated
    here, at Save, unless one was typed; it is returned once and kept nowhere.
    """
    earlier = CreatedUser.objects.filter(request_id=request_id).first()
    if earlier is not None:
        return CreateResult(already_created=earlier)
    password = new.password or generate_password()
    wanted = CustomerUser(
        display_name=new.display_name,
        user_principal_name=new.user_principal_name,
        first_name=new.first_name or None,
        last_name=new.last_name or None,
        usage_location=new.usage_location or None,
        password_profile=PasswordProfile(password, new.force_change_password),
    )
    audit = audit.calling(pc).about(user_id="", username=new.user_principal_name)
    try:
        created = pc.customers.by_id(audit.customer_id).users.create(wanted, request_id=request_id)
    except PartnerCenterError as error:
        audit.record(Action.USER_CREATE, succeeded=False, error=error)
        raise
    # Partner Center replays a repeated request id's answer without the password: the user was
    # made by an earlier attempt whose answer was lost, with a password nobody saw.
    lost = created.password_profile is None or created.password_profile.password is None
    try:
        CreatedUser.objects.create(
            request_id=request_id,
            customer_id=audit.customer_id,
            user_id=created.id or "",
            user_principal_name=created.user_principal_name or "",
        )
    except IntegrityError:  # a concurrent submit of the same form got here first
        return CreateResult(already_created=CreatedUser.objects.get(request_id=request_id))
    audit = audit.about(user_id=created.id or "", username=created.user_principal_name or "")
    audit.record(
        Action.USER_CREATE,
        succeeded=True,
        changes={name: ["", value] for name, value in _editable(created).items() if value},
        request_id=request_id,
        message="Created by an earlier attempt whose answer was lost." if lost else "",
    )
    result = CreateResult(user=created, password=None if lost else password, password_lost=lost)
    result.steps.append(Step(f"Created {created.user_principal_name}", True))
    names = role_names or {}
    result.steps += _change_roles(pc, audit, created, new.role_ids, names, add=True)
    if new.sku_ids:
        result.steps.append(_change_licenses(pc, audit, created, set(new.sku_ids), set()))
    roles = tuple(sorted(names.get(role_id, role_id) for role_id in new.role_ids))
    snapshot_update(
        customer_id=audit.customer_id,
        change=lambda snapshot: with_user(snapshot, _row(created, roles)),
    )
    return result


# --- The user page -----------------------------------------------------------------------------


@dataclass
class UserDetails:
    """A user as the user page shows it, read live."""

    user: CustomerUser
    roles: list[tuple[str, str]]  # (role id, name)
    sku_ids: list[str]
    license_names: list[str]
    fingerprint: str

    @property
    def is_protected(self) -> bool:
        return bool(self.roles)


def user_details(*, pc: PartnerCenterClient, customer_id: str, user_id: str) -> UserDetails:
    """The user, its directory roles and licences, read live (raises NotFound, Forbidden, ...)."""
    operations = pc.customers.by_id(customer_id).users.by_id(user_id)
    user = operations.get()
    roles = [(role.id, role.name) for role in operations.directory_roles.list()]
    licenses = operations.licenses.list()
    return UserDetails(
        user=user,
        roles=sorted(roles, key=lambda role: role[1]),
        sku_ids=[license.product_sku.id for license in licenses],
        license_names=[license.product_sku.name or license.product_sku.id for license in licenses],
        fingerprint=user_fingerprint(user),
    )


def user_is_protected(*, pc: PartnerCenterClient, customer_id: str, user_id: str) -> bool:
    """True when the user (active or deleted) holds any directory role, read live."""
    roles = pc.customers.by_id(customer_id).users.by_id(user_id).directory_roles.list()
    return bool(roles)


def users_split_protected(
    *, pc: PartnerCenterClient, customer_id: str, users: list[DeletedUserRow]
) -> tuple[list[DeletedUserRow], list[DeletedUserRow]]:
    """(plain, protected): which users hold a directory role, read live for each.

    The snapshot does not know deleted users' roles, and a guard must not trust a cache anyway.
    A user purged since the list was shown counts as plain: its restore then says it is gone.
    """
    plain: list[DeletedUserRow] = []
    protected: list[DeletedUserRow] = []
    for row in users:
        try:
            holds_role = user_is_protected(pc=pc, customer_id=customer_id, user_id=row.id)
        except NotFound:
            holds_role = False
        (protected if holds_role else plain).append(row)
    return plain, protected


def user_fingerprint(user: CustomerUser) -> str:
    """A signed digest of the user's editable fields as they were loaded.

    Partner Center users carry no ETag; the user page's form carries this, and Submit compares it
    with the user read again, so a concurrent change is shown rather than overwritten.
    """
    digest = hashlib.sha256(json.dumps(_editable(user), sort_keys=True).encode()).hexdigest()
    return signing.dumps(digest, salt=_FINGERPRINT_SALT)


class ConcurrentChange(Exception):
    """The user changed since the page was loaded: show both versions, overwrite nothing."""

    def __init__(self, current: CustomerUser) -> None:
        super().__init__("Someone changed this user since you opened the page.")
        self.current = current


class BadFingerprint(Exception):
    """The form's fingerprint was not made by this portal."""


@dataclass(frozen=True)
class UserChanges:
    """What the user page's Submit asks for; None means "not on the form"."""

    first_name: str | None = None
    last_name: str | None = None
    display_name: str | None = None
    user_principal_name: str | None = None
    usage_location: str | None = None
    role_ids: frozenset[str] | None = None
    sku_ids: frozenset[str] | None = None


def user_update(
    *,
    pc: PartnerCenterClient,
    audit: AuditContext,
    user_id: str,
    fingerprint: str,
    changes: UserChanges,
    role_names: dict[str, str] | None = None,
) -> list[Step]:
    """Patch only what changed (an emptied optional field is cleared), then roles and licences.

    Raises ConcurrentChange when the user differs from the version the form was made from, and
    BadFingerprint when the form's fingerprint was not made here.
    """
    operations = pc.customers.by_id(audit.customer_id).users.by_id(user_id)
    try:
        expected = signing.loads(fingerprint, salt=_FINGERPRINT_SALT)
    except signing.BadSignature:
        raise BadFingerprint("The form was not made by this portal; open the user again.") from None
    current = operations.get()
    if signing.loads(user_fingerprint(current), salt=_FINGERPRINT_SALT) != expected:
        raise ConcurrentChange(current)

    audit = audit.calling(pc).about(user_id=user_id, username=current.user_principal_name or "")
    before = _editable(current)
    wanted = {
        name: value
        for name in EDITABLE_FIELDS
        if (value := getattr(changes, name)) is not None and value != before[name]
    }
    steps: list[Step] = []
    updated = current
    if wanted:
        request_id = new_request_id()
        try:
            updated = operations.patch(CustomerUser(**wanted), request_id=request_id)
        except PartnerCenterError as error:
            asked = changes_between(before, {**before, **wanted})
            audit.record(Action.USER_UPDATE, succeeded=False, error=error, changes=asked)
            raise
        audit.record(
            Action.USER_UPDATE,
            succeeded=True,
            changes=changes_between(before, _editable(updated)),
            request_id=request_id,
        )
        steps.append(Step("Saved the user's details", True))
    names = role_names or {}
    if changes.role_ids is not None:
        held = {role.id for role in operations.directory_roles.list()}
        roles_to_add, roles_to_remove = (
            sorted(changes.role_ids - held),
            sorted(held - changes.role_ids),
        )
        steps += _change_roles(pc, audit, updated, tuple(roles_to_add), names, add=True)
        steps += _change_roles(pc, audit, updated, tuple(roles_to_remove), names, add=False)
    if changes.sku_ids is not None:
        held_skus = {license.product_sku.id for license in operations.licenses.list()}
        to_assign, to_remove = changes.sku_ids - held_skus, held_skus - changes.sku_ids
        if to_assign or to_remove:
            steps.append(_change_licenses(pc, audit, updated, set(to_assign), set(to_remove)))
    # Names, roles and the username all show in the list: the simplest exact update is a reload.
    snapshot_drop(customer_id=audit.customer_id)
    return steps


def user_reset_password(
    *,
    pc: PartnerCenterClient,
    audit: AuditContext,
    user_id: str,
    username: str,
    force_change: bool = True,
    password: str | None = None,
) -> str:
    """Set a new password — generated unless the caller typed one — and return it (to be shown
    once, never stored)."""
    password = password or generate_password()
    request_id = new_request_id()
    audit = audit.calling(pc).about(user_id=user_id, username=username)
    try:
        pc.customers.by_id(audit.customer_id).users.by_id(user_id).reset_password(
            password, force_change=force_change, request_id=request_id
        )
    except PartnerCenterError as error:
        audit.record(Action.USER_RESET_PASSWORD, succeeded=False, error=error)
        raise
    audit.record(
        Action.USER_RESET_PASSWORD,
        succeeded=True,
        changes={"must_change_at_next_sign_in": force_change},
        request_id=request_id,
    )
    return password


def user_delete(
    *, pc: PartnerCenterClient, audit: AuditContext, user_id: str, username: str
) -> None:
    """Delete the user (softly: restorable for 30 days)."""
    request_id = new_request_id()
    audit = audit.calling(pc).about(user_id=user_id, username=username)
    try:
        pc.customers.by_id(audit.customer_id).users.by_id(user_id).delete(request_id=request_id)
    except PartnerCenterError as error:
        audit.record(Action.USER_DELETE, succeeded=False, error=error)
        raise
    audit.record(Action.USER_DELETE, succeeded=True, request_id=request_id)
    snapshot_drop(customer_id=audit.customer_id)


@dataclass
class RestoreResult:
    user_id: str
    username: str
    restored: bool
    reason: str = ""
    error: PartnerCenterError | None = None  # what Partner Center answered, for its identifiers


def users_restore(
    *, pc: PartnerCenterClient, audit: AuditContext, users: list[DeletedUserRow]
) -> list[RestoreResult]:
    """Restore each user; one that fails (purged, username taken) says why and the rest go on."""
    results = []
    audit = audit.calling(pc)
    collection = pc.customers.by_id(audit.customer_id).users
    for row in users:
        request_id = new_request_id()
        about = audit.about(user_id=row.id, username=row.user_principal_name)
        try:
            collection.by_id(row.id).restore(request_id=request_id)
        except PartnerCenterError as error:
            about.record(Action.USER_RESTORE, succeeded=False, error=error)
            reason = _why(error, row)
            results.append(
                RestoreResult(row.id, row.user_principal_name, False, reason, error=error)
            )
            continue
        about.record(Action.USER_RESTORE, succeeded=True, request_id=request_id)
        results.append(RestoreResult(row.id, row.user_principal_name, True))
    snapshot_drop(customer_id=audit.customer_id)
    return results


def _why(error: PartnerCenterError, row: DeletedUserRow) -> str:
    if isinstance(error, NotFound):
        return "It was deleted more than 30 days ago and has been purged."
    if isinstance(error, AlreadyExists):
        return (
            f"Another active user now has the username {row.user_principal_name}: "
            "rename or delete that user first."
        )
    return str(error)


# --- Roles and licences ------------------------------------------------------------------------


def _change_roles(
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
        members = roles.by_id(role_id).user_members
        request_id = new_request_id()
        try:
            if add:
                members.add(UserMember.of(user), request_id=request_id)
            else:
                members.remove(user.id or "", request_id=request_id)
        except PartnerCenterError as error:
            audit.record(
                Action.USER_ROLES_CHANGE, succeeded=False, error=error, changes={change: [name]}
            )
            steps.append(Step(description, False, str(error)))
            continue
        audit.record(
            Action.USER_ROLES_CHANGE,
            succeeded=True,
            changes={change: [name]},
            request_id=request_id,
        )
        steps.append(Step(description, True))
    return steps


def _change_licenses(
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
        return Step("Changed the licences", False, str(error))
    audit.record(
        Action.USER_LICENSES_CHANGE, succeeded=True, changes=changes, request_id=request_id
    )
    return Step("Changed the licences", True)


# --- Helpers ---------------------------------------------------------------------------------


def _editable(user: CustomerUser) -> dict[str, str]:
    return {name: getattr(user, name) or "" for name in EDITABLE_FIELDS}


def _row(user: CustomerUser, roles: tuple[str, ...]) -> UserRow:
    return UserRow(
        id=user.id or "",
        user_principal_name=user.user_principal_name or "",
        display_name=user.display_name or "",
        first_name=user.first_name or "",
        last_name=user.last_name or "",
        usage_location=user.usage_location or "",
        roles=roles,
    )


def role_names_of(snapshot: CustomerSnapshot) -> dict[str, str]:
    """Role id → name, for naming roles in steps and audit records."""
    return {role.id: role.name for role in snapshot.roles}
