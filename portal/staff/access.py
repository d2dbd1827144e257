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

Customer scopes: a role group gives its role on every customer; a grant (`portal.models.StaffGrant`)
gives a role on a scope, a named set of customers. A person's `Reach` says which role they have on
which customer. Work on one customer first *enters* it (`enter_customer`): outside the person's
reach that is a 404, as if the customer did not exist, and every later question in the request
(or command run) is answered for the role on that customer. `require_capability` enters the
customer a URL names; commands enter theirs once they have found it. Pages not about one customer
(dashboard, search, customers list, audit log) ask `visible_customers` and hand the set down to the
directory's and the audit log's queries.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import wraps
from typing import Any, Concatenate, Final, ParamSpec, TypeVar, cast

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser, User
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import CharField, Count, Value
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase

from portal.models import StaffGrant

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

NOT_IN_REACH: Final = "The partner has no such customer."

_REACH_ATTRIBUTE = "_portal_reach"
_ENTERED_ATTRIBUTE = "_portal_customer"


class NoRoleError(PermissionDenied):
    """A signed-in staff member without a role: the 403 page tells them whom to ask."""

    def __init__(self) -> None:
        super().__init__(NO_ROLE_MESSAGE)


def _strongest(*roles: Role | None) -> Role | None:
    """The most powerful of `roles` (None when there is none)."""
    return min((role for role in roles if role is not None), key=_PRECEDENCE.index, default=None)


@dataclass(frozen=True)
class Reach:
    """Which role a staff member has on which customer: one on every customer (a role group, or
    a grant on a scope of all customers) and stronger ones on some (grants on listed scopes)."""

    everywhere: Role | None
    # Customer id (lower case) → a role stronger than `everywhere` there.
    customers: Mapping[str, Role] = field(default_factory=dict)

    @property
    def top(self) -> Role | None:
        """The strongest role anywhere: what a page not about one customer offers."""
        return _strongest(self.everywhere, *self.customers.values())

    @property
    def uniform(self) -> bool:
        """The same role on every customer: no question needs to know which."""
        return not self.customers

    def role_on(self, customer_id: str) -> Role | None:
        return self.customers.get(str(customer_id).lower(), self.everywhere)

    def customer_ids(self, capability: Capability = Capability.VIEW) -> frozenset[str] | None:
        """The customers on which the role allows `capability`; None means every customer."""
        if self.everywhere is not None and capability in _CAPABILITIES[self.everywhere]:
            return None
        return frozenset(
            customer
            for customer, role in self.customers.items()
            if capability in _CAPABILITIES[role]
        )

    @classmethod
    def build(cls, everywhere: Role | None, grants: Iterable[tuple[Role, str | None]]) -> Reach:
        """From the role everywhere and (role, customer id) pairs, None standing for every
        customer: each customer keeps its strongest role, and only where it beats `everywhere`."""
        customers: dict[str, Role] = {}
        for role, customer in grants:
            if customer is None:
                everywhere = _strongest(everywhere, role)
            else:
                customers[customer.lower()] = (
                    _strongest(customers.get(customer.lower()), role) or role
                )
        return cls(
            everywhere,
            {
                customer: role
                for customer, role in customers.items()
                if role is not everywhere and _strongest(role, everywhere) is role
            },
        )


def reach_of(user: StaffUser | None) -> Reach:
    """The staff member's roles per customer (nothing for anonymous or inactive accounts).

    Superusers are Admin agents everywhere. Read once per request, in one query (the role
    groups as grants on every customer, and the grants with their scopes' customers), so a
    change of role or scope applies from the next request.
    """
    if user is None or not user.is_authenticated or not user.is_active:
        return Reach(None)
    cached: Reach | None = getattr(user, _REACH_ATTRIBUTE, None)
    if cached is not None:
        return cached
    if getattr(user, "is_superuser", False):
        reach = Reach(Role.ADMIN)
    else:
        groups = user.groups.values_list(  # type: ignore[attr-defined]
            "name", Value(True), Value(None, output_field=CharField())
        )
        grants = StaffGrant.objects.filter(staff_id=user.pk).values_list(
            "role", "scope__all_customers", "scope__members__customer_id"
        )
        roles = {role.value: role for role in Role}
        reach = Reach.build(
            None,
            (
                (roles[name], None if every else customer)
                for name, every, customer in groups.union(grants, all=True)
                if name in roles and (every or customer is not None)
            ),
        )
    setattr(user, _REACH_ATTRIBUTE, reach)
    return reach


def enter_customer(user: StaffUser | None, customer_id: object) -> None:
    """Work on this customer from here on: Http404 outside the person's reach (as if it did not
    exist; NoRoleError without any role), and later questions are answered for its role."""
    reach = reach_of(user)
    if reach.top is None:
        raise NoRoleError
    if reach.role_on(str(customer_id)) is None:
        raise Http404(NOT_IN_REACH)
    setattr(user, _ENTERED_ATTRIBUTE, str(customer_id).lower())


def entered_customer(user: StaffUser | None) -> str | None:
    return getattr(user, _ENTERED_ATTRIBUTE, None)


def visible_customers(
    user: StaffUser | None, capability: Capability = Capability.VIEW
) -> frozenset[str] | None:
    """The customers this person may see (or export, with `capability`): None means all. The set
    is what the directory's and the audit log's queries take."""
    return reach_of(user).customer_ids(capability)


def role_of(user: StaffUser | None) -> Role | None:
    """The staff member's role, or None (anonymous, inactive, or no role at all).

    On the customer entered (`enter_customer`), the role there; otherwise the strongest role
    anywhere, which is what pages not about one customer offer (each customer they list is then
    filtered by `visible_customers`).
    """
    reach = reach_of(user)
    entered = entered_customer(user)
    return reach.role_on(entered) if entered is not None else reach.top


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
    if entered_customer(user) is None and not reach_of(user).uniform:
        raise RuntimeError("enter_customer() first: this person's role depends on the customer")
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
    the customer the URL names, if any (entered: 404 outside the person's reach), then the
    capability (PermissionDenied → the 403 page)."""

    def decorator(
        view: Callable[Concatenate[RequestT, P], HttpResponseBase],
    ) -> Callable[Concatenate[RequestT, P], HttpResponseBase]:
        @wraps(view)
        def wrapper(request: RequestT, *args: P.args, **kwargs: P.kwargs) -> HttpResponseBase:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if "customer_id" in kwargs:
                enter_customer(request.user, kwargs["customer_id"])
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


def staff_reaching(customer_id: str) -> list[tuple[User, Role]]:
    """Every active staff member with a role on this customer, and that role, by username (the
    admin's "Who can reach a customer"; a few dozen staff, two small queries each)."""
    reaching = []
    for staff in User.objects.filter(is_active=True).order_by("username"):
        role = reach_of(staff).role_on(customer_id)
        if role is not None:
            reaching.append((staff, role))
    return reaching


@dataclass(frozen=True)
class RoleLine:
    """One of a person's roles as their page shows it: on every customer, or on a scope."""

    role: Role
    scope: str  # "" for every customer
    customers: int  # the scope's customers (0 for every customer)


def roles_listed(user: StaffUser | None) -> list[RoleLine]:
    """The person's roles per scope, strongest first: their page says what they can reach."""
    if user is None or not user.is_authenticated:
        return []
    if getattr(user, "is_superuser", False):
        return []  # the page says a superuser is an Admin agent everywhere
    names = set(user.groups.values_list("name", flat=True))  # type: ignore[attr-defined]
    lines = [RoleLine(role, "", 0) for role in _PRECEDENCE if role.value in names]
    grants = StaffGrant.objects.filter(staff_id=user.pk).select_related("scope")
    for grant in grants.annotate(customer_count=Count("scope__members")):
        every = grant.scope.all_customers
        count = 0 if every else int(getattr(grant, "customer_count", 0))
        lines.append(RoleLine(Role(grant.role), "" if every else grant.scope.name, count))
    return sorted(lines, key=lambda line: (_PRECEDENCE.index(line.role), line.scope))
