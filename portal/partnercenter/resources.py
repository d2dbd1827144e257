"""Partner Center's directory resources as typed dataclasses: customers, their users and roles.

snake_case in Python, camelCase on the wire; each reads its wire object leniently and writes only
what is set (see `wire.py`). The license resources are in `licenses.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from portal.partnercenter.wire import Reader, Wire, compact

USER_ACTIVE = "active"
USER_INACTIVE = "inactive"


@dataclass
class PasswordProfile:
    """A password to set; the password itself is kept out of `repr`, so it never reaches a log."""

    password: str | None = field(default=None, repr=False)
    force_change_password: bool | None = None

    @classmethod
    def from_wire(cls, data: Any) -> PasswordProfile | None:
        if not isinstance(data, Mapping):
            return None
        reader = Reader(data)
        return cls(
            password=reader.text("password"),
            force_change_password=reader.boolean("forceChangePassword"),
        )

    def to_wire(self) -> Wire:
        return compact(
            {"password": self.password, "forceChangePassword": self.force_change_password}
        )


@dataclass
class CustomerUser:
    """A user account in a customer's directory (`objectType: CustomerUser`).

    To create one, set at least `display_name`, `user_principal_name` and `password_profile`; to
    patch one, set only the fields to change (an empty string clears an optional field).
    """

    id: str | None = None
    user_principal_name: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    display_name: str | None = None
    usage_location: str | None = None
    immutable_id: str | None = None
    phone_number: str | None = None
    password_profile: PasswordProfile | None = None
    state: str | None = None
    user_domain_type: str | None = None
    soft_deletion_time: datetime | None = None
    last_directory_sync_time: datetime | None = None

    @property
    def is_deleted(self) -> bool:
        return self.state == USER_INACTIVE

    @classmethod
    def from_wire(cls, data: Any) -> CustomerUser:
        reader = Reader(data)
        state = reader.text("state")
        domain_type = reader.text("userDomainType")
        return cls(
            id=reader.text("id"),
            user_principal_name=reader.text("userPrincipalName"),
            first_name=reader.text("firstName"),
            last_name=reader.text("lastName"),
            display_name=reader.text("displayName"),
            usage_location=reader.text("usageLocation"),
            immutable_id=reader.text("immutableId"),
            phone_number=reader.text("phoneNumber"),
            password_profile=PasswordProfile.from_wire(reader.value("passwordProfile")),
            state=state.lower() if state else None,
            user_domain_type=domain_type.lower() if domain_type else None,
            soft_deletion_time=reader.moment("softDeletionTime"),
            last_directory_sync_time=reader.moment("lastDirectorySyncTime"),
        )

    def to_wire(self) -> Wire:
        """The writable properties that are set (read-only ones are never sent)."""
        wire = compact(
            {
                "userPrincipalName": self.user_principal_name,
                "firstName": self.first_name,
                "lastName": self.last_name,
                "displayName": self.display_name,
                "usageLocation": self.usage_location,
                "immutableId": self.immutable_id,
                "phoneNumber": self.phone_number,
                "passwordProfile": (
                    self.password_profile.to_wire() if self.password_profile else None
                ),
                "state": self.state,
            }
        )
        wire["attributes"] = {"objectType": "CustomerUser"}
        return wire


@dataclass(frozen=True)
class CompanyProfile:
    """A customer's company profile (`objectType: CustomerCompanyProfile`)."""

    tenant_id: str | None = None
    domain: str | None = None
    company_name: str | None = None
    email: str | None = None

    @classmethod
    def from_wire(cls, data: Any) -> CompanyProfile:
        reader = Reader(data)
        return cls(
            tenant_id=reader.text("tenantId"),
            domain=reader.text("domain"),
            company_name=reader.text("companyName"),
            email=reader.text("email"),
        )


@dataclass(frozen=True)
class Customer:
    """A customer tenant of the partner. `allow_delegated_access` is set only by get-by-id."""

    id: str
    commerce_id: str | None = None
    company_profile: CompanyProfile = field(default_factory=CompanyProfile)
    relationship_to_partner: str | None = None
    allow_delegated_access: bool | None = None
    custom_domains: list[str] | None = None

    @property
    def company_name(self) -> str:
        return self.company_profile.company_name or ""

    @property
    def domain(self) -> str:
        """The initial `*.onmicrosoft.com` domain."""
        return self.company_profile.domain or ""

    @classmethod
    def from_wire(cls, data: Any) -> Customer:
        reader = Reader(data)
        return cls(
            id=reader.text("id") or "",
            commerce_id=reader.text("commerceId"),
            company_profile=CompanyProfile.from_wire(reader.value("companyProfile")),
            relationship_to_partner=reader.text("relationshipToPartner"),
            allow_delegated_access=reader.boolean("allowDelegatedAccess"),
            custom_domains=reader.strings("customDomains"),
        )


@dataclass(frozen=True)
class DirectoryRole:
    """A directory role of a customer; `id` is Entra's role template id."""

    id: str
    name: str = ""

    @classmethod
    def from_wire(cls, data: Any) -> DirectoryRole:
        reader = Reader(data)
        return cls(id=reader.text("id") or "", name=reader.text("name") or "")


@dataclass(frozen=True)
class UserMember:
    """A user as a member of a directory role. Adding one needs all of id, name and UPN."""

    id: str
    display_name: str | None = None
    user_principal_name: str | None = None
    role_id: str | None = None

    @classmethod
    def from_wire(cls, data: Any) -> UserMember:
        reader = Reader(data)
        return cls(
            id=reader.text("id") or "",
            display_name=reader.text("displayName"),
            user_principal_name=reader.text("userPrincipalName"),
            role_id=reader.text("roleId"),
        )

    @classmethod
    def of(cls, user: CustomerUser) -> UserMember:
        """The membership entry for `user` (as the .NET SDK's samples build it)."""
        return cls(
            id=user.id or "",
            display_name=user.display_name,
            user_principal_name=user.user_principal_name,
        )

    def to_wire(self) -> Wire:
        wire = compact(
            {
                "id": self.id,
                "displayName": self.display_name,
                "userPrincipalName": self.user_principal_name,
            }
        )
        wire["attributes"] = {"objectType": "UserMember"}
        return wire


__all__ = [
    "USER_ACTIVE",
    "USER_INACTIVE",
    "CompanyProfile",
    "Customer",
    "CustomerUser",
    "DirectoryRole",
    "PasswordProfile",
    "UserMember",
]
