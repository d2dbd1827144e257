"""Realistic demo data for the sandbox (`manage.py sandbox_seed`): filling, topping up and wiping.

Deterministic: the rows (built in `seed_rows.py`) come from a fixed random generator and ids
derived with `uuid5` from a fixed namespace, so every run (and every developer's machine) has the
same customers, users and ids, and tests find the special cases by the constants of
`seed_plan.py`. Times are relative to `clock.now()`, so a fresh seed
always has a user a day away from purge, whenever it runs.

Everything is written with `bulk_create` in one transaction on the sandbox's database: a second
process never sees half a seed, and 5,000 users take well under a second to insert.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import connections, transaction

from portal.routers import SANDBOX_DB
from portal.sandbox import clock
from portal.sandbox.models import (
    Customer,
    CustomerUser,
    DirectoryRole,
    Domain,
    IdempotentResponse,
    LicenseAssignment,
    RoleMember,
    SubscribedSku,
    ThrottleBucket,
)
from portal.sandbox.seed_plan import CustomerPlan, stable_id
from portal.sandbox.seed_rows import build_plan_rows, build_rows

__all__ = ["SeedResult", "sandbox_seed", "sandbox_seed_more", "sandbox_wipe"]


@dataclass(frozen=True)
class SeedResult:
    seeded: bool  # False: the sandbox already had data and nothing changed
    customers: int
    active_users: int
    deleted_users: int
    seconds: float


def sandbox_wipe() -> None:
    """Delete every customer and what hangs off it, and the idempotency and throttle state.

    Fault settings stay: they are an operator's configuration, not data
    (`manage.py sandbox_faults --reset` resets them). Children first, each table with one plain
    DELETE: a queryset's `delete()` would load every row and look for its children first
    (seconds for the demo data), though there are none left to find.
    """
    connection = connections[SANDBOX_DB]
    with connection.cursor() as cursor:
        for model in (
            LicenseAssignment,
            RoleMember,
            SubscribedSku,
            DirectoryRole,
            CustomerUser,
            Domain,
            Customer,
            IdempotentResponse,
            ThrottleBucket,
        ):
            table = connection.ops.quote_name(model._meta.db_table)  # a model's, not input
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608


def _counts() -> tuple[int, int, int]:
    users = CustomerUser.objects.all()
    return (
        Customer.objects.count(),
        users.filter(state=CustomerUser.ACTIVE).count(),
        users.filter(state=CustomerUser.INACTIVE).count(),
    )


def sandbox_seed_more(plans: Sequence[CustomerPlan]) -> SeedResult:
    """Add the customers of `plans` that the sandbox does not have yet (the scale seeds: one
    large customer, or many more), each in its own transaction."""
    started = time.perf_counter()
    seeded = False
    for plan in plans:
        if Customer.objects.filter(pk=stable_id("customer", plan.key)).exists():
            continue
        with transaction.atomic(using=SANDBOX_DB):
            build_plan_rows([plan], clock.now()).save()
        seeded = True
    return SeedResult(seeded, *_counts(), seconds=time.perf_counter() - started)


def sandbox_seed(*, reset: bool = False) -> SeedResult:
    """Fill the sandbox with the demo data, unless it already has customers.

    With `reset`, wipe it first. One transaction: a concurrent reader sees the old data or the
    new, never a half-written seed.
    """
    started = time.perf_counter()
    with transaction.atomic(using=SANDBOX_DB):
        if reset:
            sandbox_wipe()
        elif Customer.objects.exists():
            return SeedResult(False, *_counts(), seconds=time.perf_counter() - started)
        build_rows(clock.now()).save()
        counts = _counts()
    return SeedResult(True, *counts, seconds=time.perf_counter() - started)
