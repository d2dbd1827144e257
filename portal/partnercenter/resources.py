"""Partner Center's resources as typed dataclasses: snake_case in Python, camelCase on the wire.

Reading is lenient, as the wire demands: property names match in any case (Partner Center accepts
and, in places, writes PascalCase), a missing property reads as absent (`None`), and unknown ones
are ignored. Writing sends only what is set, so a PATCH leaves every unset field unchanged.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

USER_ACTIVE = "active"
USER_INACTIVE = "inactive"

Wire = dict[str, Any]


class _Reader:
    """A wire object whose properties can be read in any case; absent or null reads as None."""

    def __init__(self, data: Any) -> None:
        self._data: dict[str, Any] = (
            {str(key).lower(): value for key, value in data.items()}
            if isinstance(data, Mapping)
            else {}
        )

    def value(self, name: str) -> Any:
        return self._data.get(name.lower())

    def text(self, name: str) -> str | None:
        value = self.value(name)
        return None if value is None else str(value)

    def integer(self, name: str) -> int | None:
        value = self.value(name)
        if value is None or isinstance(value, bool):
            return None
        try:
            return int(value)
        except (TypeError, ValueError):
            return None

    def boolean(self, name: str) -> bool | None:
        value = self.value(name)
        if isinstance(value, str):
            return value.lower() == "true"
        return None if value is None else bool(value)

    def moment(self, name: str) -> datetime | None:
        return parse_moment(self.value(name))

    def strings(self, name: str) -> list[str] | None:
        value = self.value(name)
        if value is None:
            return None
        return [str(item) for item in value] if isinstance(value, list) else [str(value)]

    def objects[T](self, name: str, make: Callable[[Any], T]) -> list[T]:
        value = self.value(name)
        return [make(item) for item in value] if isinstance(value, list) else []


def parse_moment(value: Any) -> datetime | None:
    """An ISO 8601 instant from the wire (`2017-01-20T00:33:34Z`, .NET's 7 fraction digits too)."""
    if not value or not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _compact(properties: Mapping[str, Any]) -> Wire:
    return {name: value for name, value in properties.items() if value is not None}


@dataclass(frozen=True)
class Link:
    """A `links.next`/`links.self` entry: where to go, and the headers to send there."""

    uri: str
    method: str = "GET"
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_wire(cls, data: Any) -> Link | None:
        reader = _Reader(data)
        uri = reader.text("uri")
        if not uri:
            return None
        headers: dict[str, str] = {}
        for header in reader.objects("headers", _Reader):
            key = header.text("key")
            if key:
                headers[key] = header.text("value") or ""
        return cls(uri=uri, method=(reader.text("method") or "GET").upper(), headers=headers)


@dataclass(frozen=True)
class Page[T]:
    """One page of a seek-based collection.

    `continuation_token` (and `next_link`, the way Partner Center says to fetch the next page) are
    set only when more pages exist. `total_count` is what the wire says, which in practice is the
    number of items on this page: never use it to decide whether to page on.
    """

    items: list[T]
    continuation_token: str | None = None
    next_link: Link | None = None
    total_count: int | None = None

    @property
    def has_more(self) -> bool:
        return self.next_link is not None or bool(self.continuation_token)


@dataclass(frozen=True)
class Sort:
    """A users sort: `Sort("DisplayName")`, `Sort("UserPrincipalName", descending=True)`."""

    field: str
    descending: bool = False

    def to_params(self) -> dict[str, str]:
        return {
            "sortField": self.field,
            "sortDirection": "Descending" if self.descending else "Ascending",
        }


@dataclass
class PasswordProfile:
    """A password to set; the password itself is kept out of `repr`, so it never reaches a log."""

    password: str | None = field(default=None, repr=False)
    force_change_password: bool | None = None

    @classmethod
    def from_wire(cls, data: Any) -> PasswordProfile | None:
        if not isinstance(data, Mapping):
            return None
        reader = _Reader(data)
        return cls(
            password=reader.text("password"),
            force_change_password=reader.boolean("forceChangePassword"),
        )

    def to_wire(self) -> Wire:
        return _compact(
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
        reader = _Reader(data)
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
        wire = _compact(
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
        reader = _Reader(data)
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
        reader = _Reader(data)
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
        reader = _Reader(data)
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
        reader = _Reader(data)
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
        wire = _compact(
            {
                "id": self.id,
                "displayName": self.display_name,
                "userPrincipalName": self.user_principal_name,
            }
        )
        wire["attributes"] = {"objectType": "UserMember"}
        return wire


@dataclass(frozen=True)
class ServicePlan:
    """One service (Exchange, Teams, ...) inside a SKU."""

    id: str
    display_name: str | None = None
    service_name: str | None = None
    capability_status: str | None = None
    target_type: str | None = None

    @classmethod
    def from_wire(cls, data: Any) -> ServicePlan:
        reader = _Reader(data)
        return cls(
            id=reader.text("id") or "",
            display_name=reader.text("displayName"),
            service_name=reader.text("serviceName"),
            capability_status=reader.text("capabilityStatus"),
            target_type=reader.text("targetType"),
        )


class LicenseGroupId(enum.StrEnum):
    """Which licenses a list holds, as the .NET SDK's `LicenseGroupId` (the query parameter's
    spelling; answers write it in lower case, which reads the same)."""

    GROUP1 = "Group1"  # licenses Microsoft Entra ID manages (Microsoft 365 and the like)
    GROUP2 = "Group2"  # Minecraft: Education Edition

    @classmethod
    def _missing_(cls, value: object) -> LicenseGroupId | None:
        wanted = str(value).strip().casefold()
        return next((group for group in cls if group.value.casefold() == wanted), None)

    @classmethod
    def read(cls, value: str | None) -> LicenseGroupId | None:
        """The group a wire value names, or None (absent, or a group this SDK does not know)."""
        try:
            return cls(value) if value else None
        except ValueError:
            return None


@dataclass(frozen=True)
class ProductSku:
    """A product SKU (`id` is the SKU id licenses are assigned by)."""

    id: str
    name: str | None = None
    sku_part_number: str | None = None
    target_type: str | None = None
    license_group_id: LicenseGroupId | None = None

    @classmethod
    def from_wire(cls, data: Any) -> ProductSku:
        reader = _Reader(data)
        return cls(
            id=reader.text("id") or "",
            name=reader.text("name"),
            sku_part_number=reader.text("skuPartNumber"),
            target_type=reader.text("targetType"),
            license_group_id=LicenseGroupId.read(reader.text("licenseGroupId")),
        )


@dataclass(frozen=True)
class SubscribedSku:
    """A SKU the customer subscribes to, with its seat counts."""

    product_sku: ProductSku
    available_units: int | None = None
    active_units: int | None = None
    consumed_units: int | None = None
    suspended_units: int | None = None
    total_units: int | None = None
    warning_units: int | None = None
    capability_status: str | None = None
    service_plans: list[ServicePlan] = field(default_factory=list)

    @property
    def sku_id(self) -> str:
        return self.product_sku.id

    @classmethod
    def from_wire(cls, data: Any) -> SubscribedSku:
        reader = _Reader(data)
        return cls(
            product_sku=ProductSku.from_wire(reader.value("productSku")),
            available_units=reader.integer("availableUnits"),
            active_units=reader.integer("activeUnits"),
            consumed_units=reader.integer("consumedUnits"),
            suspended_units=reader.integer("suspendedUnits"),
            total_units=reader.integer("totalUnits"),
            warning_units=reader.integer("warningUnits"),
            capability_status=reader.text("capabilityStatus"),
            service_plans=reader.objects("servicePlans", ServicePlan.from_wire),
        )


@dataclass(frozen=True)
class License:
    """A license assigned to a user."""

    product_sku: ProductSku
    service_plans: list[ServicePlan] = field(default_factory=list)

    @property
    def sku_id(self) -> str:
        return self.product_sku.id

    @classmethod
    def from_wire(cls, data: Any) -> License:
        reader = _Reader(data)
        return cls(
            product_sku=ProductSku.from_wire(reader.value("productSku")),
            service_plans=reader.objects("servicePlans", ServicePlan.from_wire),
        )


@dataclass(frozen=True)
class LicenseAssignment:
    """A SKU to assign, optionally without some of its service plans."""

    sku_id: str
    excluded_plans: list[str] | None = None

    @classmethod
    def from_wire(cls, data: Any) -> LicenseAssignment:
        reader = _Reader(data)
        return cls(
            sku_id=reader.text("skuId") or "", excluded_plans=reader.strings("excludedPlans")
        )

    def to_wire(self) -> Wire:
        return {"skuId": self.sku_id, "excludedPlans": self.excluded_plans}


@dataclass(frozen=True)
class LicenseWarning:
    code: str | None = None
    message: str | None = None
    service_plans: list[str] = field(default_factory=list)

    @classmethod
    def from_wire(cls, data: Any) -> LicenseWarning:
        reader = _Reader(data)
        return cls(
            code=reader.text("code"),
            message=reader.text("message"),
            service_plans=reader.strings("servicePlans") or [],
        )


@dataclass(frozen=True)
class LicenseUpdate:
    """Licenses to assign to and remove from one user, in one request (one license group)."""

    licenses_to_assign: list[LicenseAssignment] = field(default_factory=list)
    licenses_to_remove: list[str] = field(default_factory=list)
    license_warnings: list[LicenseWarning] = field(default_factory=list)

    @classmethod
    def assign(cls, *sku_ids: str) -> LicenseUpdate:
        return cls(licenses_to_assign=[LicenseAssignment(sku_id) for sku_id in sku_ids])

    @classmethod
    def remove(cls, *sku_ids: str) -> LicenseUpdate:
        return cls(licenses_to_remove=list(sku_ids))

    @classmethod
    def from_wire(cls, data: Any) -> LicenseUpdate:
        reader = _Reader(data)
        return cls(
            licenses_to_assign=reader.objects("licensesToAssign", LicenseAssignment.from_wire),
            licenses_to_remove=reader.strings("licensesToRemove") or [],
            license_warnings=reader.objects("licenseWarnings", LicenseWarning.from_wire),
        )

    def to_wire(self) -> Wire:
        return {
            "licensesToAssign": [item.to_wire() for item in self.licenses_to_assign] or None,
            "licensesToRemove": self.licenses_to_remove or None,
            "attributes": {"objectType": "LicenseUpdate"},
        }


def read_page[T](body: Any, make: Callable[[Any], T]) -> Page[T]:
    """A seek-based collection envelope: `items`, `links.next`, `continuationToken`."""
    reader = _Reader(body)
    links = _Reader(reader.value("links"))
    return Page(
        items=reader.objects("items", make),
        continuation_token=reader.text("continuationToken") or None,
        next_link=Link.from_wire(links.value("next")),
        total_count=reader.integer("totalCount"),
    )


def read_items[T](body: Any, make: Callable[[Any], T]) -> list[T]:
    """The items of a plain (unpaged) collection; a bare JSON array is accepted too."""
    if isinstance(body, list):
        return [make(item) for item in body]
    return _Reader(body).objects("items", make)


def read_strings(body: Any) -> list[str]:
    """A bare array of strings (e.g. `customDomains`), or a collection of them."""
    values: Iterable[Any] = body if isinstance(body, list) else _Reader(body).value("items") or []
    return [str(value) for value in values]


__all__ = [
    "USER_ACTIVE",
    "USER_INACTIVE",
    "CompanyProfile",
    "Customer",
    "CustomerUser",
    "DirectoryRole",
    "License",
    "LicenseAssignment",
    "LicenseGroupId",
    "LicenseUpdate",
    "LicenseWarning",
    "Link",
    "Page",
    "PasswordProfile",
    "ProductSku",
    "ServicePlan",
    "Sort",
    "SubscribedSku",
    "UserMember",
    "parse_moment",
]
