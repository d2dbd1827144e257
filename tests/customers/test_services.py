"""The customers services on the directory: the customers list read once and then served from
the database, opening a customer (a sync asked for, run by the worker), the dashboard's username
lookup."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests
from django.core.cache import cache
from django.tasks import task_backends
from django.tasks.backends.dummy import DummyBackend
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries
from pytest_django.fixtures import Settings

from customers import services
from customers.directory.background import sync_customers_task
from customers.directory.customer_queries import customers_matching
from customers.directory.models import DirectoryCustomer
from portal.partnercenter import PartnerCenterClient, SandboxTokenProvider
from portal.partnercenter.transport import SANDBOX_API_ROOT, sandbox_session
from portal.sandbox import seed_plan
from tests.directory_data import synced

pytestmark = [
    pytest.mark.django_db(databases=["default", "sandbox"]),
    pytest.mark.usefixtures("seeded_sandbox"),
]


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


@pytest.fixture
def counting() -> CountingClient:
    return CountingClient()


def test_the_customers_list_is_read_once_then_served_from_the_directory(
    counting: CountingClient,
) -> None:
    services.customers_ensure(pc=counting.pc)
    rows = list(customers_matching(""))
    assert len(rows) == len(seed_plan.CUSTOMERS)
    assert [row.name_key for row in rows] == sorted(row.name_key for row in rows)
    calls = len(counting.calls)
    services.customers_ensure(pc=counting.pc)
    assert len(counting.calls) == calls


def test_customer_search_matches_a_substring_of_name_or_any_domain_in_any_case(
    counting: CountingClient,
) -> None:
    services.customers_ensure(pc=counting.pc)
    sample = next(row for row in customers_matching("") if row.domain)
    assert sample in customers_matching(sample.company_name[1:4].upper())
    assert sample in customers_matching(sample.domain.split(".")[0][-3:])
    assert list(customers_matching("  ")) == list(customers_matching(""))
    assert not customers_matching("no such company").exists()
    # Accents do not matter either way.
    assert [row.company_name for row in customers_matching("bjorkdal")] == ["Björkdal Bygg AB"]


def test_a_customer_that_disappears_from_partner_center_is_forgotten(
    counting: CountingClient,
) -> None:
    contoso = synced(str(seed_plan.CUSTOM_DOMAIN_CUSTOMER_ID))
    assert contoso.users.exists()
    from portal.sandbox.models import Customer

    Customer.objects.filter(pk=seed_plan.CUSTOM_DOMAIN_CUSTOMER_ID).update(
        company_name="Zzz renamed"
    )
    Customer.objects.filter(pk=seed_plan.NEARLY_FULL_SKU_CUSTOMER_ID).delete()
    services.customers_refresh(pc=counting.pc)
    assert not DirectoryCustomer.objects.filter(
        tenant_id=str(seed_plan.NEARLY_FULL_SKU_CUSTOMER_ID)
    ).exists()
    contoso.refresh_from_db()
    assert contoso.company_name == "Zzz renamed"
    assert contoso.users.exists()  # kept: still the partner's


def test_a_customer_listed_within_the_ttl_opens_with_one_query_and_no_call(
    counting: CountingClient, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    services.customers_ensure(pc=counting.pc)
    calls = len(counting.calls)
    with django_assert_num_queries(1):  # its own row says the list is fresh
        customer = services.customer_open(
            pc=counting.pc, customer_id=str(seed_plan.CUSTOM_DOMAIN_CUSTOMER_ID)
        )
    assert customer is not None and customer.company_name == "Contoso Ltd"
    assert len(counting.calls) == calls


def test_a_customer_listed_longer_ago_than_the_ttl_opens_and_asks_for_the_list_again(
    counting: CountingClient, no_directory_worker: None, settings: Settings
) -> None:
    cache.clear()  # no customers list read "on its way" from another test
    services.customers_ensure(pc=counting.pc)
    old = timezone.now() - timedelta(seconds=settings.PORTAL_DIRECTORY_TTL + 60)
    DirectoryCustomer.objects.update(listed_at=old)
    calls = len(counting.calls)
    customer = services.customer_open(
        pc=counting.pc, customer_id=str(seed_plan.CUSTOM_DOMAIN_CUSTOMER_ID)
    )
    assert customer is not None and customer.company_name == "Contoso Ltd"
    assert len(counting.calls) == calls  # shown from the directory; read in the background
    backend = task_backends[sync_customers_task.backend]
    assert isinstance(backend, DummyBackend)
    assert [result.task.name for result in backend.results] == ["sync_customers_task"]


def test_opening_a_customer_never_read_queues_one_sync_a_worker_runs(
    counting: CountingClient, no_directory_worker: None
) -> None:
    customer = services.customer_open(pc=counting.pc, customer_id=str(seed_plan.LARGE_CUSTOMER_ID))
    assert customer is not None and not customer.mirror.mirrored
    services.customer_users_open(customer.mirror)
    services.customer_users_open(customer.mirror)  # looked at twice: still one sync queued
    backend = task_backends["directory"]
    assert isinstance(backend, DummyBackend)  # no_directory_worker: queued, never run
    queued = backend.results
    assert [result.args for result in queued] == [[str(seed_plan.LARGE_CUSTOMER_ID), False]]
    assert customer.mirror.sync_state == DirectoryCustomer.SYNC_QUEUED
    from customers.directory.background import sync_customer_task

    sync_customer_task.call(*queued[0].args)
    customer.mirror.refresh_from_db()
    assert customer.mirror.mirrored and customer.mirror.users_count == 5000


def test_refresh_reads_the_customer_again(counting: CountingClient) -> None:
    customer = services.customer_open(
        pc=counting.pc, customer_id=str(seed_plan.CUSTOM_DOMAIN_CUSTOMER_ID)
    )
    assert customer is not None
    services.customer_users_open(customer.mirror)
    first = customer.mirror.synced_at
    assert first is not None
    assert services.customer_users_refresh(customer.mirror)
    customer.mirror.refresh_from_db()
    assert customer.mirror.synced_at is not None and customer.mirror.synced_at > first


def test_a_username_leads_to_its_customer_and_user_in_any_case() -> None:
    customer = synced(str(seed_plan.CUSTOM_DOMAIN_CUSTOMER_ID))
    user = customer.users.filter(state="active").order_by("display_key").first()
    assert user is not None
    found = services.user_lookup(username=user.user_principal_name.upper())
    assert found == services.UserLookup(customer.tenant_id, user.user_id)


def test_an_unknown_username_lands_on_the_customer_and_an_unknown_domain_nowhere() -> None:
    customer = synced(str(seed_plan.CUSTOM_DOMAIN_CUSTOMER_ID))
    found = services.user_lookup(username=f"nobody@{seed_plan.CUSTOM_DOMAIN}")
    assert found == services.UserLookup(customer.tenant_id, None)
    assert services.user_lookup(username="someone@unknown.example") is None
    assert services.user_lookup(username="not-a-username") is None
