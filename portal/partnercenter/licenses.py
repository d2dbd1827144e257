"""Partner Center's license resources as typed dataclasses: the SKUs a customer subscribes to,
the licenses a user holds, and the updates that assign and remove them.

snake_case in Python, camelCase on the wire, read leniently (see `wire.py`).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from portal.partnercenter.wire import Reader, Wire


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
        reader = Reader(data)
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
        reader = Reader(data)
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
        reader = Reader(data)
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
        reader = Reader(data)
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
        reader = Reader(data)
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
        reader = Reader(data)
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
        reader = Reader(data)
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


__all__ = [
    "License",
    "LicenseAssignment",
    "LicenseGroupId",
    "LicenseUpdate",
    "LicenseWarning",
    "ProductSku",
    "ServicePlan",
    "SubscribedSku",
]
