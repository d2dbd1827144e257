"""The per-customer snapshot, read from the sandbox through the SDK like the real service."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache import cache
from django.db import transaction
from pytest_django import DjangoDbBlocker

from customers import snapshots
from portal.partnercenter import Forbidden, partner_center
from portal.routers import SANDBOX_DB
from portal.sandbox import seed
from portal.sandbox.models import CustomerUser

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])


@pytest.fixture(scope="module", autouse=True)
def _seeded(django_db_setup: None, django_db_blocker: DjangoDbBlocker) -> Iterator[None]:
    with django_db_blocker.unblock():
        seed.sandbox_seed(reset=True)
        yield
        with transaction.atomic(using=SANDBOX_DB):
            seed.sandbox_wipe()


@pytest.fixture(autouse=True)
def _empty_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


def test_it_reads_users_roles_deleted_users_and_skus_of_a_customer() -> None:
    snapshot = snapshots.snapshot_load(
        pc=partner_center(), customer_id=str(seed.CUSTOM_DOMAIN_CUSTOMER_ID)
    )
    assert snapshot.company_name
    assert seed.CUSTOM_DOMAIN in snapshot.domains
    assert snapshot.initial_domain.endswith(".onmicrosoft.com")
    assert 20 <= len(snapshot.users) <= 60
    assert any(user.roles for user in snapshot.users)
    names = [user.display_name.casefold() for user in snapshot.users]
    assert names == sorted(names)
    assert snapshot.skus and all(sku.total >= sku.consumed for sku in snapshot.skus)
    assert {role.name for role in snapshot.roles} >= {"Global Administrator"}


def test_the_large_customer_yields_every_user_once_and_reports_progress() -> None:
    seen: list[int] = []
    snapshot = snapshots.snapshot_load(
        pc=partner_center(), customer_id=str(seed.LARGE_CUSTOMER_ID), on_progress=seen.append
    )
    assert len(snapshot.users) == seed.LARGE_CUSTOMER_ACTIVE_USERS == 5000
    assert len({user.id for user in snapshot.users}) == 5000
    assert seen == [500 * page for page in range(1, 11)]


def test_deleted_users_come_soonest_purge_first_with_whole_days_left() -> None:
    snapshot = snapshots.snapshot_load(pc=partner_center(), customer_id=str(_near_purge_customer()))
    assert [row.deleted_at for row in snapshot.deleted_users] == sorted(
        row.deleted_at for row in snapshot.deleted_users
    )
    near = snapshot.deleted_user_by_username(seed.NEAR_PURGE_USERNAME)
    assert near is not None
    assert near.days_left(datetime.now(UTC)) == 0
    assert snapshot.deleted_user_by_username(seed.PAST_RETENTION_USERNAME) is None


def test_days_left_are_counted_in_utc_and_rounded_down() -> None:
    row = snapshots.DeletedUserRow("id", "a@b.c", "A", datetime(2026, 1, 1, 12, tzinfo=UTC))
    assert row.purge_at == datetime(2026, 1, 31, 12, tzinfo=UTC)
    assert row.days_left(datetime(2026, 1, 30, 12, 0, 1, tzinfo=UTC)) == 0
    assert row.days_left(datetime(2026, 1, 30, 11, 59, 59, tzinfo=UTC)) == 1
    assert row.days_left(datetime(2026, 1, 1, 12, tzinfo=UTC)) == 30
    assert row.days_left(datetime(2026, 2, 5, tzinfo=UTC)) == 0


def test_a_stored_snapshot_is_served_from_the_cache_until_dropped() -> None:
    customer_id = str(seed.CUSTOM_DOMAIN_CUSTOMER_ID)
    assert snapshots.snapshot_get(customer_id=customer_id) is None
    loaded = snapshots.snapshot_load(pc=partner_center(), customer_id=customer_id)
    snapshots.snapshot_store(loaded)
    cached = snapshots.snapshot_get(customer_id=customer_id)
    assert cached == loaded
    assert cached is not None
    assert cached.user_by_username(loaded.users[0].user_principal_name.upper()) == loaded.users[0]
    snapshots.snapshot_drop(customer_id=customer_id)
    assert snapshots.snapshot_get(customer_id=customer_id) is None


def test_a_customer_without_delegated_access_raises_forbidden() -> None:
    with pytest.raises(Forbidden):
        snapshots.snapshot_load(pc=partner_center(), customer_id=str(seed.NO_ACCESS_CUSTOMER_ID))


def test_a_failed_background_load_is_recorded_with_its_correlation_id() -> None:
    customer_id = str(seed.NO_ACCESS_CUSTOMER_ID)
    assert snapshots.load_claim(customer_id=customer_id)
    assert not snapshots.load_claim(customer_id=customer_id)  # one load at a time
    with pytest.raises(Forbidden):
        snapshots.snapshot_load_in_background(pc=partner_center(), customer_id=customer_id)
    progress = snapshots.progress_get(customer_id=customer_id)
    assert progress is not None
    assert progress.state == "failed"
    assert "delegated" in progress.error
    assert progress.correlation_id
    assert snapshots.load_claim(customer_id=customer_id)  # a failed load may be retried


def test_with_user_adds_a_restored_user_and_removes_it_from_the_deleted() -> None:
    snapshot = snapshots.snapshot_load(pc=partner_center(), customer_id=str(_near_purge_customer()))
    deleted = snapshot.deleted_user_by_username(seed.NEAR_PURGE_USERNAME)
    assert deleted is not None
    row = snapshots.UserRow(deleted.id, deleted.user_principal_name, deleted.display_name)
    changed = snapshots.with_user(snapshot, row)
    assert changed.user_by_username(seed.NEAR_PURGE_USERNAME) == row
    assert changed.deleted_user_by_username(seed.NEAR_PURGE_USERNAME) is None
    assert len(changed.users) == len(snapshot.users) + 1
    assert snapshot.age(snapshot.loaded_at + timedelta(minutes=2)) == timedelta(minutes=2)


def _near_purge_customer() -> str:
    return str(CustomerUser.objects.get(pk=seed.NEAR_PURGE_USER_ID).customer_id)
