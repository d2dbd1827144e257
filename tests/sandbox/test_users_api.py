"""Customer users over HTTP: the seed's REST examples and every rule around them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from portal.sandbox.models import CustomerUser, FaultSettings, LicenseAssignment, RoleMember
from tests.sandbox.support import PASSWORD, Api, Tenant, new_user, request_id
from tests.sandbox_data import deleted, make_user

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])

DELETED_FILTER = '{"Field":"UserState","Value":"Inactive","Operator":"equals"}'


def test_it_replays_the_seeds_rest_examples_in_order(api: Api, tenant: Tenant) -> None:
    created = api.post(tenant.users, new_user(tenant), request_id=request_id())
    assert created.status == 200  # not 201
    user = created.json()
    assert user["state"] == "active"
    assert user["userDomainType"] == "none"
    assert user["softDeletionTime"] is None  # create answers keep null fields
    assert user["passwordProfile"] == {"forceChangePassword": True, "password": PASSWORD}
    assert user["attributes"] == {"objectType": "CustomerUser"}

    patched = api.patch(
        tenant.user(user["id"]),
        {"usageLocation": "DE", "attributes": {"objectType": "CustomerUser"}},
    )
    assert patched.status == 200
    assert patched.json()["usageLocation"] == "DE"
    assert patched.json()["displayName"] == "Carol Singer"
    assert "passwordProfile" not in patched.json()

    gone = api.delete(tenant.user(user["id"]))
    assert gone.status == 204
    assert gone.raw == b""

    listed = api.get(f"{tenant.users}?size=500&filter={DELETED_FILTER}").json()
    assert [item["id"] for item in listed["items"]] == [user["id"]]
    assert listed["items"][0]["state"] == "inactive"
    assert listed["items"][0]["softDeletionTime"].endswith("Z")

    restored = api.patch(
        tenant.user(user["id"]),
        {"State": "active", "Attributes": {"ObjectType": "CustomerUser"}},
    )
    assert restored.status == 200
    assert restored.json()["state"] == "active"
    assert "softDeletionTime" not in restored.json()
    active_ids = [item["id"] for item in api.get(tenant.users).json()["items"]]
    assert user["id"] in active_ids


def test_a_restore_in_the_dotnet_all_nulls_shape_leaves_the_users_data_intact(
    api: Api, tenant: Tenant
) -> None:
    deleted(tenant.alice, days_ago=3)
    dotnet_body = {
        "UsageLocation": None,
        "Id": None,
        "UserPrincipalName": None,
        "FirstName": None,
        "LastName": None,
        "DisplayName": None,
        "PasswordProfile": None,
        "LastDirectorySyncTime": None,
        "UserDomainType": "none",
        "State": "active",
        "SoftDeletionTime": None,
        "Attributes": {"ObjectType": "CustomerUser"},
    }
    restored = api.patch(tenant.user(tenant.alice), dotnet_body).json()
    assert restored["state"] == "active"
    assert restored["userPrincipalName"] == "alice@contoso.onmicrosoft.com"
    assert (restored["firstName"], restored["lastName"]) == ("Alice", "Admin")
    assert restored["displayName"] == "Alice Admin"
    assert restored["usageLocation"] == "US"


def test_a_deleted_user_keeps_its_roles_and_licences_and_gets_them_back(
    api: Api, tenant: Tenant
) -> None:
    assert api.delete(tenant.user(tenant.alice)).status == 204
    roles = api.get(f"{tenant.user(tenant.alice)}/directoryroles").json()
    assert [role["name"] for role in roles["items"]] == ["Global Administrator"]
    api.patch(tenant.user(tenant.alice), {"state": "active"})
    assert RoleMember.objects.filter(user=tenant.alice).count() == 1
    assert LicenseAssignment.objects.filter(user=tenant.alice).count() == 1
    licences = api.get(f"{tenant.user(tenant.alice)}/licenses").json()["items"]
    assert [item["productSku"]["skuPartNumber"] for item in licences] == [
        "O365_BUSINESS_ESSENTIALS"
    ]


def test_it_answers_a_duplicate_username_with_409_by_default(api: Api, tenant: Tenant) -> None:
    answer = api.post(tenant.users, new_user(tenant, "ALICE"))
    assert answer.status == 409
    assert "userPrincipalName already exists" in answer.json()["description"]
    assert CustomerUser.objects.filter(customer=tenant.customer).count() == 2


def test_the_duplicate_answer_can_be_switched_to_400_with_the_conflict_text(
    api: Api, tenant: Tenant, faults: FaultSettings
) -> None:
    faults.duplicate_status = FaultSettings.DUPLICATE_400
    faults.save()
    answer = api.post(tenant.users, new_user(tenant, "alice"))
    assert answer.status == 400
    assert answer.json() == {
        "code": 3000,
        "description": (
            "Another object with the same value for property userPrincipalName already exists."
        ),
        "source": "PartnerFD",
    }


def test_a_new_user_may_take_a_deleted_users_username_and_the_restore_then_conflicts(
    api: Api, tenant: Tenant
) -> None:
    deleted(tenant.bob, days_ago=2)
    taken = api.post(tenant.users, new_user(tenant, "bob"))
    assert taken.status == 200
    conflict = api.patch(tenant.user(tenant.bob), {"state": "active"})
    assert conflict.status == 409
    assert "userPrincipalName" in conflict.json()["description"]
    tenant.bob.refresh_from_db()
    assert tenant.bob.state == CustomerUser.INACTIVE


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"userPrincipalName": "dave@fabrikam.com"}, "not a verified domain of this customer"),
        ({"userPrincipalName": "dave"}, "must have the form alias@domain"),
        ({"userPrincipalName": ".dave@contoso.com"}, "invalid alias"),
        ({"userPrincipalName": "da..ve@contoso.com"}, "invalid alias"),
        ({"userPrincipalName": "dåve@contoso.com"}, "invalid alias"),
        ({"userPrincipalName": None}, "userPrincipalName is required"),
        ({"displayName": ""}, "displayName is required"),
        ({"displayName": "x" * 257}, "displayname must be at most 256"),
        ({"firstName": "x" * 65}, "firstname must be at most 64"),
        ({"usageLocation": "XX"}, "not an ISO 3166"),
        ({"usageLocation": "USA"}, "not an ISO 3166"),
        ({"passwordProfile": None}, "passwordProfile with a password is required"),
        ({"passwordProfile": {"password": "short1A"}}, "complexity"),
        ({"passwordProfile": {"password": "alllowercase1"}}, "complexity"),
        ({"passwordProfile": {"password": "Üñíçødé123!"}}, "complexity"),
    ],
)
def test_it_refuses_invalid_users_with_code_3000_and_creates_nothing(
    api: Api, tenant: Tenant, overrides: dict[str, object], message: str
) -> None:
    answer = api.post(tenant.users, new_user(tenant, "dave", **overrides))
    assert answer.status == 400
    assert answer.code == 3000
    assert message in answer.json()["description"]
    assert CustomerUser.objects.filter(customer=tenant.customer).count() == 2


def test_it_accepts_a_custom_domain_in_any_case_and_pascal_case_fields(
    api: Api, tenant: Tenant
) -> None:
    body = {
        "UserPrincipalName": "Dave.O'Neil@Contoso.COM",
        "DisplayName": "Dave O'Neil",
        "UsageLocation": "ie",
        "PasswordProfile": {"Password": PASSWORD, "ForceChangePassword": False},
    }
    answer = api.post(tenant.users, body)
    assert answer.status == 200
    assert answer.json()["usageLocation"] == "IE"
    stored = CustomerUser.objects.get(pk=answer.json()["id"])
    assert stored.force_change_password is False


def test_patch_changes_only_what_is_sent_and_an_empty_string_clears(
    api: Api, tenant: Tenant
) -> None:
    answer = api.patch(
        tenant.user(tenant.alice), {"firstName": "", "lastName": None, "displayName": "Al"}
    )
    assert answer.status == 200
    alice = answer.json()
    assert "firstName" not in alice  # cleared, and null fields are omitted from the answer
    assert alice["lastName"] == "Admin"
    assert alice["displayName"] == "Al"


def test_patch_refuses_to_empty_the_display_name_or_clear_a_licensed_users_location(
    api: Api, tenant: Tenant
) -> None:
    assert api.patch(tenant.user(tenant.alice), {"displayName": ""}).status == 400
    answer = api.patch(tenant.user(tenant.alice), {"usageLocation": ""})
    assert answer.status == 400
    assert "licenses" in answer.json()["description"]


def test_patch_can_change_the_username_but_not_to_a_taken_one(api: Api, tenant: Tenant) -> None:
    renamed = api.patch(tenant.user(tenant.bob), {"userPrincipalName": "robert@contoso.com"})
    assert renamed.json()["userPrincipalName"] == "robert@contoso.com"
    taken = api.patch(
        tenant.user(tenant.bob), {"userPrincipalName": "Alice@contoso.onmicrosoft.com"}
    )
    assert taken.status == 409


def test_reset_password_echoes_the_profile_and_keeps_only_when_it_was_set(
    api: Api, tenant: Tenant
) -> None:
    before = tenant.bob.password_last_set_at
    answer = api.patch(
        tenant.user(tenant.bob),
        {"passwordProfile": {"password": "Renew456*abc", "forceChangePassword": True}},
    )
    assert answer.status == 200
    assert answer.json()["passwordProfile"]["password"] == "Renew456*abc"
    tenant.bob.refresh_from_db()
    assert tenant.bob.password_last_set_at > before
    assert (
        api.patch(tenant.user(tenant.bob), {"passwordProfile": {"password": "weak"}}).status == 400
    )


@pytest.mark.parametrize(
    "profile",
    [
        {"forceChangePassword": True},
        # Set-PartnerCustomerUser -ForceChangePasswordNextLogin: the .NET SDK's PascalCase, nulls.
        {"Password": None, "ForceChangePassword": True},
    ],
    ids=["camel-case", "dotnet-nulls"],
)
def test_a_profile_with_only_force_change_sets_the_flag_and_keeps_the_password(
    api: Api, tenant: Tenant, profile: dict[str, object]
) -> None:
    CustomerUser.objects.filter(pk=tenant.bob.pk).update(force_change_password=False)
    before = CustomerUser.objects.get(pk=tenant.bob.pk).password_last_set_at
    answer = api.patch(tenant.user(tenant.bob), {"passwordProfile": profile})
    assert answer.status == 200, answer.json()
    assert answer.json()["passwordProfile"] == {"forceChangePassword": True}
    assert answer.json()["displayName"] == "Bob Builder"
    bob = CustomerUser.objects.get(pk=tenant.bob.pk)
    assert (bob.force_change_password, bob.password_last_set_at) == (True, before)
    cleared = api.patch(
        tenant.user(tenant.bob), {"passwordProfile": {"forceChangePassword": False}}
    )
    assert cleared.json()["passwordProfile"] == {"forceChangePassword": False}
    assert CustomerUser.objects.get(pk=tenant.bob.pk).force_change_password is False


@pytest.mark.parametrize(
    "profile",
    [{}, {"password": None, "forceChangePassword": None}, {"forceChangePassword": "yes"}, "x"],
)
def test_a_profile_with_neither_a_password_nor_a_flag_answers_3000(
    api: Api, tenant: Tenant, profile: object
) -> None:
    answer = api.patch(tenant.user(tenant.bob), {"passwordProfile": profile})
    assert (answer.status, answer.code) == (400, 3000)
    assert "passwordProfile" in answer.json()["description"]


def test_a_new_user_still_needs_a_password(api: Api, tenant: Tenant) -> None:
    body = new_user(tenant, passwordProfile={"forceChangePassword": True})
    answer = api.post(tenant.users, body)
    assert (answer.status, answer.code) == (400, 3000)
    assert not CustomerUser.objects.filter(user_principal_name__startswith="carol").exists()


def test_a_deleted_user_must_be_restored_before_it_is_changed(api: Api, tenant: Tenant) -> None:
    deleted(tenant.bob, days_ago=1)
    answer = api.patch(tenant.user(tenant.bob), {"displayName": "New"})
    assert answer.status == 400
    assert "restore it" in answer.json()["description"]
    assert api.delete(tenant.user(tenant.bob)).status == 404
    assert api.delete(tenant.user(tenant.bob)).code == 60002


def test_patch_state_inactive_is_not_a_way_to_delete(api: Api, tenant: Tenant) -> None:
    assert api.patch(tenant.user(tenant.bob), {"state": "inactive"}).status == 400
    assert api.patch(tenant.user(tenant.bob), {"state": "gone"}).status == 400


def test_restoring_an_active_user_is_a_harmless_no_op(api: Api, tenant: Tenant) -> None:
    answer = api.patch(tenant.user(tenant.bob), {"state": "active"})
    assert answer.status == 200
    assert answer.json()["state"] == "active"


def test_get_answers_a_deleted_user_with_state_inactive(api: Api, tenant: Tenant) -> None:
    deleted(tenant.bob, days_ago=4)
    bob = api.get(tenant.user(tenant.bob)).json()
    assert bob["state"] == "inactive"
    assert "passwordProfile" not in bob


def test_after_30_days_a_deleted_user_is_purged_and_every_call_answers_60002(
    api: Api, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    deleted(tenant.bob, days_ago=0)
    later = timezone.now() + timedelta(days=30, minutes=1)
    monkeypatch.setattr("portal.sandbox.clock.now", lambda: later)
    for answer in [
        api.get(tenant.user(tenant.bob)),
        api.patch(tenant.user(tenant.bob), {"state": "active"}),
        api.delete(tenant.user(tenant.bob)),
        api.get(f"{tenant.user(tenant.bob)}/directoryroles"),
    ]:
        assert (answer.status, answer.code) == (404, 60002)
    listed = api.get(f"{tenant.users}?filter={DELETED_FILTER}").json()
    assert listed["items"] == []
    assert not CustomerUser.objects.filter(pk=tenant.bob.pk).exists()


def test_within_30_days_a_deleted_user_can_still_be_restored(
    api: Api, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    deleted(tenant.bob, days_ago=0)
    later = timezone.now() + timedelta(days=29, hours=23)
    monkeypatch.setattr("portal.sandbox.clock.now", lambda: later)
    assert api.patch(tenant.user(tenant.bob), {"state": "active"}).status == 200


def test_the_deleted_filter_accepts_userstatus_and_any_case(api: Api, tenant: Tenant) -> None:
    deleted(tenant.bob, days_ago=1)
    for spec in [
        '{"Field":"UserStatus","Value":"Inactive","Operator":"equals"}',
        '{"field":"userState","value":"INACTIVE","operator":"Equals"}',
    ]:
        items = api.get(f"{tenant.users}?filter={spec}").json()["items"]
        assert [item["userPrincipalName"] for item in items] == ["bob@contoso.onmicrosoft.com"]
    assert api.get(f'{tenant.users}?filter={{"Field":"DisplayName"}}').status == 400
    assert api.get(f"{tenant.users}?filter=not-json").status == 400


def test_unknown_users_and_customers_answer_60002_and_60003(api: Api, tenant: Tenant) -> None:
    missing = "00000000-0000-0000-0000-000000000001"
    assert api.get(tenant.user(missing)).code == 60002
    assert api.get(tenant.user("not-a-guid")).code == 60002
    assert api.get(f"/customers/{missing}/users").code == 60003
    assert api.get(f"/customers/{missing}").status == 404


def test_list_answers_omit_null_fields(api: Api, tenant: Tenant) -> None:
    make_user(tenant.customer, "nolocation", "No Location")
    items = api.get(tenant.users).json()["items"]
    bare = next(item for item in items if item["displayName"] == "No Location")
    assert "usageLocation" not in bare
    assert "firstName" not in bare
    assert bare["links"]["self"]["uri"] == f"{tenant.users}/{bare['id']}"
