"""The sandbox's models as Partner Center resources (camelCase, `attributes.objectType`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from portal.sandbox.api.wire import link
from portal.sandbox.models import (
    Customer,
    CustomerUser,
    DirectoryRole,
    LicenseAssignment,
    SubscribedSku,
)


def timestamp(moment: datetime | None) -> str | None:
    # Partner Center writes UTC with second precision: "2017-01-20T00:33:34Z".
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def company_profile(customer: Customer, initial_domain: str) -> dict[str, Any]:
    return {
        "tenantId": str(customer.id),
        "domain": initial_domain,
        "companyName": customer.company_name,
        "email": customer.email or None,
        "links": {"self": link(f"/customers/{customer.id}/profiles/company")},
        "attributes": {"objectType": "CustomerCompanyProfile"},
    }


def customer(
    customer: Customer, initial_domain: str, *, with_delegation: bool = False
) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "id": str(customer.id),
        "commerceId": str(customer.commerce_id),
        "companyProfile": company_profile(customer, initial_domain),
        "relationshipToPartner": customer.relationship_to_partner,
    }
    if with_delegation:  # only the by-id answer carries it
        resource["allowDelegatedAccess"] = customer.allow_delegated_access
    resource["links"] = {"self": link(f"/customers/{customer.id}")}
    resource["attributes"] = {"objectType": "Customer"}
    return resource


def user(user: CustomerUser, *, password: str | None = None) -> dict[str, Any]:
    """A CustomerUser with every field (null ones included, as create and reset answers are).

    `password` is echoed in `passwordProfile` only by the create and reset answers, as the
    documented samples do; it is never stored.
    """
    resource: dict[str, Any] = {
        "usageLocation": user.usage_location or None,
        "id": str(user.id),
        "userPrincipalName": user.user_principal_name,
        "firstName": user.first_name or None,
        "lastName": user.last_name or None,
        "displayName": user.display_name,
        "immutableId": user.immutable_id or None,
        "phoneNumber": user.phone_number or None,
        "passwordProfile": (
            {"forceChangePassword": user.force_change_password, "password": password}
            if password is not None
            else None
        ),
        "lastDirectorySyncTime": None,
        "userDomainType": "none",
        "state": user.state,
        "softDeletionTime": timestamp(user.soft_deletion_time),
        "links": {"self": link(f"/customers/{user.customer_id}/users/{user.id}")},
        "attributes": {"objectType": "CustomerUser"},
    }
    return resource


def directory_role(role: DirectoryRole) -> dict[str, Any]:
    return {
        "name": role.name,
        "id": str(role.role_id),
        "attributes": {"objectType": "DirectoryRole"},
    }


def user_member(user: CustomerUser, role: DirectoryRole) -> dict[str, Any]:
    return {
        "id": str(user.id),
        "displayName": user.display_name,
        "userPrincipalName": user.user_principal_name,
        "roleId": str(role.role_id),
        "attributes": {"objectType": "UserMember"},
    }


def product_sku(sku: SubscribedSku) -> dict[str, Any]:
    return {
        "id": str(sku.sku_id),
        "name": sku.name,
        "skuPartNumber": sku.sku_part_number,
        "targetType": "User",
        "licenseGroupId": sku.license_group,
        "attributes": {"objectType": "ProductSku"},
    }


def service_plans(
    sku: SubscribedSku, *, status: str, excluded: list[str] | None = None
) -> list[dict[str, Any]]:
    """The SKU's service plans but the `excluded` ones, each with `capabilityStatus` `status`:
    "Enabled" in a subscribed SKU, "Assigned" in a user's licence (as the docs' samples show)."""
    skipped = {plan_id.lower() for plan_id in excluded or []}
    return [
        {
            "displayName": plan.get("displayName", ""),
            "serviceName": plan.get("serviceName", ""),
            "id": plan.get("id", ""),
            "capabilityStatus": status,
            "targetType": "User",
        }
        for plan in sku.service_plans
        if str(plan.get("id", "")).lower() not in skipped
    ]


def subscribed_sku(sku: SubscribedSku, consumed: int) -> dict[str, Any]:
    total = sku.active_units + sku.warning_units
    return {
        "availableUnits": max(total - consumed, 0),
        "activeUnits": sku.active_units,
        "consumedUnits": consumed,
        "suspendedUnits": sku.suspended_units,
        "totalUnits": total,
        "warningUnits": sku.warning_units,
        "productSku": product_sku(sku),
        "servicePlans": service_plans(sku, status="Enabled"),
        "capabilityStatus": "Enabled",
        "attributes": {"objectType": "SubscribedSku"},
    }


def license(assignment: LicenseAssignment) -> dict[str, Any]:
    return {
        "servicePlans": service_plans(
            assignment.sku, status="Assigned", excluded=assignment.excluded_plans
        ),
        "productSku": product_sku(assignment.sku),
        "attributes": {"objectType": "License"},
    }
