"""Which directory roles Microsoft marks as privileged: granting one asks for a confirmation
naming the role and the user, and its audit record says it was privileged.

The list is Microsoft Entra's built-in roles labelled PRIVILEGED in its permissions reference
("Microsoft Entra built-in roles"; Graph's `unifiedRoleDefinition.isPrivileged`). A role is
recognised by its template id (the sandbox and many tenants use it as the role's id) or by its
name, since Partner Center may hand out a tenant's own role object id.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final

PRIVILEGED_ROLES: Final[Mapping[str, str]] = {
    "62e90394-69f5-4237-9190-012177145e10": "Global Administrator",
    "e8611ab8-c189-46e8-94e1-60213ab1f814": "Privileged Role Administrator",
    "7be44c8a-adaf-4e2a-84d6-ab2649e08a13": "Privileged Authentication Administrator",
    "fe930be7-5e62-47db-91af-98c3a49a38b1": "User Administrator",
    "729827e3-9c14-49f7-bb1b-9608f156bbb8": "Helpdesk Administrator",
    "966707d0-3269-4727-9be2-8c3a10f19b9d": "Password Administrator",
    "c4e39bd9-1100-46d3-8c65-fb160da0071f": "Authentication Administrator",
    "25a516ed-2fa0-40ea-a2d0-12923a21473a": "Authentication Extensibility Administrator",
    "194ae4cb-b126-40b2-bd5b-6091b380977d": "Security Administrator",
    "5f2222b1-57c3-48ba-8ad5-d4759f1fde6f": "Security Operator",
    "5d6b6bb7-de71-4623-b4af-96380a352509": "Security Reader",
    "f2ef992c-3afb-46b9-b7cf-a126ee74c451": "Global Reader",
    "b1be1c3e-b65d-4f19-8427-f6fa0d97feb9": "Conditional Access Administrator",
    "8ac3fc64-6eca-42ea-9e69-59f4c7b60eb2": "Hybrid Identity Administrator",
    "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3": "Application Administrator",
    "cf1c38e5-3621-4004-a7cb-879624dced7c": "Application Developer",
    "158c047a-c907-4556-b7ef-446551a6b5f7": "Cloud Application Administrator",
    "7698a772-787b-4ac8-901f-60d6b08affd2": "Cloud Device Administrator",
    "3a2c62db-5318-420d-8d74-23affee5d9d5": "Intune Administrator",
    "9360feb5-f418-4baa-8175-e2a00bac4301": "Directory Writers",
    "d29b2b05-8046-44ba-8758-1e26182fcf32": "Directory Synchronization Accounts",
    "8329153b-31d0-4727-b945-745eb3bc5f31": "Domain Name Administrator",
    "be2f45a1-457d-42af-a067-6ec1fa63bc45": "External Identity Provider Administrator",
    "aaf43236-0c0d-4d5f-883a-6955382ac081": "B2C IEF Keyset Administrator",
    "59d46f88-662b-457b-bceb-5c3809e5908f": "Lifecycle Workflows Administrator",
    "4ba39ca4-527c-499a-b93d-d9b492c50246": "Partner Tier1 Support",
    "e00e864a-17c5-4a4b-9c06-f5b95a8d5bd8": "Partner Tier2 Support",
}
_PRIVILEGED_NAMES: Final = frozenset(name.casefold() for name in PRIVILEGED_ROLES.values())


def role_is_privileged(role_id: str, name: str = "") -> bool:
    """True for a role Microsoft labels privileged, known by its template id or its name."""
    return role_id.lower() in PRIVILEGED_ROLES or name.strip().casefold() in _PRIVILEGED_NAMES


def privileged_among(role_ids: Iterable[str], role_names: Mapping[str, str]) -> list[str]:
    """The privileged ones of `role_ids`, sorted (`role_names` maps a role id to its name)."""
    return sorted(
        role_id for role_id in role_ids if role_is_privileged(role_id, role_names.get(role_id, ""))
    )


def privileged_confirmation(role_ids: Iterable[str]) -> str:
    """The value a form carries once the person confirmed granting exactly these roles."""
    return ",".join(sorted(set(role_ids)))


class PrivilegedRoleNotConfirmed(Exception):
    """A privileged directory role would be granted without the person having confirmed it."""

    def __init__(self, role_ids: list[str]) -> None:
        super().__init__("Granting a privileged role needs a confirmation.")
        self.role_ids = role_ids


def refuse_unconfirmed_privileged(
    role_ids: Iterable[str], role_names: Mapping[str, str], *, confirmed: frozenset[str]
) -> None:
    """PrivilegedRoleNotConfirmed naming the privileged roles of `role_ids` not in `confirmed`
    (what the person confirmed granting, `privileged_confirmation`)."""
    unconfirmed = set(privileged_among(role_ids, role_names)) - confirmed
    if unconfirmed:
        raise PrivilegedRoleNotConfirmed(sorted(unconfirmed))
