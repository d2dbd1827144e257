"""The SDK under the sandbox's injected faults, and paging through a 5,000-user customer.

Run in-process and over HTTP, like the rest of the contract suite; no test waits for real time
(the client's sleep and clock are fakes).
"""

from __future__ import annotations

import logging
import re
import uuid
from collections import Counter

import pytest
from django.utils import timezone

from portal.partnercenter import (
    CustomerUser,
    PartnerCenterClient,
    PasswordProfile,
    Throttled,
    Unavailable,
)
from portal.partnercenter.operations import UserCollection
from portal.sandbox import models as sandbox
from portal.sandbox.models import FaultSettings
from tests.partnercenter.conftest import (
    PASSWORD,
    FakeTime,
    World,
    contract,
    contract_client,
    make_customer,
)

pytestmark = contract

USERS_TO_CREATE = 100
BIG_CUSTOMER_USERS = 5000


def test_100_creates_under_faults_end_with_exactly_100_users(
    api_root: str,
    world: World,
    faults: FaultSettings,
    fake_time: FakeTime,
    caplog: pytest.LogCaptureFixture,
) -> None:
    faults.error_rate = 0.2
    faults.throttle_rate = 0.1
    faults.lost_response_rate = 0.1
    faults.random_seed = 20261128
    faults.save()
    # Two attempts per call, so that calls regularly exhaust their retries and are re-driven.
    pc = contract_client(api_root, fake_time, max_attempts=2)
    users = pc.customers.by_id(world.cid).users
    redriven = 0

    with caplog.at_level(logging.DEBUG, logger="portal.partnercenter"):
        for number in range(USERS_TO_CREATE):
            redriven += create_load_user(users, number)

    faults.error_rate = faults.throttle_rate = faults.lost_response_rate = 0.0
    faults.save()
    stored = sandbox.CustomerUser.objects.filter(
        customer=world.contoso, user_principal_name__startswith="load"
    )
    names = Counter(stored.values_list("user_principal_name", flat=True))
    assert len(names) == USERS_TO_CREATE
    assert max(names.values()) == 1
    listed = [user.user_principal_name or "" for user in users.iter_all()]
    assert len([name for name in listed if name.startswith("load")]) == USERS_TO_CREATE
    # Every kind of fault really happened, and some calls exhausted their retries.
    statuses = Counter(re.findall(r"-> (\d{3}) ", caplog.text))
    assert statuses["429"] and statuses["504"] and statuses["500"] + statuses["503"]
    assert redriven > 0


def create_load_user(users: UserCollection, number: int) -> int:
    """Create user `number` as the bulk worker would; how many times the call was re-driven."""
    redriven = 0
    user = CustomerUser(
        user_principal_name=f"load{number:03}@contoso.onmicrosoft.com",
        display_name=f"Load {number}",
        password_profile=PasswordProfile(PASSWORD, force_change_password=True),
    )
    request_id = str(uuid.uuid4())
    # As the bulk worker does: a call that exhausted its retries is re-driven with the
    # same request id until it gets a definite answer.
    for _ in range(20):
        try:
            users.create(user, request_id=request_id)
            break
        except (Unavailable, Throttled) as error:
            assert error.request_id == request_id
            if isinstance(error, Unavailable):
                assert error.outcome_unknown
            redriven += 1
    else:
        pytest.fail(f"user {number} was never created")
    return redriven


@pytest.fixture
def big_customer() -> sandbox.Customer:
    customer = make_customer("Big Corp", "bigcorp.onmicrosoft.com")
    now = timezone.now()
    sandbox.CustomerUser.objects.bulk_create(
        [
            sandbox.CustomerUser(
                customer=customer,
                user_principal_name=f"user{number:04}@bigcorp.onmicrosoft.com",
                # Many equal display names: paging must not lose or repeat users that tie.
                display_name=f"Staff {number % 37}",
                password_last_set_at=now,
                created_at=now,
            )
            for number in range(BIG_CUSTOMER_USERS)
        ],
        batch_size=1000,
    )
    return customer


@pytest.mark.parametrize("next_link_with_v1", [False, True], ids=["no-v1", "with-v1"])
def test_paging_5000_users_at_500_a_page_yields_each_exactly_once(
    pc: PartnerCenterClient,
    big_customer: sandbox.Customer,
    faults: FaultSettings,
    next_link_with_v1: bool,
) -> None:
    faults.next_link_with_v1 = next_link_with_v1
    faults.save()
    users = pc.customers.by_id(str(big_customer.id)).users

    first = users.list(size=500)
    everyone = [user.id for user in users.iter_all(size=500)]

    assert first.next_link is not None
    assert first.next_link.uri.startswith("/v1/") is next_link_with_v1
    assert len(first.items) == 500
    assert len(everyone) == BIG_CUSTOMER_USERS
    assert len(set(everyone)) == BIG_CUSTOMER_USERS
    expected = {str(pk) for pk in big_customer.users.values_list("id", flat=True)}
    assert set(everyone) == expected
