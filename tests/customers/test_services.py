"""The customers list, search, the dashboard's username lookup and opening a users snapshot."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from django.core.cache import cache
from django.db import transaction
from django.tasks import default_task_backend
from pytest_django import DjangoDbBlocker
from pytest_django.fixtures import Settings

from customers import services, snapshots
from customers.tasks import load_customer_snapshot
from portal.partnercenter import PartnerCenterClient, SandboxTokenProvider
from portal.partnercenter.transport import SANDBOX_API_ROOT, sandbox_session
from portal.routers import SANDBOX_DB
from portal.sandbox import seed

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])


class CountingClient:
    """A sandbox client that counts the Partner Center calls it makes."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        session = sandbox_session()
        session.hooks["response"].append(self._count)
        self.pc = PartnerCenterClient(
            api_root=SANDBOX_API_ROOT, token_provider=SandboxTokenProvider(), session=session
        )

    def _count(self, response: requests.Response, *args: object, **kwargs: object) -> None:
        self.calls.append(f"{response.request.method} {response.request.path_url}")


@pytest.fixture(scope="module", autouse=True)
def _seeded(django_db_setup: None, django_db_blocker: DjangoDbBlocker) -> Iterator[None]:
    with django_db_blocker.unblock():
        seed.sandbox_seed(reset=True)
        yield
        with transaction.atomic(using=SANDBOX_DB):
            seed.sandbox_wipe()


@pytest.fixture(autouse=True)
def _empty_cache(settings: Settings) -> Iterator[None]:
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def counting() -> CountingClient:
    return CountingClient()


def test_the_customers_list_is_read_once_then_served_from_the_cache(
    counting: CountingClient,
) -> None:
    first = services.customer_list(pc=counting.pc)
    assert len(first) == len(seed.CUSTOMERS)
    assert [row.company_name.casefold() for row in first] == sorted(
        row.company_name.casefold() for row in first
    )
    calls = len(counting.calls)
    assert services.customer_list(pc=counting.pc) == first
    assert len(counting.calls) == calls


def test_customer_search_matches_a_substring_of_name_or_domain_in_any_case(
    counting: CountingClient,
) -> None:
    everyone = services.customer_list(pc=counting.pc)
    sample = everyone[0]
    by_name = services.customer_search(pc=counting.pc, query=sample.company_name[1:4].upper())
    assert sample in by_name
    by_domain = services.customer_search(pc=counting.pc, query=sample.domain.split(".")[0][-3:])
    assert sample in by_domain
    assert services.customer_search(pc=counting.pc, query="  ") == everyone
    assert services.customer_search(pc=counting.pc, query="no such company") == []


def test_a_small_customer_is_read_inside_the_request(counting: CountingClient) -> None:
    customer_id = str(seed.CUSTOM_DOMAIN_CUSTOMER_ID)
    state = services.users_snapshot_open(pc=counting.pc, customer_id=customer_id)
    assert isinstance(state, snapshots.CustomerSnapshot)
    calls = len(counting.calls)
    assert services.users_snapshot_open(pc=counting.pc, customer_id=customer_id) == state
    assert len(counting.calls) == calls  # warm: no Partner Center call


def test_a_large_customer_is_read_by_one_background_task(counting: CountingClient) -> None:
    customer_id = str(seed.LARGE_CUSTOMER_ID)
    state = services.users_snapshot_open(pc=counting.pc, customer_id=customer_id)
    assert isinstance(state, snapshots.LoadProgress)
    assert state.state == "loading"
    again = services.users_snapshot_open(pc=counting.pc, customer_id=customer_id)
    assert isinstance(again, snapshots.LoadProgress)
    enqueued = default_task_backend.results  # type: ignore[attr-defined]
    assert [result.args for result in enqueued] == [[customer_id]]
    load_customer_snapshot.call(customer_id)
    loaded = services.users_snapshot_open(pc=counting.pc, customer_id=customer_id)
    assert isinstance(loaded, snapshots.CustomerSnapshot)
    assert len(loaded.users) == 5000


def test_refresh_drops_the_snapshot(counting: CountingClient) -> None:
    customer_id = str(seed.CUSTOM_DOMAIN_CUSTOMER_ID)
    services.users_snapshot_open(pc=counting.pc, customer_id=customer_id)
    services.users_snapshot_refresh(customer_id=customer_id)
    assert snapshots.snapshot_get(customer_id=customer_id) is None


def test_a_username_leads_to_its_customer_and_user_in_any_case(
    counting: CountingClient,
) -> None:
    customer_id = str(seed.CUSTOM_DOMAIN_CUSTOMER_ID)
    snapshot = services.users_snapshot_open(pc=counting.pc, customer_id=customer_id)
    assert isinstance(snapshot, snapshots.CustomerSnapshot)
    user = snapshot.users[0]
    found = services.user_lookup(pc=counting.pc, username=user.user_principal_name.upper())
    assert found == services.UserLookup(customer_id, user.id)


def test_an_unknown_username_lands_on_the_customer_and_an_unknown_domain_nowhere(
    counting: CountingClient,
) -> None:
    customer_id = str(seed.CUSTOM_DOMAIN_CUSTOMER_ID)
    found = services.user_lookup(pc=counting.pc, username=f"nobody@{seed.CUSTOM_DOMAIN}")
    assert found == services.UserLookup(customer_id, None)
    assert services.user_lookup(pc=counting.pc, username="someone@unknown.example") is None
    assert services.user_lookup(pc=counting.pc, username="not-a-username") is None
