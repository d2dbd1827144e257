"""Fixtures for the SDK's tests: a fake clock and sleep, and clients over mocked HTTP."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
import requests
from django.utils import timezone

from portal.partnercenter import (
    WORKER_THROTTLE_WAIT_CAP,
    PartnerCenterClient,
    RetryPolicy,
    SandboxTokenProvider,
    TokenProvider,
)
from portal.partnercenter.transport import SANDBOX_API_ROOT, sandbox_session
from portal.sandbox import models as sandbox
from portal.sandbox.models import FaultSettings

API_ROOT = "https://pc.test/v1"


@dataclass
class FakeTime:
    """A clock that moves only when slept on, or when a test moves it."""

    now: float = 1000.0
    sleeps: list[float] = field(default_factory=list)

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class RecordingTokens:
    """A token provider that hands out numbered tokens and records forced refreshes."""

    def __init__(self) -> None:
        self.calls: list[bool] = []

    def access_token(self, *, force_refresh: bool = False) -> str:
        self.calls.append(force_refresh)
        return f"token-{len(self.calls)}"


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def tokens() -> RecordingTokens:
    return RecordingTokens()


def make_client(
    fake_time: FakeTime, tokens: RecordingTokens, *, throttle_wait_cap: float = 5.0
) -> PartnerCenterClient:
    return PartnerCenterClient(
        api_root=API_ROOT,
        token_provider=tokens,
        policy=RetryPolicy(
            throttle_wait_cap=throttle_wait_cap, sleep=fake_time.sleep, clock=fake_time.clock
        ),
        correlation_id="corr-1",
    )


@pytest.fixture
def client(fake_time: FakeTime, tokens: RecordingTokens) -> PartnerCenterClient:
    return make_client(fake_time, tokens)


# --- The contract suite: the same tests against the sandbox in-process and over real HTTP -------

IN_PROCESS = "in-process"
OVER_HTTP = "over-http"

GLOBAL_ADMIN = "62e90394-69f5-4237-9190-012177145e10"
USER_ADMIN = "fe930be7-5e62-47db-91af-98c3a49a38b1"
HELPDESK_ADMIN = "729827e3-9c14-49f7-bb1b-9608f156bbb8"
BUSINESS_BASIC = "3b555118-da6a-4418-894f-7df1e2096870"
OFFICE_E3 = "6fd2c87f-b296-42f0-b197-1e91e994b900"
PASSWORD = "Sandbox!Pass123"

contract = pytest.mark.django_db(databases=["default", "sandbox"], transaction=True)


@pytest.fixture(params=[IN_PROCESS, OVER_HTTP])
def api_root(request: pytest.FixtureRequest) -> str:
    """Where the client finds the sandbox: in this process, or through pytest-django's server."""
    if request.param == OVER_HTTP:
        live_server = request.getfixturevalue("live_server")
        return f"{live_server.url}/sandbox/v1"
    return SANDBOX_API_ROOT


def contract_client(
    api_root: str,
    fake_time: FakeTime,
    *,
    throttle_wait_cap: float = WORKER_THROTTLE_WAIT_CAP,
    token_provider: TokenProvider | None = None,
    max_attempts: int = 4,
) -> PartnerCenterClient:
    session = sandbox_session() if api_root == SANDBOX_API_ROOT else requests.Session()
    return PartnerCenterClient(
        api_root=api_root,
        token_provider=token_provider or SandboxTokenProvider(),
        session=session,
        policy=RetryPolicy(
            max_attempts=max_attempts,
            throttle_wait_cap=throttle_wait_cap,
            sleep=fake_time.sleep,
            clock=fake_time.clock,
        ),
    )


@pytest.fixture
def pc(api_root: str, fake_time: FakeTime) -> PartnerCenterClient:
    return contract_client(api_root, fake_time)


@pytest.fixture
def faults() -> FaultSettings:
    return FaultSettings.current()


@dataclass
class World:
    """A customer with domains, roles, SKUs and two users; and one the partner cannot reach."""

    contoso: sandbox.Customer
    alice: sandbox.CustomerUser  # a Global Administrator with a Business Basic licence
    bob: sandbox.CustomerUser
    no_access: sandbox.Customer

    @property
    def cid(self) -> str:
        return str(self.contoso.id)


def make_customer(name: str, domain: str, **fields: Any) -> sandbox.Customer:
    customer = sandbox.Customer.objects.create(
        company_name=name, created_at=timezone.now(), **fields
    )
    sandbox.Domain.objects.create(customer=customer, name=domain, is_initial=True)
    return customer


def make_user(
    customer: sandbox.Customer, alias: str, name: str, **fields: Any
) -> sandbox.CustomerUser:
    domain = customer.domains.get(is_initial=True).name
    now = timezone.now()
    return sandbox.CustomerUser.objects.create(
        customer=customer,
        user_principal_name=f"{alias}@{domain}",
        display_name=name,
        password_last_set_at=now,
        created_at=now,
        **fields,
    )


def soft_delete(user: sandbox.CustomerUser, *, days_ago: float) -> None:
    user.state = sandbox.CustomerUser.INACTIVE
    user.soft_deletion_time = timezone.now() - timedelta(days=days_ago)
    user.save()


@pytest.fixture
def world() -> World:
    contoso = make_customer("Contoso Ltd", "contoso.onmicrosoft.com", email="it@contoso.com")
    sandbox.Domain.objects.create(customer=contoso, name="contoso.com")
    alice = make_user(contoso, "alice", "Alice Admin", first_name="Alice", usage_location="US")
    bob = make_user(contoso, "bob", "Bob Builder", usage_location="GB")
    roles = {
        role_id: sandbox.DirectoryRole.objects.create(customer=contoso, role_id=role_id, name=name)
        for role_id, name in [
            (GLOBAL_ADMIN, "Global Administrator"),
            (USER_ADMIN, "User Administrator"),
            (HELPDESK_ADMIN, "Helpdesk Administrator"),
        ]
    }
    sandbox.RoleMember.objects.create(role=roles[GLOBAL_ADMIN], user=alice)
    basic = sandbox.SubscribedSku.objects.create(
        customer=contoso,
        sku_id=BUSINESS_BASIC,
        name="Microsoft 365 Business Basic",
        sku_part_number="O365_BUSINESS_ESSENTIALS",
        active_units=5,
        service_plans=[
            {
                "id": "9aaf7827-d63c-4b61-89c3-182f06f82e5c",
                "serviceName": "EXCHANGE_S_STANDARD",
                "displayName": "Exchange Online (Plan 1)",
            }
        ],
    )
    sandbox.SubscribedSku.objects.create(
        customer=contoso,
        sku_id=OFFICE_E3,
        name="Office 365 E3",
        sku_part_number="ENTERPRISEPACK",
        active_units=1,
    )
    sandbox.LicenseAssignment.objects.create(user=alice, sku=basic)
    no_access = make_customer(
        "Northwind Traders", "northwind.onmicrosoft.com", allow_delegated_access=False
    )
    return World(contoso=contoso, alice=alice, bob=bob, no_access=no_access)
