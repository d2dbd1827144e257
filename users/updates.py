"""Changing a user's details, roles and licenses from the user page (or `customer_user_set`),
against what the page showed when it was loaded.

`user_update` sends only what the person changed: the difference between the form as loaded
(the fingerprint `users.selectors.loaded_user` reads back) and as submitted. Partner Center is
read again first; a field someone else changed meanwhile to another value raises
`ConcurrentChange`, and nothing is sent. Each call is audited (`portal.audit.records`) and what
Partner Center answered is written through to the directory (`customers/directory/writes.py`).
Adding, resetting a password and deleting are in `users/services.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from customers.directory.writes import (
    directory_user_licenses,
    directory_user_roles,
    directory_user_write,
)
from portal.audit.records import Action, AuditContext, changes_between
from portal.partnercenter import CustomerUser, PartnerCenterClient, PartnerCenterError
from portal.partnercenter.operations import UserOperations
from users.assignments import (
    Step,
    change_licenses,
    change_roles,
    held_roles,
    held_skus,
    new_request_id,
)
from users.roles import refuse_unconfirmed_privileged
from users.selectors import EDITABLE_FIELDS, LoadedUser, editable_fields, loaded_user


class ConcurrentChange(Exception):
    """Partner Center changed, since the page was loaded, something the submit would change:
    show both versions, overwrite nothing."""

    def __init__(
        self,
        *,
        loaded: LoadedUser,
        current: CustomerUser,
        current_role_ids: frozenset[str],
        current_sku_ids: frozenset[str],
        clashes: tuple[str, ...],
    ) -> None:
        super().__init__("Someone changed this user since you opened the page.")
        self.loaded = loaded
        self.current = current
        self.current_role_ids = current_role_ids
        self.current_sku_ids = current_sku_ids
        self.clashes = clashes  # the editable fields both sides changed, differently


@dataclass(frozen=True)
class UserChanges:
    """What a submit asks for; None means "not on the form".

    `role_ids` and `sku_ids` are what is checked among `roles_offered` and `skus_offered` (None:
    among everything); a role held but not offered is never taken away.
    """

    first_name: str | None = None
    last_name: str | None = None
    display_name: str | None = None
    user_principal_name: str | None = None
    usage_location: str | None = None
    role_ids: frozenset[str] | None = None
    sku_ids: frozenset[str] | None = None
    roles_offered: frozenset[str] | None = None
    skus_offered: frozenset[str] | None = None
    # The privileged roles the person confirmed granting (`users.roles.privileged_confirmation`).
    privileged_confirmed: frozenset[str] = frozenset()


@dataclass(frozen=True)
class _Delta:
    add: frozenset[str]
    remove: frozenset[str]

    def __bool__(self) -> bool:
        return bool(self.add or self.remove)

    def still_needed(self, now: frozenset[str]) -> _Delta:
        """What is left to do against what Partner Center holds now: an addition or removal
        someone else already made is done, not a conflict."""
        return _Delta(self.add - now, self.remove & now)


def _delta(
    chosen: frozenset[str] | None, offered: frozenset[str] | None, loaded: frozenset[str]
) -> _Delta:
    if chosen is None:
        return _Delta(frozenset(), frozenset())
    shown = loaded if offered is None else loaded & offered
    return _Delta(chosen - loaded, shown - chosen)


def user_update(
    *,
    pc: PartnerCenterClient,
    audit: AuditContext,
    user_id: str,
    fingerprint: str,
    changes: UserChanges,
    role_names: dict[str, str] | None = None,
) -> list[Step]:
    """Change only what the person changed — the difference between the form as loaded
    (`fingerprint`) and as submitted — then roles and licenses.

    Before anything is sent, Partner Center is read again: when a field the submit would change
    differs now from the page as loaded (and from what was asked), ConcurrentChange is raised and
    nothing is changed. Roles and licenses nobody touched on the page are left as they are now,
    whatever the page showed. Raises BadFingerprint for a fingerprint not made here, and
    PrivilegedRoleNotConfirmed when a privileged role would be granted without confirmation.
    """
    loaded = loaded_user(fingerprint)
    names = role_names or {}
    wanted = _wanted(changes, loaded)
    roles = _delta(changes.role_ids, changes.roles_offered, loaded.role_ids)
    skus = _delta(changes.sku_ids, changes.skus_offered, loaded.sku_ids)
    refuse_unconfirmed_privileged(roles.add, names, confirmed=changes.privileged_confirmed)

    operations = pc.customers.by_id(audit.customer_id).users.by_id(user_id)
    current = operations.get()
    before = editable_fields(current)
    _refuse_clashes(operations, loaded, current, wanted)
    # What someone else already changed to the same value needs no call.
    wanted = {name: value for name, value in wanted.items() if before[name] != value}
    roles = roles.still_needed(held_roles(operations)) if roles else roles
    skus_now = held_skus(operations) if skus else frozenset()
    skus = skus.still_needed(skus_now) if skus else skus

    audit = audit.calling(pc).about(user_id=user_id, username=current.user_principal_name or "")
    steps: list[Step] = []
    updated = current
    if wanted:
        updated = _patch(operations, audit, before, wanted)
        steps.append(Step("Saved the user's details", True))
    steps += change_roles(pc, audit, updated, tuple(sorted(roles.add)), names, add=True)
    steps += change_roles(pc, audit, updated, tuple(sorted(roles.remove)), names, add=False)
    if skus:
        steps.append(change_licenses(pc, audit, updated, set(skus.add), set(skus.remove)))
    _write_through(audit.customer_id, updated if wanted else None, user_id, steps, names, skus_now)
    return steps


def _wanted(changes: UserChanges, loaded: LoadedUser) -> dict[str, Any]:
    """The details the submit changes: each one given that differs from the page as loaded."""
    return {
        name: value
        for name in EDITABLE_FIELDS
        if (value := getattr(changes, name)) is not None and value != loaded.fields[name]
    }


def _refuse_clashes(
    operations: UserOperations, loaded: LoadedUser, current: CustomerUser, wanted: dict[str, Any]
) -> None:
    """ConcurrentChange when a field the submit changes was changed meanwhile to another value
    than the submit's: the person must see both versions before anything is sent."""
    before = editable_fields(current)
    clashes = tuple(
        name
        for name, value in wanted.items()
        if before[name] != loaded.fields[name] and before[name] != value
    )
    if clashes:
        raise ConcurrentChange(
            loaded=loaded,
            current=current,
            current_role_ids=held_roles(operations),
            current_sku_ids=held_skus(operations),
            clashes=clashes,
        )


def _patch(
    operations: UserOperations,
    audit: AuditContext,
    before: dict[str, str],
    wanted: dict[str, Any],
) -> CustomerUser:
    """Send the changed fields, audited with what they were and are now."""
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
        changes=changes_between(before, editable_fields(updated)),
        request_id=request_id,
    )
    return updated


def _write_through(
    tenant_id: str,
    updated: CustomerUser | None,
    user_id: str,
    steps: list[Step],
    names: dict[str, str],
    held_skus: frozenset[str],
) -> None:
    """What Partner Center answered to a submit, into the directory."""
    if updated is not None:
        directory_user_write(tenant_id=tenant_id, user=updated)
    done = [step for step in steps if step.succeeded]
    added = [(s.role_id, names.get(s.role_id, s.role_id)) for s in done if s.adds_role]
    removed = [step.role_id for step in done if step.role_id and not step.adds_role]
    if added or removed:
        directory_user_roles(tenant_id=tenant_id, user_id=user_id, added=added, removed=removed)
    for step in done:
        if step.sku_ids is not None:
            assigned, unassigned = set(step.sku_ids), set(step.sku_ids_removed)
            skus = (held_skus - unassigned) | assigned
            directory_user_licenses(tenant_id=tenant_id, user_id=user_id, sku_ids=skus)


__all__ = ["ConcurrentChange", "UserChanges", "user_update"]
