"""Licenses: the customer's subscribed SKUs, a user's licenses, and license updates."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import Count
from django.http import HttpRequest

from portal.sandbox.api import resources
from portal.sandbox.api.lookup import find_active_user, find_customer, find_user
from portal.sandbox.api.query import Query, takes
from portal.sandbox.api.wire import (
    OUT_OF_LICENSES,
    Answer,
    ApiError,
    collection,
    invalid,
    read_body,
)
from portal.sandbox.models import Customer, CustomerUser, LicenseAssignment, SubscribedSku

_LICENSE_GROUPS = {"Group1": "group1", "Group2": "group2"}


def _license_groups(query: Query) -> list[str]:
    # Without licenseGroupIds only Group1 (Entra-managed) licences are listed. The .NET SDK
    # repeats the parameter, Microsoft's AutoRest client sends one comma-separated value.
    return query.items("licenseGroupIds", _LICENSE_GROUPS) or ["group1"]


@takes("licenseGroupIds")
def subscribed_skus(request: HttpRequest, customer_id: str, *, query: Query) -> Answer:
    """GET /v1/customers/{id}/subscribedskus[?licenseGroupIds=Group1&licenseGroupIds=Group2]"""
    customer = find_customer(customer_id)
    skus = (
        SubscribedSku.objects.filter(customer=customer, license_group__in=_license_groups(query))
        .annotate(consumed=Count("assignments"))
        .order_by("name")
    )
    items = [resources.subscribed_sku(sku, sku.consumed) for sku in skus]
    self_uri = query.uri(f"/customers/{customer.id}/subscribedskus")
    return Answer(200, collection(items, self_uri=self_uri))


@takes("licenseGroupIds")
def user_licenses(request: HttpRequest, customer_id: str, user_id: str, *, query: Query) -> Answer:
    """GET /v1/customers/{id}/users/{user-id}/licenses[?licenseGroupIds=...]"""
    customer = find_customer(customer_id)
    user = find_user(customer, user_id)
    assignments = (
        LicenseAssignment.objects.filter(user=user, sku__license_group__in=_license_groups(query))
        .select_related("sku")
        .order_by("sku__name")
    )
    items = [resources.license(assignment) for assignment in assignments]
    self_uri = query.uri(f"/customers/{customer.id}/users/{user.id}/licenses")
    return Answer(200, collection(items, self_uri=self_uri))


def update_licenses(request: HttpRequest, customer_id: str, user_id: str) -> Answer:
    """POST /v1/customers/{id}/users/{user-id}/licenseupdates: answers 201.

    Out of seats answers 400 code 60012, as documented; a user needs a usage location first.
    """
    customer = find_customer(customer_id)
    user = find_active_user(customer, user_id)
    body = read_body(request)
    to_assign = _assignments(body.get("licensestoassign"))
    to_remove = _sku_ids(body.get("licensestoremove"))
    if not to_assign and not to_remove:
        raise invalid("Give licensesToAssign or licensesToRemove.")
    skus = _customer_skus(customer, [sku_id for sku_id, _ in to_assign] + to_remove)
    if len({sku.license_group for sku in skus.values()}) > 1:
        raise invalid("All licenses in one update must belong to the same license group.")
    if to_assign and not user.usage_location:
        raise invalid("The user needs a usage location before licenses can be assigned.")
    LicenseAssignment.objects.filter(user=user, sku__in=[skus[key] for key in to_remove]).delete()
    for sku_id, excluded in to_assign:
        _assign(user, skus[sku_id], excluded)
    return Answer(
        201,
        {
            "licensesToAssign": [
                {"skuId": sku_id, "excludedPlans": excluded or None}
                for sku_id, excluded in to_assign
            ],
            "licensesToRemove": to_remove or None,
            "licenseWarnings": [],
            "attributes": {"objectType": "LicenseUpdate"},
        },
    )


def _assign(user: CustomerUser, sku: SubscribedSku, excluded: list[str]) -> None:
    existing = LicenseAssignment.objects.filter(user=user, sku=sku).first()
    if existing:
        existing.excluded_plans = excluded
        existing.save(update_fields=["excluded_plans"])
        return
    # The change runs in an immediate (SQLite) or row-locked (PostgreSQL) transaction, so two
    # concurrent assignments cannot both take the last seat.
    sku = SubscribedSku.objects.select_for_update().get(pk=sku.pk)
    if sku.assignments.count() >= sku.active_units + sku.warning_units:
        raise ApiError(
            400,
            OUT_OF_LICENSES,
            f"The customer has run out of licenses for {sku.name}: buy more seats or free one.",
            data=[f"LicenseQuotaExceededException : no available units of {sku.sku_part_number}"],
        )
    LicenseAssignment.objects.create(user=user, sku=sku, excluded_plans=excluded)


def _assignments(value: Any) -> list[tuple[str, list[str]]]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise invalid("licensesToAssign must be a list.")
    result = []
    for item in value:
        if not isinstance(item, dict) or not isinstance(item.get("skuid"), str):
            raise invalid("Each of licensesToAssign needs a skuId.")
        excluded = item.get("excludedplans") or []
        if not isinstance(excluded, list):
            raise invalid("excludedPlans must be a list of service plan ids.")
        result.append((_normal_id(item["skuid"]), [str(plan) for plan in excluded]))
    return result


def _sku_ids(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise invalid("licensesToRemove must be a list of SKU ids.")
    return [_normal_id(item) for item in value]


def _normal_id(value: str) -> str:
    try:
        return str(uuid.UUID(value.strip()))
    except ValueError:
        raise invalid(f"{value!r} is not a SKU id.") from None


def _customer_skus(customer: Customer, sku_ids: list[str]) -> dict[str, SubscribedSku]:
    skus = {
        str(sku.sku_id): sku
        for sku in SubscribedSku.objects.filter(customer=customer, sku_id__in=sku_ids)
    }
    missing = [sku_id for sku_id in sku_ids if sku_id not in skus]
    if missing:
        raise invalid(f"The customer has no subscription for the SKU {missing[0]}.")
    return skus
