"""Reading a user live for a page, a command or a guard: the user page's details, whether an
account is protected (holds a directory role), and the fingerprint of the user as a page was
loaded with, which a submit is compared against (`users.updates.user_update`).

Every read also writes what it found through to the directory, so the lists show it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from django.core import signing

from customers.directory.writes import directory_user_write
from portal.partnercenter import CustomerUser, NotFound, PartnerCenterClient

# The fields a person edits on the user page, as CustomerUser attributes.
EDITABLE_FIELDS = (
    "first_name",
    "last_name",
    "display_name",
    "user_principal_name",
    "usage_location",
)
_FINGERPRINT_SALT = "users.fingerprint"


@dataclass
class UserDetails:
    """A user as the user page shows it, read live."""

    user: CustomerUser
    roles: list[tuple[str, str]]  # (role id, name)
    sku_ids: list[str]
    license_names: list[str]
    fingerprint: str  # the signed state the page was loaded with (`LoadedUser`)

    @property
    def is_protected(self) -> bool:
        return bool(self.roles)


def user_details(*, pc: PartnerCenterClient, customer_id: str, user_id: str) -> UserDetails:
    """The user, its directory roles and licenses, read live (raises NotFound, Forbidden, ...)."""
    operations = pc.customers.by_id(customer_id).users.by_id(user_id)
    user = operations.get()
    roles = [(role.id, role.name) for role in operations.directory_roles.list()]
    licenses = operations.licenses.list()
    sku_ids = [license.product_sku.id for license in licenses]
    # What the page read live is the freshest there is: the lists show it too.
    directory_user_write(tenant_id=customer_id, user=user, roles=roles, sku_ids=sku_ids)
    return UserDetails(
        user=user,
        roles=sorted(roles, key=lambda role: role[1]),
        sku_ids=sku_ids,
        license_names=[license.product_sku.name or license.product_sku.id for license in licenses],
        fingerprint=user_fingerprint(
            user, role_ids={role_id for role_id, _ in roles}, sku_ids=set(sku_ids)
        ),
    )


def user_is_protected(*, pc: PartnerCenterClient, customer_id: str, user_id: str) -> bool:
    """True when the user (active or deleted) holds any directory role, read live."""
    roles = pc.customers.by_id(customer_id).users.by_id(user_id).directory_roles.list()
    return bool(roles)


class Restorable(Protocol):
    """A deleted user to restore: a directory row, or a command's `DeletedUser`."""

    @property
    def user_id(self) -> str: ...

    @property
    def user_principal_name(self) -> str: ...


@dataclass(frozen=True)
class DeletedUser:
    user_id: str
    user_principal_name: str


def users_split_protected[R: Restorable](
    *, pc: PartnerCenterClient, customer_id: str, users: list[R]
) -> tuple[list[R], list[R]]:
    """(plain, protected): which users hold a directory role, read live for each.

    A guard must not trust the directory: each user's roles are read live.
    A user purged since the list was shown counts as plain: its restore then says it is gone.
    """
    plain: list[R] = []
    protected: list[R] = []
    for row in users:
        try:
            holds_role = user_is_protected(pc=pc, customer_id=customer_id, user_id=row.user_id)
        except NotFound:
            holds_role = False
        (protected if holds_role else plain).append(row)
    return plain, protected


@dataclass(frozen=True)
class LoadedUser:
    """The user as a page (or a command) was loaded with: its editable fields, the roles it held
    and its licenses. A submit changes only what differs from this, never what it merely shows."""

    fields: dict[str, str]
    role_ids: frozenset[str]
    sku_ids: frozenset[str]


def user_fingerprint(
    user: CustomerUser, *, role_ids: Iterable[str] = (), sku_ids: Iterable[str] = ()
) -> str:
    """The user as loaded — editable fields, roles and licenses — signed for a form to carry.

    Partner Center users carry no ETag. The user page's form carries this; Submit computes what
    the person changed against it and, before changing anything, compares it with Partner Center
    as it is now (`user_update`).
    """
    state = {"fields": editable_fields(user), "roles": sorted(role_ids), "skus": sorted(sku_ids)}
    return signing.dumps(state, salt=_FINGERPRINT_SALT, compress=True)


def loaded_user(fingerprint: str) -> LoadedUser:
    try:
        state = signing.loads(fingerprint, salt=_FINGERPRINT_SALT)
        fields = {name: str(state["fields"][name]) for name in EDITABLE_FIELDS}
        return LoadedUser(fields, frozenset(state["roles"]), frozenset(state["skus"]))
    except (signing.BadSignature, KeyError, TypeError):
        raise BadFingerprint("The form was not made by this portal; open the user again.") from None


class BadFingerprint(Exception):
    """The form's fingerprint was not made by this portal."""


def editable_fields(user: CustomerUser) -> dict[str, str]:
    return {name: getattr(user, name) or "" for name in EDITABLE_FIELDS}
