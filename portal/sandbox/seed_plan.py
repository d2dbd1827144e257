"""What the sandbox's demo data holds: its customers, and the special cases tests rely on.

Pure data, kept apart from the code that builds the rows (`seed_rows.py`) and writes them
(`seed.py`); tests and benchmarks import the constants from here. Ids derive from a fixed
namespace with `uuid5`, so they are the same on every run and every machine.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Final

from portal.sandbox.models import CustomerUser
from portal.sandbox.seed_catalog import (
    BILLING_ADMINISTRATOR,
    BUSINESS_BASIC,
    BUSINESS_PREMIUM,
    BUSINESS_STANDARD,
    EXCHANGE_ADMINISTRATOR,
    EXCHANGE_ONLINE_PLAN_1,
    GLOBAL_ADMINISTRATOR,
    GLOBAL_READER,
    HELPDESK_ADMINISTRATOR,
    LICENSE_ADMINISTRATOR,
    OFFICE_365_E3,
    SHAREPOINT_ADMINISTRATOR,
    USER_ADMINISTRATOR,
    Role,
    Sku,
)

NAMESPACE: Final = uuid.UUID("0c4f5a8e-6a43-4c57-9a8e-5d1b2f3c7e90")


def stable_id(*parts: str) -> uuid.UUID:
    """The same id for the same name on every run and every machine."""
    return uuid.uuid5(NAMESPACE, "/".join(parts))


def initial_domain(key: str) -> str:
    return f"{key}.onmicrosoft.com"


# --- What tests and demos can rely on --------------------------------------------------------
CUSTOM_DOMAIN_CUSTOMER_ID: Final = stable_id("customer", "contoso")
CUSTOM_DOMAIN: Final = "contoso.com"
NO_ACCESS_CUSTOMER_ID: Final = stable_id("customer", "adatum")
LARGE_CUSTOMER_ID: Final = stable_id("customer", "tailspintoys")
LARGE_CUSTOMER_ACTIVE_USERS: Final = 5000
# Fabrikam's Business Standard has exactly one seat left: the next licence fails with 60012.
NEARLY_FULL_SKU_CUSTOMER_ID: Final = stable_id("customer", "fabrikam")
NEARLY_FULL_SKU_ID: Final = uuid.UUID(BUSINESS_STANDARD.sku_id)

# Deleted 29 days and 20 hours ago: restorable for a few more hours.
NEAR_PURGE_USERNAME: Final = "megan.bowen@contoso.onmicrosoft.com"
NEAR_PURGE_AGE: Final = timedelta(days=29, hours=20)
# Deleted 31 days ago: past the window; the sandbox purges it on the next access.
PAST_RETENTION_USERNAME: Final = "lynne.robbins@northwindtraders.onmicrosoft.com"
PAST_RETENTION_AGE: Final = timedelta(days=31, hours=6)
# A deleted User Administrator who keeps its role memberships and licence.
DELETED_ADMIN_USERNAME: Final = "isaiah.langer@wideworldimporters.onmicrosoft.com"
DELETED_ADMIN_AGE: Final = timedelta(days=6, hours=3)
# Deleted 12 days ago, then a new active user was given the same username: restoring the
# deleted one must answer the duplicate-username conflict.
REUSED_USERNAME: Final = "alex.wilber@contoso.onmicrosoft.com"
REUSED_DELETED_AGE: Final = timedelta(days=12, hours=5)
REUSED_ACTIVE_AGE: Final = timedelta(days=4)


def user_id(username: str, state: str) -> uuid.UUID:
    """A seeded user's id; two seeded users share a username only if their states differ."""
    return stable_id("user", username, state)


NEAR_PURGE_USER_ID: Final = user_id(NEAR_PURGE_USERNAME, CustomerUser.INACTIVE)
PAST_RETENTION_USER_ID: Final = user_id(PAST_RETENTION_USERNAME, CustomerUser.INACTIVE)
DELETED_ADMIN_USER_ID: Final = user_id(DELETED_ADMIN_USERNAME, CustomerUser.INACTIVE)
REUSED_DELETED_USER_ID: Final = user_id(REUSED_USERNAME, CustomerUser.INACTIVE)
REUSED_ACTIVE_USER_ID: Final = user_id(REUSED_USERNAME, CustomerUser.ACTIVE)

SPECIAL_USERNAMES = {
    NEAR_PURGE_USERNAME,
    PAST_RETENTION_USERNAME,
    DELETED_ADMIN_USERNAME,
    REUSED_USERNAME,
}


# --- The customers ----------------------------------------------------------------------------
@dataclass(frozen=True)
class SkuPlan:
    sku: Sku
    share: float  # of the customer's people who hold it (a person holds at most one)
    spare_seats: int  # active_units = assignments + spare_seats


@dataclass(frozen=True)
class CustomerPlan:
    key: str  # the initial domain's first label
    company_name: str
    country: str
    active_users: int  # people and shared accounts, before the special users
    deleted_users: int
    skus: tuple[SkuPlan, ...]
    admins: tuple[tuple[Role, int], ...]
    allow_delegated_access: bool = True
    custom_domains: tuple[str, ...] = ()


_SMALL_ADMINS = (
    (GLOBAL_ADMINISTRATOR, 2),
    (USER_ADMINISTRATOR, 1),
    (HELPDESK_ADMINISTRATOR, 2),
    (BILLING_ADMINISTRATOR, 1),
    (GLOBAL_READER, 1),
)

# A customer with many deleted users: its Deleted users list needs several pages of 500.
MANY_DELETED_CUSTOMER_ID: Final = stable_id("customer", "lucernepublishing")
MANY_DELETED_USERS: Final = 1500

CUSTOMERS: Final = (
    CustomerPlan(
        "contoso",
        "Contoso Ltd",
        "US",
        47,
        4,
        (SkuPlan(BUSINESS_PREMIUM, 0.8, 8), SkuPlan(EXCHANGE_ONLINE_PLAN_1, 0.15, 5)),
        (*_SMALL_ADMINS, (EXCHANGE_ADMINISTRATOR, 1)),
        custom_domains=(CUSTOM_DOMAIN,),
    ),
    CustomerPlan(
        "fabrikam",
        "Fabrikam, Inc.",
        "US",
        36,
        3,
        (SkuPlan(BUSINESS_STANDARD, 0.9, 1),),
        _SMALL_ADMINS,
    ),
    CustomerPlan(
        "northwindtraders",
        "Northwind Traders",
        "GB",
        42,
        3,
        (SkuPlan(BUSINESS_BASIC, 0.5, 15), SkuPlan(BUSINESS_STANDARD, 0.4, 5)),
        _SMALL_ADMINS,
    ),
    CustomerPlan(
        "nordlichtenergie",
        "Nordlicht Energie GmbH",
        "DE",
        30,
        2,
        (SkuPlan(BUSINESS_PREMIUM, 0.9, 3),),
        _SMALL_ADMINS,
    ),
    CustomerPlan(
        "bjorkdalbygg",
        "Björkdal Bygg AB",
        "SE",
        23,
        2,
        (SkuPlan(BUSINESS_BASIC, 0.95, 6),),
        _SMALL_ADMINS,
    ),
    CustomerPlan(
        "wideworldimporters",
        "Wide World Importers",
        "NL",
        56,
        4,
        (SkuPlan(OFFICE_365_E3, 0.7, 20), SkuPlan(EXCHANGE_ONLINE_PLAN_1, 0.25, 5)),
        (*_SMALL_ADMINS, (SHAREPOINT_ADMINISTRATOR, 1)),
    ),
    CustomerPlan(
        "adatum",
        "Adatum Corporation",
        "US",
        28,
        2,
        (SkuPlan(BUSINESS_STANDARD, 0.8, 4),),
        _SMALL_ADMINS,
        allow_delegated_access=False,
    ),
    CustomerPlan(
        "tailspintoys",
        "Tailspin Toys",
        "US",
        LARGE_CUSTOMER_ACTIVE_USERS,
        60,
        (SkuPlan(OFFICE_365_E3, 0.88, 250), SkuPlan(EXCHANGE_ONLINE_PLAN_1, 0.08, 100)),
        (
            (GLOBAL_ADMINISTRATOR, 2),
            (USER_ADMINISTRATOR, 3),
            (HELPDESK_ADMINISTRATOR, 5),
            (BILLING_ADMINISTRATOR, 1),
            (GLOBAL_READER, 2),
            (EXCHANGE_ADMINISTRATOR, 1),
            (SHAREPOINT_ADMINISTRATOR, 1),
            (LICENSE_ADMINISTRATOR, 1),
        ),
    ),
    CustomerPlan(
        "lucernepublishing",
        "Lucerne Publishing",
        "CH",
        40,
        MANY_DELETED_USERS,
        (SkuPlan(BUSINESS_STANDARD, 0.6, 700),),
        _SMALL_ADMINS,
    ),
)


# --- On demand only (`sandbox_seed --large N`, `--many N`): scale, not in the default seed -----
LARGE_DEMAND_CUSTOMER_ID: Final = stable_id("customer", "litwareinc")
MANY_USERS_EACH: Final = 2500
_LARGE_ADMINS: Final = (
    (GLOBAL_ADMINISTRATOR, 3),
    (USER_ADMINISTRATOR, 5),
    (HELPDESK_ADMINISTRATOR, 10),
    (BILLING_ADMINISTRATOR, 2),
    (GLOBAL_READER, 4),
    (LICENSE_ADMINISTRATOR, 2),
)
_MANY_NAMES: Final = (
    "Alpine", "Blue Yonder", "Coho", "Datum", "Fourth Coffee", "Graphic Design", "Humongous",
    "Litware", "Lamna", "Margie's Travel", "Munson's Pickles", "Proseware", "Relecloud",
    "School of Fine Art", "Southridge Video", "Trey Research", "VanArsdel", "Wingtip", "Woodgrove",
    "Northwind Health",
)  # fmt: skip


def large_plan(users: int) -> CustomerPlan:
    """One customer of `users` active users (Litware, Inc.)."""
    return CustomerPlan(
        "litwareinc",
        "Litware, Inc.",
        "US",
        users,
        max(users // 100, 1),
        (SkuPlan(OFFICE_365_E3, 0.85, 1000), SkuPlan(EXCHANGE_ONLINE_PLAN_1, 0.1, 500)),
        _LARGE_ADMINS,
    )


def many_plans(count: int) -> tuple[CustomerPlan, ...]:
    """`count` more customers of `MANY_USERS_EACH` users each."""
    plans = []
    for number in range(1, count + 1):
        name = f"{_MANY_NAMES[number % len(_MANY_NAMES)]} {number:03d}"
        plans.append(
            CustomerPlan(
                f"sandboxcustomer{number:03d}",
                name,
                ("US", "GB", "DE", "SE", "NL", "FR")[number % 6],
                MANY_USERS_EACH,
                25,
                (SkuPlan(BUSINESS_PREMIUM, 0.7, 100), SkuPlan(BUSINESS_BASIC, 0.2, 50)),
                _SMALL_ADMINS,
            )
        )
    return tuple(plans)
