"""Staff roles and what each may do: the one place every view and command asks.

DESIGN.md section 3. Roles are Django groups (created by a data migration), so superusers manage
them in Django's admin. Every check here is named after an action, never after a role, so callers
read as policy ("may this person export?") and a role's powers change in one table below.

Two layers:
- *capabilities* depend on the staff member's role only (`can_export`, `can_update_user`, ...);
- *protected accounts*: a customer user who holds any directory role may be updated, reset, deleted
  or restored by an Admin agent only (`can_act_on_user`). The caller says whether the target holds
  a directory role, read live from Partner Center; this module never talks to Partner Center.

Views use `require_capability(...)` (or `check_capability`/`check_act_on_user` inside the view);
both raise `PermissionDenied`, which Django turns into the 403 page.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any, Concatenate, Final, ParamSpec, TypeVar, cast

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.http.response import HttpResponseBase

P = ParamSpec("P")
RequestT = TypeVar("RequestT", bound=HttpRequest)

StaffUser = AbstractBaseUser | AnonymousUser


class Role(enum.StrEnum):
    """A staff role; the value is the Django group's name."""

    ADMIN = "Admin agent"
    HELPDESK = "Helpdesk agent"
    SALES = "Sales agent"


class Capability(enum.StrEnum):
    """An action a staff member may be allowed to take."""

    VIEW = "view"
    EXPORT = "export"
    ADD_USER = "add_user"
    UPDATE_USER = "update_user"
    DELETE_USER = "delete_user"
    RESET_PASSWORD = "reset_password"  # noqa: S105 (an action's name, not a password)
    RESTORE_USER = "restore_user"
    CHANGE_ROLES_OR_LICENSES = "change_roles_or_licenses"
    BULK_UPLOAD = "bulk_upload"


_CAPABILITIES: Final[dict[Role, frozenset[Capability]]] = {
    Role.ADMIN: frozenset(Capability),
    Role.HELPDESK: frozenset(
        {
            Capability.VIEW,
            Capability.EXPORT,
            Capability.UPDATE_USER,
            Capability.RESET_PASSWORD,
            Capability.RESTORE_USER,
        }
    ),
    Role.SALES: frozenset({Capability.VIEW}),
}

# Most powerful first: a member of several groups gets the strongest role, as group permissions
# in Django add up rather than restrict.
_PRECEDENCE: Final[tuple[Role, ...]] = (Role.ADMIN, Role.HELPDESK, Role.SALES)

# The customer-user fields (snake_case, as in the SDK's CustomerUser) a Helpdesk agent may change.
# Not the username: renaming a sign-in is an Admin agent's decision.
HELPDESK_UPDATE_FIELDS: Final[frozenset[str]] = frozenset(
    {"first_name", "last_name", "display_name", "usage_location"}
)

# Why an action on a protected account (one holding a directory role) is refused.
PROTECTED_ACCOUNT: Final = (
    "This user holds an administrator role in the customer's directory, so only an Admin agent "
    "can change, reset, delete or restore it."
)

# Actions on one customer user that the protected-account rule guards.
TARGETED_ACTIONS: Final[frozenset[Capability]] = frozenset(
    {
        Capability.UPDATE_USER,
        Capability.RESET_PASSWORD,
        Capability.DELETE_USER,
        Capability.RESTORE_USER,
    }
)

NO_ROLE_MESSAGE: Final = (
    "Your account has no role in the portal yet, so it cannot see anything here. "
    "Ask a superuser to give you a role: Admin agent, Helpdesk agent or Sales agent."
)

_CACHE_ATTRIBUTE = "_portal_role"


class NoRoleError(PermissionDenied):
    """A signed-in staff member without a role: the 403 page tells them whom to ask."""

    def __init__(self) -> None:
        super().__init__(NO_ROLE_MESSAGE)


def role_of(user: StaffUser | None) -> Role | None:
    """The staff member's role, or None (anonymous, inactive, or in no role group).

    Superusers count as Admin agents. The answer is cached on the user object, which lives for one
    request, so a page that asks many questions costs one query.
    """
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    cached: Role | str | None = getattr(user, _CACHE_ATTRIBUTE, "unset")
    if cached != "unset":
        return cached if isinstance(cached, Role) else None
    role: Role | None
    if getattr(user, "is_superuser", False):
        role = Role.ADMIN
    else:
        names = set(user.groups.values_list("name", flat=True))  # type: ignore[attr-defined]
        role = next((candidate for candidate in _PRECEDENCE if candidate.value in names), None)
    setattr(user, _CACHE_ATTRIBUTE, role)
    return role


def has_capability(user: StaffUser | None, capability: Capability) -> bool:
    """Whether the staff member's role allows `capability` (role only, no target)."""
    role = role_of(user)
    return role is not None and capability in _CAPABILITIES[role]


def capabilities_of(user: StaffUser | None) -> frozenset[Capability]:
    """Everything the staff member may do; empty without a role."""
    role = role_of(user)
    return _CAPABILITIES[role] if role is not None else frozenset()


def can_export(user: StaffUser | None) -> bool:
    """Exports are data leaving the portal: not for Sales agents."""
    return has_capability(user, Capability.EXPORT)


def can_update_user(user: StaffUser | None, *, fields: Iterable[str] | None = None) -> bool:
    """Whether the staff member may change these fields of a customer user.

    `fields=None` asks whether they may update anything at all (to show the form); a Helpdesk
    agent may change only `HELPDESK_UPDATE_FIELDS`. Roles and licenses are a separate capability
    (`can_change_roles_or_licenses`).
    """
    if not has_capability(user, Capability.UPDATE_USER):
        return False
    if role_of(user) is Role.ADMIN or fields is None:
        return True
    return set(fields) <= HELPDESK_UPDATE_FIELDS


def can_change_roles_or_licenses(user: StaffUser | None) -> bool:
    return has_capability(user, Capability.CHANGE_ROLES_OR_LICENSES)


def can_act_on_user(
    user: StaffUser | None, action: Capability, *, target_holds_directory_role: bool
) -> bool:
    """The protected-account rule on top of the role check, for one customer user.

    A user who holds any directory role (read live from Partner Center, deleted users included)
    may be updated, reset, deleted or restored only by an Admin agent. The flag is required, not
    defaulted, so no caller can forget to ask.
    """
    if action not in TARGETED_ACTIONS:
        raise ValueError(f"{action} is not an action on one customer user")
    if not has_capability(user, action):
        return False
    return not target_holds_directory_role or role_of(user) is Role.ADMIN


def check_capability(user: StaffUser | None, capability: Capability) -> None:
    """Raise PermissionDenied (NoRoleError without a role) unless the user may do this."""
    if role_of(user) is None:
        raise NoRoleError
    if not has_capability(user, capability):
        raise PermissionDenied(
            f"Your role ({role_of(user)}) does not allow this. Ask an Admin agent to do it for you."
        )


def check_act_on_user(
    user: StaffUser | None, action: Capability, *, target_holds_directory_role: bool
) -> None:
    """Raise PermissionDenied unless the user may take `action` on this customer user."""
    check_capability(user, action)
    if not can_act_on_user(user, action, target_holds_directory_role=target_holds_directory_role):
        raise PermissionDenied(PROTECTED_ACCOUNT)


def check_update_fields(
    user: StaffUser | None, *, changes_username: bool, changes_roles_or_licences: bool
) -> None:
    """Raise PermissionDenied when an update reaches beyond the role: a username changed by
    someone who may change only names and location, or roles and licenses by someone who may
    not change them. A form never offers these; this refuses a crafted request."""
    if changes_username and not can_update_user(user, fields=["user_principal_name"]):
        raise PermissionDenied(
            "Your role may change names, display name and location, not the username."
        )
    if changes_roles_or_licences and not can_change_roles_or_licenses(user):
        raise PermissionDenied("Your role may not change roles or licenses.")


def require_capability(
    capability: Capability,
) -> Callable[
    [Callable[Concatenate[RequestT, P], HttpResponseBase]],
    Callable[Concatenate[RequestT, P], HttpResponseBase],
]:
    """View decorator: sign-in first (redirect; htmx gets HX-Redirect from the middleware), then
    the capability (PermissionDenied → the 403 page)."""

    def decorator(
        view: Callable[Concatenate[RequestT, P], HttpResponseBase],
    ) -> Callable[Concatenate[RequestT, P], HttpResponseBase]:
        @wraps(view)
        def wrapper(request: RequestT, *args: P.args, **kwargs: P.kwargs) -> HttpResponseBase:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            check_capability(request.user, capability)
            return view(request, *args, **kwargs)

        wrapper.required_capability = capability  # type: ignore[attr-defined]
        return cast("Callable[Concatenate[RequestT, P], HttpResponseBase]", wrapper)

    return decorator


def template_capabilities(user: StaffUser | None) -> dict[str, Any]:
    """`{"export": True, ...}` for templates (`{% if can.export %}`).

    For showing or hiding buttons only: every view still guards itself with `check_capability`.
    """
    granted = capabilities_of(user)
    return {capability.value: capability in granted for capability in Capability}
