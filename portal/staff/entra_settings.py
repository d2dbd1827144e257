"""Checks for the Sign in with Microsoft settings, run by `portal/settings.py` as it loads.

Kept apart from `portal.staff.entra` because settings load before Django's apps: nothing here
may import a model (nor `portal.staff.access`, which does). The role names are therefore spelled
out here too; a test holds them equal to `portal.staff.access.Role`.
"""

from __future__ import annotations

import re
from typing import Final

from django.core.exceptions import ImproperlyConfigured

ROLE_NAMES: Final = ("Admin agent", "Helpdesk agent", "Sales agent")
# Entra object ids (groups, users, tenants) are GUIDs.
GUID: Final = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
# Authorities that accept accounts from any tenant: staff must come from the partner's own.
_MULTI_TENANT: Final = frozenset({"common", "organizations", "consumers"})


def parse_group_roles(name: str, raw: str) -> dict[str, str]:
    """`<group object id>=<role>[@<scope>], ...` → `{group id: "role" or "role@scope"}`; a loud
    error names the bad item.

    Without `@<scope>` the group gives its role on every customer; with it, on the customer scope
    of that name (managed in the admin; `portal.staff.entra` splits the two). Role names match in
    any case (`admin agent` is `Admin agent`); a group listed twice is an error rather than a
    silent choice between its two roles.
    """
    by_lower = {role.lower(): role for role in ROLE_NAMES}
    mapping: dict[str, str] = {}
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        group, separator, granted = (piece.strip() for piece in item.partition("="))
        role, at, scope = (piece.strip() for piece in granted.partition("@"))
        group = group.lower()
        if not separator or not GUID.match(group):
            raise ImproperlyConfigured(
                f"{name}: {item!r} is not <group object id>=<role>[@<scope>], e.g. "
                "0f6b2c1e-1234-4abc-9def-0123456789ab=Helpdesk agent@Team North."
            )
        if role.lower() not in by_lower:
            raise ImproperlyConfigured(
                f"{name}: {role!r} is not a role; use one of {', '.join(ROLE_NAMES)}."
            )
        if at and not scope:
            raise ImproperlyConfigured(
                f"{name}: {item!r} names no scope after '@', e.g. {group}={role}@Team North."
            )
        if group in mapping:
            raise ImproperlyConfigured(f"{name}: the group {group} is listed twice.")
        mapping[group] = f"{by_lower[role.lower()]}@{scope}" if scope else by_lower[role.lower()]
    return mapping


def check_entra_settings(
    *, tenant_id: str, client_id: str, client_secret: str, group_roles: dict[str, str]
) -> None:
    """With PORTAL_ENTRA_SIGNIN=true: everything the sign-in needs is there and makes sense."""
    missing = [
        variable
        for variable, value in [
            ("PORTAL_ENTRA_TENANT_ID", tenant_id),
            ("PORTAL_ENTRA_CLIENT_ID", client_id),
            ("PORTAL_ENTRA_CLIENT_SECRET", client_secret),
            ("PORTAL_ENTRA_GROUP_ROLES", group_roles),
        ]
        if not value
    ]
    if missing:
        raise ImproperlyConfigured(f"PORTAL_ENTRA_SIGNIN=true needs {', '.join(missing)}.")
    if tenant_id.lower() in _MULTI_TENANT:
        raise ImproperlyConfigured(
            f"PORTAL_ENTRA_TENANT_ID must be the partner's own tenant (its id or domain), not "
            f"{tenant_id!r}, which would let accounts of any organisation sign in."
        )
