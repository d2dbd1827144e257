"""The sandbox's demo data: what the screens, demos and other tests rely on it to hold."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, F, Q
from pytest_django.fixtures import Settings

from portal.sandbox import clock, seed, seed_plan, seed_rows
from portal.sandbox.models import (
    Customer,
    CustomerUser,
    DirectoryRole,
    Domain,
    IdempotentResponse,
    LicenseAssignment,
    RoleMember,
    SubscribedSku,
)
from portal.sandbox.seed_catalog import ROLES
from tests.sandbox_copy import SEEDED_MODELS, SeedCopy

pytestmark = [
    pytest.mark.django_db(databases=["default", "sandbox"]),
    pytest.mark.usefixtures("seeded_sandbox"),
]

ACTIVE = CustomerUser.ACTIVE
INACTIVE = CustomerUser.INACTIVE


def _age(user: CustomerUser) -> timedelta:
    assert user.soft_deletion_time is not None
    return clock.now() - user.soft_deletion_time


def _ordinary_customers() -> list[Customer]:
    return list(Customer.objects.exclude(id=seed_plan.LARGE_CUSTOMER_ID))


# --- Customers and domains ------------------------------------------------------------------
def test_it_creates_at_least_six_customers_each_with_one_lower_case_initial_domain() -> None:
    customers = Customer.objects.annotate(
        initial=Count("domains", filter=Q(domains__is_initial=True))
    )
    assert customers.count() >= 6
    for customer in customers:
        assert customer.initial == 1
        domain = customer.domains.get(is_initial=True).name
        assert domain == domain.lower()
        assert domain.endswith(".onmicrosoft.com")


def test_it_gives_one_customer_a_custom_domain_besides_its_initial_one() -> None:
    names = set(
        Domain.objects.filter(customer_id=seed_plan.CUSTOM_DOMAIN_CUSTOMER_ID).values_list(
            "name", "is_initial"
        )
    )
    assert (seed_plan.CUSTOM_DOMAIN, False) in names
    assert len(names) == 2


def test_it_has_exactly_one_customer_without_delegated_access() -> None:
    without = Customer.objects.filter(allow_delegated_access=False)
    assert list(without.values_list("id", flat=True)) == [seed_plan.NO_ACCESS_CUSTOMER_ID]
    assert without.get().users.exists()  # it has users, the partner just may not see them


# --- Users ----------------------------------------------------------------------------------
def test_it_gives_the_large_customer_exactly_5000_active_users() -> None:
    users = CustomerUser.objects.filter(customer_id=seed_plan.LARGE_CUSTOMER_ID)
    assert users.filter(state=ACTIVE).count() == 5000 == seed_plan.LARGE_CUSTOMER_ACTIVE_USERS
    assert users.filter(state=INACTIVE).count() >= 10


def test_it_licenses_most_of_the_large_customers_users_and_makes_a_few_admins() -> None:
    active = CustomerUser.objects.filter(customer_id=seed_plan.LARGE_CUSTOMER_ID, state=ACTIVE)
    licensed = active.filter(licenses__isnull=False).distinct().count()
    admins = active.filter(role_members__isnull=False).distinct().count()
    assert licensed > 0.8 * 5000
    assert 3 <= admins <= 30


def test_it_gives_every_ordinary_customer_20_to_60_active_users() -> None:
    for customer in _ordinary_customers():
        assert 20 <= customer.users.filter(state=ACTIVE).count() <= 60, customer


def test_it_keeps_active_usernames_unique_lower_case_and_on_the_initial_domain() -> None:
    for customer in Customer.objects.all():
        domain = customer.domains.get(is_initial=True).name
        names = list(
            customer.users.filter(state=ACTIVE).values_list("user_principal_name", flat=True)
        )
        assert len({name.lower() for name in names}) == len(names), customer
        assert all(name == name.lower() and name.endswith(f"@{domain}") for name in names)
        assert all(name.isascii() for name in names)


def test_it_has_people_with_non_ascii_names_and_accounts_without_a_first_or_last_name() -> None:
    bjorn = CustomerUser.objects.get(display_name="Björn Ångström")
    assert bjorn.user_principal_name == "bjorn.angstrom@bjorkdalbygg.onmicrosoft.com"
    assert CustomerUser.objects.exclude(display_name__regex=r"^[ -~]*$").count() > 50
    for customer in Customer.objects.all():
        nameless = customer.users.filter(state=ACTIVE, first_name="", last_name="")
        assert nameless.exists(), customer
        assert all(user.display_name for user in nameless)


def test_it_sets_times_and_usage_locations_every_screen_can_show() -> None:
    now = clock.now()
    users = CustomerUser.objects.all()
    assert not users.filter(password_last_set_at__lt=F("created_at")).exists()
    assert not users.filter(Q(created_at__gt=now) | Q(password_last_set_at__gt=now)).exists()
    locations = set(users.exclude(usage_location="").values_list("usage_location", flat=True))
    assert len(locations) > 3
    assert all(len(code) == 2 and code.isupper() for code in locations)


# --- Roles and licences ---------------------------------------------------------------------
def test_it_gives_every_customer_the_real_entra_role_template_ids() -> None:
    expected = {(str(role.template_id), role.name) for role in ROLES}
    assert ("62e90394-69f5-4237-9190-012177145e10", "Global Administrator") in expected
    for customer in Customer.objects.all():
        roles = {
            (str(role_id), name) for role_id, name in customer.roles.values_list("role_id", "name")
        }
        assert roles == expected, customer
        global_admins = RoleMember.objects.filter(
            role__customer=customer, role__name="Global Administrator", user__state=ACTIVE
        )
        assert global_admins.exists(), customer


def test_it_subscribes_real_skus_with_service_plans_and_enough_seats() -> None:
    part_numbers = set(SubscribedSku.objects.values_list("sku_part_number", flat=True))
    assert {"O365_BUSINESS_ESSENTIALS", "O365_BUSINESS_PREMIUM", "SPB", "ENTERPRISEPACK"} <= (
        part_numbers
    )
    basic = SubscribedSku.objects.filter(sku_part_number="O365_BUSINESS_ESSENTIALS").first()
    assert basic is not None
    assert str(basic.sku_id) == "3b555118-da6a-4418-894f-7df1e2096870"
    for sku in SubscribedSku.objects.annotate(used=Count("assignments")):
        assert sku.service_plans and all(
            {"id", "serviceName", "displayName"} <= set(plan) for plan in sku.service_plans
        )
        assert sku.active_units >= sku.used, sku
    assert LicenseAssignment.objects.count() > 5000


def test_it_leaves_exactly_one_seat_on_the_nearly_full_sku() -> None:
    sku = SubscribedSku.objects.get(
        customer_id=seed_plan.NEARLY_FULL_SKU_CUSTOMER_ID, sku_id=seed_plan.NEARLY_FULL_SKU_ID
    )
    assigned = sku.assignments.count()
    # Whether deleted users' seats count or not, one seat is left.
    assert sku.assignments.filter(user__state=ACTIVE).count() == assigned
    assert sku.active_units - assigned == 1


def test_it_licenses_only_users_with_a_usage_location() -> None:
    assert not LicenseAssignment.objects.filter(user__usage_location="").exists()


# --- Deleted users --------------------------------------------------------------------------
def test_it_deletes_users_at_several_ages_in_several_customers() -> None:
    deleted = CustomerUser.objects.filter(state=INACTIVE)
    assert not deleted.filter(soft_deletion_time__isnull=True).exists()
    assert not CustomerUser.objects.filter(state=ACTIVE, soft_deletion_time__isnull=False).exists()
    per_customer = Counter(deleted.values_list("customer_id", flat=True))
    assert len(per_customer) >= 4
    days = {_age(user).days for user in deleted}
    assert len(days & set(range(1, 21))) >= 5


def test_it_has_a_deleted_user_a_day_from_purge() -> None:
    user = CustomerUser.objects.get(id=seed_plan.NEAR_PURGE_USER_ID)
    assert user.user_principal_name == seed_plan.NEAR_PURGE_USERNAME
    assert user.state == INACTIVE
    assert timedelta(days=29) < _age(user) < timedelta(days=30)


def test_it_has_a_deleted_user_past_the_30_day_window() -> None:
    user = CustomerUser.objects.get(id=seed_plan.PAST_RETENTION_USER_ID)
    assert user.user_principal_name == seed_plan.PAST_RETENTION_USERNAME
    assert user.state == INACTIVE
    assert _age(user) > timedelta(days=31)


def test_it_has_a_deleted_admin_who_keeps_roles_and_licences() -> None:
    user = CustomerUser.objects.get(id=seed_plan.DELETED_ADMIN_USER_ID)
    assert user.user_principal_name == seed_plan.DELETED_ADMIN_USERNAME
    assert user.state == INACTIVE
    assert timedelta(days=1) < _age(user) < timedelta(days=30)
    roles = set(user.role_members.values_list("role__name", flat=True))
    assert "User Administrator" in roles
    assert user.licenses.exists()


def test_it_gives_a_deleted_users_username_to_a_newer_active_user() -> None:
    pair = CustomerUser.objects.filter(user_principal_name=seed_plan.REUSED_USERNAME)
    deleted = pair.get(state=INACTIVE)
    active = pair.get(state=ACTIVE)
    assert (deleted.id, active.id) == (
        seed_plan.REUSED_DELETED_USER_ID,
        seed_plan.REUSED_ACTIVE_USER_ID,
    )
    assert deleted.customer_id == active.customer_id == seed_plan.CUSTOM_DOMAIN_CUSTOMER_ID
    assert deleted.soft_deletion_time is not None
    assert active.created_at > deleted.soft_deletion_time
    assert timedelta(days=1) < _age(deleted) < timedelta(days=30)


def test_it_puts_no_other_usernames_of_deleted_users_on_active_users() -> None:
    active = set(
        CustomerUser.objects.filter(state=ACTIVE).values_list("user_principal_name", flat=True)
    )
    deleted = CustomerUser.objects.filter(state=INACTIVE).values_list(
        "user_principal_name", flat=True
    )
    assert [name for name in deleted if name in active] == [seed_plan.REUSED_USERNAME]


# --- Determinism, idempotence, reset --------------------------------------------------------
def test_it_builds_the_same_rows_on_every_run() -> None:
    now = datetime(2026, 1, 1, 12, tzinfo=UTC)

    def fingerprint() -> list[tuple[object, ...]]:
        rows = seed_rows.build_rows(now)
        return [
            (u.id, u.user_principal_name, u.display_name, u.created_at, u.soft_deletion_time)
            for u in rows.users
        ]

    assert fingerprint() == fingerprint()
    assert CustomerUser.objects.filter(id=seed_plan.REUSED_ACTIVE_USER_ID).exists()


def test_it_changes_nothing_on_a_second_run() -> None:
    before = set(CustomerUser.objects.values_list("id", "user_principal_name", "state"))
    counts = (
        Customer.objects.count(),
        LicenseAssignment.objects.count(),
        RoleMember.objects.count(),
    )
    out = StringIO()
    call_command("sandbox_seed", stdout=out)
    assert "already seeded" in out.getvalue()
    assert set(CustomerUser.objects.values_list("id", "user_principal_name", "state")) == before
    assert counts == (
        Customer.objects.count(),
        LicenseAssignment.objects.count(),
        RoleMember.objects.count(),
    )


def test_it_wipes_and_seeds_again_with_reset() -> None:
    CustomerUser.objects.filter(id=seed_plan.NEAR_PURGE_USER_ID).delete()
    Customer.objects.create(company_name="Left Over Ltd", created_at=clock.now())
    IdempotentResponse.objects.create(
        request_id="r-1", method="POST", path="/x", status=200, created_at=clock.now()
    )
    before = CustomerUser.objects.count()

    out = StringIO()
    call_command("sandbox_seed", "--reset", stdout=out)

    assert "Seeded the sandbox" in out.getvalue()
    assert not Customer.objects.filter(company_name="Left Over Ltd").exists()
    assert not IdempotentResponse.objects.exists()
    assert CustomerUser.objects.filter(id=seed_plan.NEAR_PURGE_USER_ID).exists()
    assert CustomerUser.objects.count() == before + 1


def test_it_seeds_an_empty_sandbox_and_reports_what_it_made() -> None:
    seed.sandbox_wipe()
    out = StringIO()
    call_command("sandbox_seed", stdout=out)
    message = out.getvalue()
    customers = Customer.objects.count()
    deleted = CustomerUser.objects.filter(state=INACTIVE).count()
    assert f"{customers} customers" in message
    assert f"{deleted} deleted users" in message
    assert DirectoryRole.objects.count() == customers * len(ROLES)


def test_it_counts_ages_from_the_sandbox_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    frozen = datetime(2030, 5, 17, 9, 30, 15, 123456, tzinfo=UTC)
    monkeypatch.setattr(clock, "now", lambda: frozen)
    seed.sandbox_seed(reset=True)
    user = CustomerUser.objects.get(id=seed_plan.NEAR_PURGE_USER_ID)
    assert user.soft_deletion_time == frozen.replace(microsecond=0) - seed_plan.NEAR_PURGE_AGE


def test_it_refuses_to_seed_in_live_mode(settings: Settings) -> None:
    settings.SANDBOX_ENABLED = False
    seed.sandbox_wipe()
    with pytest.raises(CommandError, match="live mode"):
        call_command("sandbox_seed")
    assert not Customer.objects.exists()


def test_it_has_a_customer_with_1500_deleted_users() -> None:
    customer = Customer.objects.get(id=seed_plan.MANY_DELETED_CUSTOMER_ID)
    assert customer.users.filter(state=INACTIVE).count() == seed_plan.MANY_DELETED_USERS == 1500


def test_large_adds_one_customer_of_that_many_users_once() -> None:
    out = StringIO()
    call_command("sandbox_seed", "--large", "1200", stdout=out)
    large = Customer.objects.get(id=seed_plan.LARGE_DEMAND_CUSTOMER_ID)
    assert large.users.filter(state=ACTIVE).count() == 1200
    assert "Added 1 customer(s)" in out.getvalue()
    again = StringIO()
    call_command("sandbox_seed", "--large", "1200", stdout=again)
    assert "already there: nothing changed" in again.getvalue()
    assert Customer.objects.filter(id=seed_plan.LARGE_DEMAND_CUSTOMER_ID).count() == 1


def test_many_adds_that_many_customers_of_2500_users() -> None:
    before = Customer.objects.count()
    call_command("sandbox_seed", "--many", "2", stdout=StringIO())
    assert Customer.objects.count() == before + 2
    added = Customer.objects.filter(company_name__endswith=" 001") | Customer.objects.filter(
        company_name__endswith=" 002"
    )
    assert [c.users.filter(state=ACTIVE).count() for c in added] == [2500, 2500]


def test_large_and_many_need_a_positive_number() -> None:
    with pytest.raises(CommandError, match="--many takes a number of at least 1"):
        call_command("sandbox_seed", "--many", "0")


# --- The tests' copy of the seed ------------------------------------------------------------


def test_the_tests_copy_of_the_seed_writes_back_the_same_rows_moved_to_its_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Most tests get the demo data from `tests/sandbox_copy.py`, not from the seed: it must
    write back every row the seed wrote, its times moved on as a new seed's would be."""
    copy = SeedCopy()
    copy.seed()  # the seed itself, read into the copy
    seeded = _rows()
    later = clock.now() + timedelta(days=3)
    monkeypatch.setattr(clock, "now", lambda: later)
    copy.seed()
    written = _rows()
    assert written.keys() == seeded.keys()
    for table, rows in seeded.items():
        assert len(written[table]) == len(rows) > 0, table
        for before, after in zip(rows, written[table], strict=True):
            for old, new in zip(before, after, strict=True):
                if isinstance(old, datetime) and isinstance(new, datetime):
                    assert timedelta(days=3) <= new - old < timedelta(days=3, minutes=1), table
                else:
                    assert new == old, table
    # New rows still take new keys.
    customer = Customer.objects.first()
    assert customer is not None
    Domain.objects.create(customer=customer, name="copy-check.example", is_initial=False)


def _rows() -> dict[str, list[tuple[object, ...]]]:
    return {
        model._meta.db_table: list(
            model._default_manager.order_by("pk").values_list(
                *(field.attname for field in model._meta.concrete_fields)
            )
        )
        for model in SEEDED_MODELS
    }
