"""The SDK against the sandbox: every operation and every error kind, in-process and over HTTP.

Each test runs for both transports (see the `api_root` fixture) — the in-process transport and a
real HTTP server must give the same results through the same client code — and with each of the
sandbox's production-like switches on (its default) and off: `links.next` with or without `/v1`,
JSON bodies with or without a UTF-8 BOM. The duplicate-username tests run with 409 and 400.
"""

from __future__ import annotations

import uuid

import pytest

from portal.partnercenter import (
    AlreadyExists,
    CustomerUser,
    Forbidden,
    InvalidInput,
    LicenseUpdate,
    NotFound,
    PartnerCenterClient,
    PasswordProfile,
    Sort,
    Throttled,
    Unauthorized,
    Unavailable,
    UserMember,
)
from portal.sandbox import models as sandbox
from portal.sandbox.models import FaultSettings
from tests.partnercenter.conftest import (
    BUSINESS_BASIC,
    GLOBAL_ADMIN,
    OFFICE_E3,
    PASSWORD,
    USER_ADMIN,
    FakeTime,
    World,
    contract,
    contract_client,
    make_user,
    soft_delete,
)

pytestmark = contract


@pytest.fixture(autouse=True, params=[True, False], ids=["next-v1", "next-no-v1"])
def next_link_with_v1(request: pytest.FixtureRequest, faults: FaultSettings) -> bool:
    """Production writes /v1 into next links (the default); the docs' samples do not."""
    with_v1: bool = request.param
    faults.next_link_with_v1 = with_v1
    faults.save()
    return with_v1


@pytest.fixture(autouse=True, params=[True, False], ids=["bom", "no-bom"])
def emit_bom(request: pytest.FixtureRequest, faults: FaultSettings) -> bool:
    """The docs' samples start JSON bodies with a UTF-8 BOM (the default); not every answer may."""
    bom: bool = request.param
    faults.emit_bom = bom
    faults.save()
    return bom


UPN_CONFLICT = "Another object with the same value for property userPrincipalName already exists"


def carol(alias: str = "carol") -> CustomerUser:
    return CustomerUser(
        user_principal_name=f"{alias}@contoso.onmicrosoft.com",
        display_name="Carol Singer",
        first_name="Carol",
        last_name="Singer",
        usage_location="US",
        password_profile=PasswordProfile(PASSWORD, force_change_password=True),
    )


# --- Customers -----------------------------------------------------------------------------


def test_customers_list_and_get(pc: PartnerCenterClient, world: World) -> None:
    page = pc.customers.list()
    names = sorted(customer.company_name for customer in pc.customers.iter_all())
    customer = pc.customers.by_id(world.cid).get()

    assert sorted(customer.company_name for customer in page.items) == names
    assert names == ["Contoso Ltd", "Northwind Traders"]
    assert customer.id == world.cid
    assert customer.domain == "contoso.onmicrosoft.com"
    assert customer.allow_delegated_access is True


def test_company_profile_and_domains(pc: PartnerCenterClient, world: World) -> None:
    customer = pc.customers.by_id(world.cid)

    profile = customer.company_profile()

    assert profile.company_name == "Contoso Ltd"
    assert profile.domain == "contoso.onmicrosoft.com"
    assert sorted(customer.domains()) == ["contoso.com", "contoso.onmicrosoft.com"]


def test_an_unknown_customer_is_not_found_with_code_60003(
    pc: PartnerCenterClient, world: World
) -> None:
    with pytest.raises(NotFound) as caught:
        pc.customers.by_id(str(uuid.uuid4())).users.list()

    assert caught.value.code == "60003"
    assert caught.value.request_id
    assert caught.value.correlation_id == pc.correlation_id


def test_a_customer_without_delegated_access_is_forbidden(
    pc: PartnerCenterClient, world: World
) -> None:
    with pytest.raises(Forbidden) as caught:
        pc.customers.by_id(str(world.no_access.id)).users.list()

    assert caught.value.status == 403
    assert caught.value.code


# --- Users ---------------------------------------------------------------------------------


def test_users_list_sorts_and_pages(
    pc: PartnerCenterClient, world: World, next_link_with_v1: bool
) -> None:
    users = pc.customers.by_id(world.cid).users

    first = users.list(size=1, sort=Sort("DisplayName", descending=True))
    second = users.list(continuation=first.continuation_token)

    assert first.next_link is not None
    assert first.next_link.uri.startswith("/v1/") is next_link_with_v1
    assert [user.display_name for user in first.items] == ["Bob Builder"]
    assert [user.display_name for user in second.items] == ["Alice Admin"]
    assert not second.has_more
    assert [user.user_principal_name for user in users.iter_all(size=1)] == [
        "alice@contoso.onmicrosoft.com",
        "bob@contoso.onmicrosoft.com",
    ]


def test_create_get_patch_reset_and_the_password_echo(
    pc: PartnerCenterClient, world: World
) -> None:
    users = pc.customers.by_id(world.cid).users

    created = users.create(carol())
    user = users.by_id(created.id or "")
    fetched = user.get()
    patched = user.patch(CustomerUser(display_name="Carol S.", last_name=""))
    reset = user.reset_password("Renew456*x", force_change=False)

    assert created.id
    assert created.state == "active"
    assert created.password_profile is not None
    assert created.password_profile.password == PASSWORD
    assert fetched.user_principal_name == "carol@contoso.onmicrosoft.com"
    assert fetched.usage_location == "US"
    assert fetched.password_profile is None
    assert patched.display_name == "Carol S."
    assert patched.last_name is None or patched.last_name == ""
    assert patched.first_name == "Carol"
    assert reset.password_profile is not None
    assert reset.password_profile.force_change_password is False
    stored = sandbox.CustomerUser.objects.get(pk=created.id)
    assert (stored.display_name, stored.last_name, stored.force_change_password) == (
        "Carol S.",
        "",
        False,
    )


def test_a_user_can_be_made_to_change_their_password_without_a_new_one(
    pc: PartnerCenterClient, world: World
) -> None:
    sandbox.CustomerUser.objects.filter(pk=world.bob.pk).update(force_change_password=False)
    bob = pc.customers.by_id(world.cid).users.by_id(str(world.bob.id))

    required = bob.require_password_change()
    stored = sandbox.CustomerUser.objects.get(pk=world.bob.pk)
    not_required = bob.require_password_change(required=False)

    assert required.password_profile == PasswordProfile(force_change_password=True)
    assert required.display_name == "Bob Builder"
    assert stored.force_change_password is True
    assert stored.password_last_set_at == world.bob.password_last_set_at
    assert not_required.password_profile == PasswordProfile(force_change_password=False)
    assert sandbox.CustomerUser.objects.get(pk=world.bob.pk).force_change_password is False


def test_delete_deleted_and_restore(pc: PartnerCenterClient, world: World) -> None:
    users = pc.customers.by_id(world.cid).users
    bob = users.by_id(str(world.bob.id))

    bob.delete()
    deleted = users.deleted()
    active_after_delete = [user.id for user in users.iter_all()]
    restored = bob.restore()

    assert [user.id for user in deleted.items] == [str(world.bob.id)]
    assert deleted.items[0].is_deleted
    assert deleted.items[0].soft_deletion_time is not None
    assert active_after_delete == [str(world.alice.id)]
    assert restored.state == "active"
    assert restored.soft_deletion_time is None
    assert list(users.iter_deleted()) == []
    assert {user.id for user in users.iter_all()} == {str(world.alice.id), str(world.bob.id)}


def test_an_unknown_user_is_not_found_with_code_60002(
    pc: PartnerCenterClient, world: World
) -> None:
    with pytest.raises(NotFound) as caught:
        pc.customers.by_id(world.cid).users.by_id(str(uuid.uuid4())).get()

    assert caught.value.code == "60002"


@pytest.mark.parametrize("duplicate_status", [409, 400])
def test_a_duplicate_username_is_already_exists(
    pc: PartnerCenterClient, world: World, faults: FaultSettings, duplicate_status: int
) -> None:
    faults.duplicate_status = duplicate_status
    faults.save()

    with pytest.raises(AlreadyExists) as caught:
        pc.customers.by_id(world.cid).users.create(carol("BOB"))

    assert caught.value.status == duplicate_status
    assert UPN_CONFLICT in str(caught.value)
    assert not caught.value.outcome_unknown


def test_invalid_input_carries_code_3000(pc: PartnerCenterClient, world: World) -> None:
    user = carol()
    user.user_principal_name = "carol@not-contoso.example"

    with pytest.raises(InvalidInput) as caught:
        pc.customers.by_id(world.cid).users.create(user)

    assert caught.value.code == "3000"
    assert "not-contoso.example" in str(caught.value)


def test_a_restore_after_30_days_is_not_found_with_code_60002(
    pc: PartnerCenterClient, world: World
) -> None:
    soft_delete(world.bob, days_ago=31)

    with pytest.raises(NotFound) as caught:
        pc.customers.by_id(world.cid).users.by_id(str(world.bob.id)).restore()

    assert caught.value.code == "60002"


@pytest.mark.parametrize("duplicate_status", [409, 400])
def test_a_restore_whose_username_was_taken_is_already_exists(
    pc: PartnerCenterClient, world: World, faults: FaultSettings, duplicate_status: int
) -> None:
    faults.duplicate_status = duplicate_status
    faults.save()
    soft_delete(world.bob, days_ago=3)
    make_user(world.contoso, "bob", "Another Bob")

    with pytest.raises(AlreadyExists) as caught:
        pc.customers.by_id(world.cid).users.by_id(str(world.bob.id)).restore()

    assert caught.value.status == duplicate_status
    assert sandbox.CustomerUser.objects.get(pk=world.bob.id).state == "inactive"


def test_the_same_request_id_creates_once_and_replays(
    pc: PartnerCenterClient, world: World
) -> None:
    users = pc.customers.by_id(world.cid).users
    request_id = str(uuid.uuid4())

    first = users.create(carol(), request_id=request_id)
    again = users.create(carol(), request_id=request_id)

    assert again.id == first.id
    assert again.password_profile is None or again.password_profile.password is None
    assert sandbox.CustomerUser.objects.filter(user_principal_name__startswith="carol").count() == 1


# --- Roles and licences --------------------------------------------------------------------


def test_directory_roles_and_their_members(pc: PartnerCenterClient, world: World) -> None:
    customer = pc.customers.by_id(world.cid)
    bob = customer.users.by_id(str(world.bob.id)).get()
    user_admins = customer.directory_roles.by_id(USER_ADMIN).user_members

    roles = {role.id: role.name for role in customer.directory_roles.list()}
    alices_roles = customer.users.by_id(str(world.alice.id)).directory_roles.list()
    global_admins = list(customer.directory_roles.by_id(GLOBAL_ADMIN).user_members.iter_all())
    added = user_admins.add(UserMember.of(bob))
    members_after_add = [member.id for member in user_admins.list().items]
    user_admins.remove(str(world.bob.id))

    assert roles[GLOBAL_ADMIN] == "Global Administrator"
    assert [role.id for role in alices_roles] == [GLOBAL_ADMIN]
    assert [member.user_principal_name for member in global_admins] == [
        "alice@contoso.onmicrosoft.com"
    ]
    assert added.id == str(world.bob.id)
    assert members_after_add == [str(world.bob.id)]
    assert user_admins.list().items == []


def test_subscribed_skus_licences_and_licence_updates(
    pc: PartnerCenterClient, world: World
) -> None:
    customer = pc.customers.by_id(world.cid)
    bob = customer.users.by_id(str(world.bob.id))

    skus = {sku.sku_id: sku for sku in customer.subscribed_skus.list()}
    update = bob.license_updates.create(LicenseUpdate.assign(OFFICE_E3))
    bobs_licences = [licence.sku_id for licence in bob.licenses.list()]
    alices_licences = customer.users.by_id(str(world.alice.id)).licenses.list()
    skus_after = {sku.sku_id: sku for sku in customer.subscribed_skus.list()}
    bob.license_updates.create(LicenseUpdate.remove(OFFICE_E3))

    assert skus[BUSINESS_BASIC].available_units == 4
    assert skus[BUSINESS_BASIC].product_sku.sku_part_number == "O365_BUSINESS_ESSENTIALS"
    assert skus[BUSINESS_BASIC].service_plans[0].service_name == "EXCHANGE_S_STANDARD"
    assert skus[BUSINESS_BASIC].service_plans[0].capability_status == "Enabled"
    assert skus[OFFICE_E3].available_units == 1
    assert [item.sku_id for item in update.licenses_to_assign] == [OFFICE_E3]
    assert bobs_licences == [OFFICE_E3]
    assert [licence.product_sku.name for licence in alices_licences] == [
        "Microsoft 365 Business Basic"
    ]
    assert [plan.capability_status for plan in alices_licences[0].service_plans] == ["Assigned"]
    assert skus_after[OFFICE_E3].available_units == 0
    assert bob.licenses.list() == []


def test_a_licence_without_seats_is_invalid_input_with_code_60012(
    pc: PartnerCenterClient, world: World
) -> None:
    users = pc.customers.by_id(world.cid).users
    users.by_id(str(world.alice.id)).license_updates.create(LicenseUpdate.assign(OFFICE_E3))

    with pytest.raises(InvalidInput) as caught:
        users.by_id(str(world.bob.id)).license_updates.create(LicenseUpdate.assign(OFFICE_E3))

    assert caught.value.code == "60012"


# --- Authentication, throttling, outages, BOM ------------------------------------------------


class _NoToken:
    def __init__(self) -> None:
        self.forced = 0

    def access_token(self, *, force_refresh: bool = False) -> str:
        self.forced += force_refresh
        return ""


def test_a_rejected_token_is_refreshed_once_then_unauthorized(
    api_root: str, fake_time: FakeTime, world: World
) -> None:
    tokens = _NoToken()
    pc = contract_client(api_root, fake_time, token_provider=tokens)

    with pytest.raises(Unauthorized) as caught:
        pc.customers.list()

    assert tokens.forced == 1
    assert caught.value.status == 401


def test_throttling_beyond_the_web_cap_is_throttled_with_retry_after(
    api_root: str, fake_time: FakeTime, world: World, faults: FaultSettings
) -> None:
    faults.throttle_rate, faults.retry_after_seconds = 1.0, 4
    faults.save()
    pc = contract_client(api_root, fake_time, throttle_wait_cap=5.0)

    with pytest.raises(Throttled) as caught:
        pc.customers.by_id(world.cid).users.list()

    assert caught.value.retry_after == 4
    assert fake_time.sleeps == [4.0]
    assert "Try again in 4 seconds" in str(caught.value)


def test_an_outage_is_unavailable_and_a_change_in_it_has_an_unknown_outcome(
    pc: PartnerCenterClient, world: World, faults: FaultSettings, fake_time: FakeTime
) -> None:
    faults.error_rate, faults.random_seed = 1.0, 7
    faults.save()
    users = pc.customers.by_id(world.cid).users

    with pytest.raises(Unavailable) as read:
        users.list()
    with pytest.raises(Unavailable) as change:
        users.create(carol(), request_id="outage-1")

    assert not read.value.outcome_unknown
    assert change.value.outcome_unknown
    assert change.value.request_id == "outage-1"
    assert change.value.status in {500, 503}
    assert len(fake_time.sleeps) == 6  # three back-offs per operation, no real waiting
    assert not sandbox.CustomerUser.objects.filter(user_principal_name__startswith="carol").exists()


def test_licence_groups_are_listed_together_and_an_unknown_parameter_is_invalid_input(
    pc: PartnerCenterClient, world: World
) -> None:
    customer = pc.customers.by_id(world.cid)

    both = customer.subscribed_skus.list(license_groups=["Group1", "Group2"])
    with pytest.raises(InvalidInput) as caught:
        pc.get(f"/customers/{world.cid}/users", params={"sortFeild": "DisplayName"})

    assert {sku.sku_id for sku in both} == {BUSINESS_BASIC, OFFICE_E3}
    assert caught.value.code == "3000"
    assert "sortFeild" in str(caught.value)


def test_errors_are_read_with_or_without_a_bom(pc: PartnerCenterClient, world: World) -> None:
    users = pc.customers.by_id(world.cid).users

    created = users.create(carol())
    listed = users.list()
    with pytest.raises(NotFound) as caught:
        users.by_id(str(uuid.uuid4())).get()

    assert created.user_principal_name == "carol@contoso.onmicrosoft.com"
    assert len(listed.items) == 3
    assert caught.value.code == "60002"
