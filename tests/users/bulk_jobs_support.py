"""What the bulk job tests start from: a sandbox customer, its mirror, a saved draft."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.utils import timezone
from pytest_django.fixtures import Settings

from customers.directory.models import DirectoryCustomer
from portal.audit.records import Actor
from portal.sandbox.models import Customer, CustomerUser, FaultSettings
from tests.directory_data import synced
from tests.sandbox_data import BUSINESS_BASIC, OFFICE_E3, make_customer, make_sku, make_user
from users.bulk.jobs import bulk_job_create
from users.bulk.models import BulkJob, BulkRow
from users.bulk.worker import bulk_job_run
from users.models import BulkDraft

DOMAIN = "contoso.com"


@pytest.fixture
def no_worker(settings: Settings) -> Iterator[None]:
    """Nothing runs by itself (the Dummy task backend): a test runs a job's task body when it
    means to; and a cold cache before and after. Modules use it with
    `pytest.mark.usefixtures("no_worker")` after importing it."""
    settings.TASKS = {
        **settings.TASKS,
        "default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"},
    }
    cache.clear()
    yield
    cache.clear()


T0 = datetime(2026, 11, 28, 9, tzinfo=UTC)


@dataclass
class Scene:
    customer: Customer
    mirror: DirectoryCustomer
    staff: User

    @property
    def customer_id(self) -> str:
        return str(self.customer.id)

    @property
    def actor(self) -> Actor:
        return Actor.for_command(self.staff)


def make_scene(staff: User, *, basic_seats: int = 50, e3_seats: int = 1) -> Scene:
    customer = make_customer("Contoso", "contoso.onmicrosoft.com", custom_domain=DOMAIN)
    make_sku(
        customer,
        BUSINESS_BASIC,
        "Microsoft 365 Business Basic",
        "O365_BUSINESS_ESSENTIALS",
        basic_seats,
    )
    make_sku(customer, OFFICE_E3, "Office 365 E3", "ENTERPRISEPACK", e3_seats)
    make_user(customer, "alice", "Alice Admin", usage_location="US")
    return Scene(customer, synced(str(customer.id)), staff)


@pytest.fixture
def scene(admin_agent: User) -> Scene:
    """Contoso in the sandbox with its mirror, and Amara (an Admin agent) saving the jobs."""
    return make_scene(admin_agent)


def believe_seats_left(scene: Scene, seats: int) -> None:
    """Make the mirror say every license has `seats` left (as an old mirror would)."""
    scene.mirror.skus.update(available=seats)


def draft_rows(count: int, *, start: int = 0) -> list[dict[str, Any]]:
    return [
        {
            "row": number + 2,
            "first_name": f"First{number}",
            "last_name": f"Last{number}",
            "display_name": f"First{number} Last{number}",
            "email": f"user{number}@{DOMAIN}",
        }
        for number in range(start, start + count)
    ]


def make_draft(scene: Scene, rows: list[dict[str, Any]] | int = 3) -> BulkDraft:
    now = timezone.now()
    return BulkDraft.objects.create(
        created_by=scene.staff,
        customer_id=scene.customer_id,
        file_name="new-staff.csv",
        rows=draft_rows(rows) if isinstance(rows, int) else rows,
        created_at=now,
        expires_at=now + timedelta(days=1),
    )


def save_job(
    scene: Scene,
    rows: list[dict[str, Any]] | int = 3,
    *,
    sku_ids: tuple[str, ...] = (),
    ticket: str = "INC-7",
) -> BulkJob:
    return bulk_job_create(
        draft=make_draft(scene, rows),
        customer=scene.mirror,
        usage_location="GB",
        sku_ids=sku_ids,
        actor=scene.actor,
        ticket=ticket,
    )


def faults(**values: Any) -> FaultSettings:
    settings = FaultSettings.current()
    for name, value in values.items():
        setattr(settings, name, value)
    settings.save()
    return settings


def sandbox_users(scene: Scene, email: str) -> list[CustomerUser]:
    """Every user (active or deleted) of the customer with this username, any case."""
    return list(
        CustomerUser.objects.filter(customer=scene.customer, user_principal_name__iexact=email)
    )


def squat(scene: Scene, email: str, display_name: str) -> CustomerUser:
    """Someone else's active user with this username."""
    now = timezone.now()
    return CustomerUser.objects.create(
        customer=scene.customer,
        user_principal_name=email,
        display_name=display_name,
        password_last_set_at=now,
        created_at=now,
    )


def states(job: BulkJob) -> dict[int, str]:
    return dict(BulkRow.objects.filter(job=job).values_list("number", "state"))


class Clock:
    """An injectable clock that moves only when told."""

    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def new_owner() -> str:
    return f"test-worker-{uuid.uuid4().hex[:6]}"


def run(job: BulkJob) -> BulkJob:
    """Run the job's task body here, one row at a time, and read the job back."""
    bulk_job_run(job_id=job.pk, concurrency=1)
    job.refresh_from_db()
    return job
