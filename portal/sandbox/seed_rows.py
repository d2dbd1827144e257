"""The sandbox's demo data as rows, built but not saved: each customer of the plan
(`seed_plan.py`) with its domains, users, roles and licences, and the special users the
lifecycle screens and tests look for.

Deterministic: a fixed random generator, and ids from `seed_plan.stable_id`/`user_id`, so the
same `now` gives the same rows on every run and every machine. Times are relative to `now`
(`clock.now()` when `seed.py` saves them), so a fresh seed always has a user a day away from
purge, whenever it runs.
"""

from __future__ import annotations

import random
import re
import unicodedata
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final

from django.db.models import Model

from portal.sandbox.models import (
    Customer,
    CustomerUser,
    DirectoryRole,
    Domain,
    LicenseAssignment,
    RoleMember,
    SubscribedSku,
)
from portal.sandbox.seed_catalog import (
    BUSINESS_BASIC,
    BUSINESS_PREMIUM,
    FIRST_NAMES,
    GLOBAL_ADMINISTRATOR,
    GLOBAL_READER,
    HELPDESK_ADMINISTRATOR,
    LAST_NAMES,
    OFFICE_365_E3,
    ROLES,
    SHARED_ACCOUNTS,
    USER_ADMINISTRATOR,
    Role,
    Sku,
)
from portal.sandbox.seed_plan import (
    CUSTOMERS,
    DELETED_ADMIN_AGE,
    DELETED_ADMIN_USERNAME,
    NEAR_PURGE_AGE,
    NEAR_PURGE_USERNAME,
    PAST_RETENTION_AGE,
    PAST_RETENTION_USERNAME,
    REUSED_ACTIVE_AGE,
    REUSED_DELETED_AGE,
    REUSED_USERNAME,
    SPECIAL_USERNAMES,
    CustomerPlan,
    initial_domain,
    stable_id,
    user_id,
)

RANDOM_SEED: Final = 20261128
BATCH_SIZE: Final = 1000

_PHONE_PREFIX = {"US": "+1 425 555", "GB": "+44 20 7946", "DE": "+49 30 9018", "SE": "+46 8 5551"}
_OTHER_LOCATIONS = ("US", "GB", "DE", "SE", "NL", "FR", "ES", "PL", "IN", "JP", "DK", "IE")
_TRANSLITERATION = str.maketrans(
    {"ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "ß": "ss", "ł": "l", "Ł": "L", "đ": "d", "œ": "oe"}
)


def username_alias(name: str) -> str:
    """A name as Entra admins usually write it in a username: ASCII, lower-case, no spaces."""
    decomposed = unicodedata.normalize("NFKD", name.translate(_TRANSLITERATION))
    plain = decomposed.encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9-]", "", plain)


@dataclass
class SeedRows:
    customers: list[Customer] = field(default_factory=list)
    domains: list[Domain] = field(default_factory=list)
    users: list[CustomerUser] = field(default_factory=list)
    roles: list[DirectoryRole] = field(default_factory=list)
    members: list[RoleMember] = field(default_factory=list)
    skus: list[SubscribedSku] = field(default_factory=list)
    licences: list[LicenseAssignment] = field(default_factory=list)

    def tables(self) -> list[tuple[type[Model], list[Any]]]:
        """Each model the seed writes with its rows, parents first: the roles', SKUs' and
        domains' auto ids are filled in by bulk_create (SQLite and PostgreSQL both return
        them), and their children refer to them."""
        return [
            (Customer, self.customers),
            (Domain, self.domains),
            (DirectoryRole, self.roles),
            (SubscribedSku, self.skus),
            (CustomerUser, self.users),
            (RoleMember, self.members),
            (LicenseAssignment, self.licences),
        ]

    def save(self) -> None:
        """Insert every row, in batches, in the caller's transaction."""
        for model, rows in self.tables():
            model._default_manager.bulk_create(rows, batch_size=BATCH_SIZE)


class _CustomerBuilder:
    """Builds one customer's rows; usernames are unique within the customer across states."""

    def __init__(
        self, plan: CustomerPlan, rng: random.Random, now: datetime, rows: SeedRows
    ) -> None:
        self.plan = plan
        self.rng = rng
        self.now = now
        self.rows = rows
        self.domain = initial_domain(plan.key)
        self.taken: set[str] = set(SPECIAL_USERNAMES)
        self.people: list[CustomerUser] = []  # active users with a person behind them
        self.customer = Customer(
            id=stable_id("customer", plan.key),
            commerce_id=stable_id("commerce", plan.key),
            company_name=plan.company_name,
            email=f"it@{plan.custom_domains[0] if plan.custom_domains else self.domain}",
            allow_delegated_access=plan.allow_delegated_access,
            created_at=now - timedelta(days=rng.randint(400, 3000)),
        )
        rows.customers.append(self.customer)
        rows.domains.append(Domain(customer=self.customer, name=self.domain, is_initial=True))
        rows.domains.extend(
            Domain(customer=self.customer, name=name.lower()) for name in plan.custom_domains
        )
        self.roles = {
            role.template_id: DirectoryRole(
                customer=self.customer, role_id=uuid.UUID(role.template_id), name=role.name
            )
            for role in ROLES
        }
        rows.roles.extend(self.roles.values())
        self.skus = {
            sku_plan.sku.sku_id: SubscribedSku(
                customer=self.customer,
                sku_id=uuid.UUID(sku_plan.sku.sku_id),
                name=sku_plan.sku.name,
                sku_part_number=sku_plan.sku.part_number,
                active_units=0,  # set by finish(), from the assignments
                service_plans=list(sku_plan.sku.service_plans),
            )
            for sku_plan in plan.skus
        }
        rows.skus.extend(self.skus.values())
        self.assigned = dict.fromkeys(self.skus, 0)

    # Users
    def username(self, alias: str) -> str:
        candidate, number = f"{alias}@{self.domain}", 1
        while candidate in self.taken:
            number += 1
            candidate = f"{alias}{number}@{self.domain}"
        self.taken.add(candidate)
        return candidate

    def add_user(
        self,
        *,
        username: str,
        first_name: str = "",
        last_name: str = "",
        display_name: str,
        deleted_ago: timedelta | None = None,
        created_ago: timedelta | None = None,
        usage_location: str | None = None,
    ) -> CustomerUser:
        rng, now = self.rng, self.now
        lifetime = (now - self.customer.created_at).days
        created_at = now - (
            created_ago or timedelta(days=rng.randint(2, lifetime), hours=rng.randint(0, 23))
        )
        if deleted_ago is not None and created_at >= now - deleted_ago:
            created_at = now - deleted_ago - timedelta(days=rng.randint(30, 400))
        last_use = now - deleted_ago if deleted_ago else now
        if created_ago is not None and created_ago < timedelta(days=7):
            password_last_set_at = created_at  # a new user who has not signed in yet
        else:
            password_last_set_at = created_at + (last_use - created_at) * rng.random()
        if usage_location is None:
            usage_location = (
                rng.choice(_OTHER_LOCATIONS) if rng.random() < 0.08 else self.plan.country
            )
        prefix = _PHONE_PREFIX.get(self.plan.country)
        state = CustomerUser.INACTIVE if deleted_ago is not None else CustomerUser.ACTIVE
        user = CustomerUser(
            id=user_id(username, state),
            customer=self.customer,
            user_principal_name=username,
            first_name=first_name,
            last_name=last_name,
            display_name=display_name,
            usage_location=usage_location,
            phone_number=f"{prefix} {rng.randint(0, 9999):04d}"
            if prefix and rng.random() < 0.3
            else "",
            state=state,
            soft_deletion_time=now - deleted_ago if deleted_ago is not None else None,
            password_last_set_at=password_last_set_at,
            force_change_password=password_last_set_at == created_at,
            created_at=created_at,
        )
        self.rows.users.append(user)
        return user

    def add_person(
        self, *, first: str = "", last: str = "", deleted_ago: timedelta | None = None
    ) -> CustomerUser:
        first = first or self.rng.choice(FIRST_NAMES)
        last = last or self.rng.choice(LAST_NAMES)
        username = self.username(f"{username_alias(first)}.{username_alias(last)}")
        user = self.add_user(
            username=username,
            first_name=first,
            last_name=last,
            display_name=f"{first} {last}",
            deleted_ago=deleted_ago,
        )
        self.license_at_random(user)
        if deleted_ago is None:
            self.people.append(user)
        return user

    # Roles and licences
    def grant(self, user: CustomerUser, role: Role) -> None:
        self.rows.members.append(RoleMember(role=self.roles[role.template_id], user=user))

    def license(self, user: CustomerUser, sku: Sku) -> None:
        self.rows.licences.append(LicenseAssignment(user=user, sku=self.skus[sku.sku_id]))
        self.assigned[sku.sku_id] += 1

    def license_at_random(self, user: CustomerUser) -> None:
        draw, threshold = self.rng.random(), 0.0
        for sku_plan in self.plan.skus:
            threshold += sku_plan.share
            if draw < threshold:
                # A deleted user never holds a seat of a nearly full SKU, so "one seat left"
                # holds whether consumed seats count deleted users' licences or not.
                if user.state == CustomerUser.INACTIVE and sku_plan.spare_seats <= 1:
                    return
                if not user.usage_location:
                    user.usage_location = self.plan.country  # Entra licenses only located users
                self.license(user, sku_plan.sku)
                return

    def build(self) -> None:
        plan, rng = self.plan, self.rng
        shared = SHARED_ACCOUNTS[: 2 + len(plan.key) % 3]
        for alias, display_name in shared:
            # Shared mailboxes need no licence and often have no usage location.
            self.add_user(
                username=self.username(alias),
                display_name=display_name,
                usage_location="" if rng.random() < 0.5 else plan.country,
            )
        for _ in range(plan.active_users - len(shared)):
            self.add_person()
        for role, count in plan.admins:
            for user in rng.sample(self.people, count):
                self.grant(user, role)
        for _ in range(plan.deleted_users):
            self.add_person(
                deleted_ago=timedelta(days=rng.randint(1, 20), hours=rng.randint(0, 23))
            )

    def finish(self) -> None:
        for sku_plan in self.plan.skus:
            sku = self.skus[sku_plan.sku.sku_id]
            sku.active_units = self.assigned[sku_plan.sku.sku_id] + sku_plan.spare_seats


def _add_special_users(builders: dict[str, _CustomerBuilder]) -> None:
    """The cases the lifecycle screens and tests need, at fixed usernames and ages."""
    # In this order: the builders share one random generator.
    _add_retention_cases(builders)
    _add_admin_cases(builders)


def _add_retention_cases(builders: dict[str, _CustomerBuilder]) -> None:
    """Deleted users near and past the purge, and a username deleted then given out again."""
    contoso = builders["contoso"]
    contoso.add_user(
        username=NEAR_PURGE_USERNAME,
        first_name="Megan",
        last_name="Bowen",
        display_name="Megan Bowen",
        deleted_ago=NEAR_PURGE_AGE,
    )
    deleted = contoso.add_user(
        username=REUSED_USERNAME,
        first_name="Alex",
        last_name="Wilber",
        display_name="Alex Wilber",
        deleted_ago=REUSED_DELETED_AGE,
    )
    contoso.license(deleted, BUSINESS_PREMIUM)
    successor = contoso.add_user(
        username=REUSED_USERNAME,
        first_name="Alex",
        last_name="Wilber",
        display_name="Alex Wilber (Sales)",
        created_ago=REUSED_ACTIVE_AGE,
    )
    contoso.license(successor, BUSINESS_PREMIUM)

    northwind = builders["northwindtraders"]
    past = northwind.add_user(
        username=PAST_RETENTION_USERNAME,
        first_name="Lynne",
        last_name="Robbins",
        display_name="Lynne Robbins",
        deleted_ago=PAST_RETENTION_AGE,
    )
    northwind.license(past, BUSINESS_BASIC)


def _add_admin_cases(builders: dict[str, _CustomerBuilder]) -> None:
    """A deleted admin with roles and a licence, an admin with a non-ASCII name, and the large
    customer's own deleted admin."""
    importers = builders["wideworldimporters"]
    admin = importers.add_user(
        username=DELETED_ADMIN_USERNAME,
        first_name="Isaiah",
        last_name="Langer",
        display_name="Isaiah Langer",
        deleted_ago=DELETED_ADMIN_AGE,
        usage_location="NL",
    )
    importers.grant(admin, USER_ADMINISTRATOR)
    importers.grant(admin, GLOBAL_READER)
    importers.license(admin, OFFICE_365_E3)

    bjorkdal = builders["bjorkdalbygg"]
    bjorkdal.grant(bjorkdal.add_person(first="Björn", last="Ångström"), GLOBAL_ADMINISTRATOR)

    # The large customer's own deleted admin, among its ordinary deleted users.
    tailspin = builders["tailspintoys"]
    tailspin.grant(tailspin.add_person(deleted_ago=timedelta(days=9)), HELPDESK_ADMINISTRATOR)


def build_rows(now: datetime) -> SeedRows:
    """Every row of the demo data, not yet saved; the same rows for the same `now`."""
    now = now.replace(microsecond=0)  # Partner Center reports times to the second
    rng = random.Random(RANDOM_SEED)
    rows = SeedRows()
    builders = {plan.key: _CustomerBuilder(plan, rng, now, rows) for plan in CUSTOMERS}
    for builder in builders.values():
        builder.build()
    _add_special_users(builders)
    for builder in builders.values():
        builder.finish()
    return rows


def build_plan_rows(plans: Iterable[CustomerPlan], now: datetime) -> SeedRows:
    """The rows of more customers (the scale seeds), without the default seed's special users."""
    now = now.replace(microsecond=0)
    rows = SeedRows()
    for plan in plans:
        builder = _CustomerBuilder(plan, random.Random(f"{RANDOM_SEED}:{plan.key}"), now, rows)
        builder.build()
        builder.finish()
    return rows


__all__ = ["BATCH_SIZE", "RANDOM_SEED", "build_plan_rows", "build_rows", "username_alias"]
