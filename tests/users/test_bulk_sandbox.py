"""Bulk validation against a real mirror, synced from the seeded sandbox through the SDK."""

from __future__ import annotations

import pytest

from customers.directory.models import DirectoryUser
from customers.directory.user_queries import users_of
from portal.sandbox import seed_plan
from tests.directory_data import synced
from tests.users.bulk_support import HEADER, csv_data
from users.bulk.rules import RETENTION
from users.bulk.services import bulk_upload_validate

pytestmark = [
    pytest.mark.django_db(databases=["default", "sandbox"]),
    pytest.mark.usefixtures("seeded_sandbox", "empty_cache"),
]


def test_the_mirror_decides_taken_deleted_and_free_usernames() -> None:
    customer = synced(str(seed_plan.CUSTOM_DOMAIN_CUSTOMER_ID))
    active = users_of(customer).order_by("display_key")[0]
    taken = set(users_of(customer).values_list("upn_key", flat=True))
    deleted = next(
        row
        for row in users_of(customer, state=DirectoryUser.DELETED).order_by("deleted_at")
        if row.upn_key not in taken
    )
    data = csv_data(
        HEADER,
        f"New,Person,New Person,new.person@{seed_plan.CUSTOM_DOMAIN.upper()},",
        f"Again,Taken,Again Taken,{active.user_principal_name.upper()},",
        f"Again,Deleted,Again Deleted,{deleted.user_principal_name},",
        f"On,Initial,On Initial,on.initial@{customer.domain},",
    )
    validation = bulk_upload_validate(customer=customer, file_name="users.csv", data=data)
    assert [row.ok for row in validation.rows] == [True, False, True, True]
    assert validation.rows[1].errors["email"] == (
        f"Email '{active.user_principal_name.upper()}' is already the username of "
        f"{active.display_name}, an active user of this customer. Choose another username.",
    )
    (warning,) = validation.rows[2].warnings["email"]
    assert deleted.deleted_at is not None
    assert warning.startswith(
        f"Email '{deleted.user_principal_name}' is the username of {deleted.display_name}, "
        f"deleted on {deleted.deleted_at:%Y-%m-%d} and restorable until "
        f"{deleted.deleted_at + RETENTION:%Y-%m-%d}."
    )
