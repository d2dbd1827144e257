"""Customers, directory roles, subscribed SKUs and license updates over HTTP."""

from __future__ import annotations

import pytest

from portal.sandbox.models import CustomerUser, LicenseAssignment, RoleMember
from tests.sandbox.support import Api, Tenant
from tests.sandbox_data import (
    BUSINESS_BASIC,
    GLOBAL_ADMIN,
    HELPDESK_ADMIN,
    MINECRAFT,
    OFFICE_E3,
    USER_ADMIN,
    deleted,
    make_customer,
    make_user,
)

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])


def test_a_customer_by_id_carries_its_profile_and_delegated_access(
    api: Api, tenant: Tenant
) -> None:
    customer = api.get(f"/customers/{tenant.id}").json()
    assert customer["allowDelegatedAccess"] is True
    assert customer["companyProfile"]["domain"] == "contoso.onmicrosoft.com"
    assert customer["companyProfile"]["companyName"] == "Contoso Ltd"
    assert customer["attributes"] == {"objectType": "Customer"}
    listed = api.get("/customers").json()["items"][0]
    assert "allowDelegatedAccess" not in listed  # only the by-id answer carries it


def test_company_profile_and_custom_domains(api: Api, tenant: Tenant) -> None:
    profile = api.get(f"/customers/{tenant.id}/profiles/company").json()
    assert profile["tenantId"] == tenant.id
    assert profile["attributes"] == {"objectType": "CustomerCompanyProfile"}
    domains = api.get(f"/customers/{tenant.id}/customDomains").json()
    assert domains == ["contoso.onmicrosoft.com", "contoso.com"]


def test_a_customer_without_delegated_access_answers_403_for_its_directory(api: Api) -> None:
    customer = make_customer("Closed Corp", "closed.onmicrosoft.com", delegated=False)
    assert api.get(f"/customers/{customer.id}").status == 200
    for path in ["users", "directoryroles", "subscribedskus", "customDomains", "profiles/company"]:
        answer = api.get(f"/customers/{customer.id}/{path}")
        assert answer.status == 403, path
        assert "delegated" in answer.json()["description"]
    refused = api.post(f"/customers/{customer.id}/users", {"displayName": "x"})
    assert refused.status == 403


def test_literal_segments_match_in_any_case_with_or_without_a_trailing_slash(
    api: Api, tenant: Tenant
) -> None:
    assert api.get(f"/Customers/{tenant.id}/CUSTOMDOMAINS").status == 200
    assert api.get(f"/customers/{tenant.id}/DirectoryRoles/").status == 200
    assert api.get(f"{tenant.users}/").status == 200


def test_the_customers_roles_carry_entra_template_ids(api: Api, tenant: Tenant) -> None:
    roles = api.get(f"/customers/{tenant.id}/directoryroles").json()["items"]
    assert {role["id"]: role["name"] for role in roles} == {
        GLOBAL_ADMIN: "Global Administrator",
        USER_ADMIN: "User Administrator",
        HELPDESK_ADMIN: "Helpdesk Administrator",
    }
    assert roles[0]["attributes"] == {"objectType": "DirectoryRole"}


def test_role_members_can_be_added_listed_and_removed(api: Api, tenant: Tenant) -> None:
    members = f"/customers/{tenant.id}/directoryroles/{HELPDESK_ADMIN}/usermembers"
    body = {
        "Id": str(tenant.bob.id),
        "DisplayName": "Bob Builder",
        "UserPrincipalName": tenant.bob.user_principal_name,
        "Attributes": {"ObjectType": "UserMember"},
    }
    added = api.post(members, body)
    assert added.status == 201
    assert added.json()["roleId"] == HELPDESK_ADMIN
    assert api.post(members, body).status == 409
    listed = api.get(members).json()["items"]
    assert [member["id"] for member in listed] == [str(tenant.bob.id)]
    bob_roles = api.get(f"{tenant.user(tenant.bob)}/directoryroles").json()["items"]
    assert [role["id"] for role in bob_roles] == [HELPDESK_ADMIN]
    assert api.delete(f"{members}/{tenant.bob.id}").status == 204
    assert api.delete(f"{members}/{tenant.bob.id}").status == 404
    assert not RoleMember.objects.filter(user=tenant.bob).exists()


def test_deleted_members_are_not_listed_and_cannot_be_added(api: Api, tenant: Tenant) -> None:
    members = f"/customers/{tenant.id}/directoryroles/{GLOBAL_ADMIN}/usermembers"
    deleted(tenant.alice, days_ago=1)
    assert api.get(members).json()["items"] == []
    deleted(tenant.bob, days_ago=1)
    assert api.post(members, {"id": str(tenant.bob.id)}).code == 60002
    unknown_role = f"/customers/{tenant.id}/directoryroles/{BUSINESS_BASIC}/usermembers"
    assert api.get(unknown_role).status == 404


def test_subscribed_skus_count_seats_from_assignments(api: Api, tenant: Tenant) -> None:
    skus = {
        item["productSku"]["skuPartNumber"]: item
        for item in api.get(f"/customers/{tenant.id}/subscribedskus").json()["items"]
    }
    assert set(skus) == {"O365_BUSINESS_ESSENTIALS", "ENTERPRISEPACK"}  # Group1 by default
    basic = skus["O365_BUSINESS_ESSENTIALS"]
    assert (basic["totalUnits"], basic["consumedUnits"], basic["availableUnits"]) == (5, 1, 4)
    assert basic["productSku"]["id"] == BUSINESS_BASIC
    assert basic["attributes"] == {"objectType": "SubscribedSku"}
    both = api.get(
        f"/customers/{tenant.id}/subscribedskus?licenseGroupIds=Group1&licenseGroupIds=Group2"
    ).json()["items"]
    assert len(both) == 3


def test_a_users_licences_show_assigned_plans_and_subscribed_skus_enabled_ones(
    api: Api, tenant: Tenant
) -> None:
    licences = api.get(f"{tenant.user(tenant.alice)}/licenses").json()["items"]
    skus = api.get(f"/customers/{tenant.id}/subscribedskus").json()["items"]
    licence_plans = [plan for licence in licences for plan in licence["servicePlans"]]
    sku_plans = [plan for sku in skus for plan in sku["servicePlans"]]
    assert licence_plans
    assert {plan["capabilityStatus"] for plan in licence_plans} == {"Assigned"}
    assert {plan["capabilityStatus"] for plan in sku_plans} == {"Enabled"}
    assert {sku["capabilityStatus"] for sku in skus} == {"Enabled"}


def test_licence_updates_assign_and_remove_and_answer_201(api: Api, tenant: Tenant) -> None:
    updates = f"{tenant.user(tenant.bob)}/licenseupdates"
    body = {
        "LicensesToAssign": [{"SkuId": OFFICE_E3, "ExcludedPlans": None}],
        "LicensesToRemove": None,
        "LicenseWarnings": None,
        "Attributes": {"ObjectType": "LicenseUpdate"},
    }
    answer = api.post(updates, body)
    assert answer.status == 201
    assert answer.json()["licensesToAssign"] == [{"skuId": OFFICE_E3, "excludedPlans": None}]
    assert answer.json()["attributes"] == {"objectType": "LicenseUpdate"}
    licences = api.get(f"{tenant.user(tenant.bob)}/licenses").json()["items"]
    assert [item["productSku"]["id"] for item in licences] == [OFFICE_E3]
    assert licences[0]["attributes"] == {"objectType": "License"}
    removed = api.post(updates, {"licensesToRemove": [OFFICE_E3]})
    assert removed.status == 201
    assert not LicenseAssignment.objects.filter(user=tenant.bob).exists()


def test_the_last_seat_goes_once_then_60012(api: Api, tenant: Tenant) -> None:
    body = {"licensesToAssign": [{"skuId": OFFICE_E3}]}
    assert api.post(f"{tenant.user(tenant.bob)}/licenseupdates", body).status == 201
    refused = api.post(f"{tenant.user(tenant.alice)}/licenseupdates", body)
    assert (refused.status, refused.code) == (400, 60012)
    assert "LicenseQuotaExceededException" in refused.json()["data"][0]
    assert not LicenseAssignment.objects.filter(user=tenant.alice, sku__sku_id=OFFICE_E3).exists()


def test_licences_need_a_usage_location_known_skus_and_one_group(api: Api, tenant: Tenant) -> None:
    nowhere = make_user(tenant.customer, "nowhere", "No Where")
    body = {"licensesToAssign": [{"skuId": BUSINESS_BASIC}]}
    refused = api.post(f"{tenant.user(nowhere)}/licenseupdates", body)
    assert refused.status == 400
    assert "usage location" in refused.json()["description"]
    unknown = {"licensesToAssign": [{"skuId": "11111111-1111-1111-1111-111111111111"}]}
    assert api.post(f"{tenant.user(tenant.bob)}/licenseupdates", unknown).code == 3000
    mixed = {"licensesToAssign": [{"skuId": BUSINESS_BASIC}, {"skuId": MINECRAFT}]}
    answer = api.post(f"{tenant.user(tenant.bob)}/licenseupdates", mixed)
    assert "same license group" in answer.json()["description"]
    assert api.post(f"{tenant.user(tenant.bob)}/licenseupdates", {}).status == 400
    assert CustomerUser.objects.get(pk=tenant.bob.pk).licenses.count() == 0


def test_domain_availability(api: Api, tenant: Tenant) -> None:
    assert api.call("HEAD", "/domains/contoso.com").status == 200
    assert api.call("HEAD", "/domains/free-name.onmicrosoft.com").status == 404


def test_methods_a_resource_does_not_have_answer_405(api: Api, tenant: Tenant) -> None:
    assert api.call("PUT", tenant.users, {}).status == 405
