"""Bulk validation against a real snapshot, read from the seeded sandbox through the SDK."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import cache
from django.db import transaction
from pytest_django import DjangoDbBlocker

from customers.snapshots import snapshot_get, snapshot_load, snapshot_store
from portal.partnercenter import partner_center
from portal.routers import SANDBOX_DB
from portal.sandbox import seed
from tests.users.bulk_support import HEADER, csv_data
from users.bulk.services import bulk_upload_validate

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


def test_a_cached_snapshot_decides_taken_deleted_and_free_usernames() -> None:
    customer_id = str(seed.CUSTOM_DOMAIN_CUSTOMER_ID)
    snapshot_store(snapshot_load(pc=partner_center(), customer_id=customer_id))
    snapshot = snapshot_get(customer_id=customer_id)
    assert snapshot is not None
    active = snapshot.users[0]
    deleted = next(
        row
        for row in snapshot.deleted_users
        if snapshot.user_by_username(row.user_principal_name) is None
    )
    data = csv_data(
        HEADER,
        f"New,Person,New Person,new.person@{seed.CUSTOM_DOMAIN.upper()},",
        f"Again,Taken,Again Taken,{active.user_principal_name.upper()},",
        f"Again,Deleted,Again Deleted,{deleted.user_principal_name},",
        f"On,Initial,On Initial,on.initial@{snapshot.initial_domain},",
    )
    validation = bulk_upload_validate(snapshot=snapshot, file_name="users.csv", data=data)
    assert [row.ok for row in validation.rows] == [True, False, True, True]
    assert validation.rows[1].errors["email"] == (
        f"Email '{active.user_principal_name.upper()}' is already the username of "
        f"{active.display_name}, an active user of this customer. Choose another username.",
    )
    (warning,) = validation.rows[2].warnings["email"]
    assert warning.startswith(
        f"Email '{deleted.user_principal_name}' is the username of {deleted.display_name}, "
        f"deleted on {deleted.deleted_at:%Y-%m-%d} and restorable until "
        f"{deleted.purge_at:%Y-%m-%d}."
    )
