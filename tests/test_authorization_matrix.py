"""Every URL × every role, superuser and anonymous: who gets in, who is refused, and that a
refused request changes nothing in Partner Center (the sandbox).

The scope axis: every URL × every role given on a customer scope, in scope (the same answers as
the role everywhere) and out of scope (a customer's URL is not found; a page across customers
names nothing of the customer: no company name, domain, user or record of it).

A new URL fails `test_every_url_of_the_portal_is_in_the_matrix` until it is given a row here, so
no page can be added without deciding who may use it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connections
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from portal.sandbox import seed_plan
from portal.sandbox.models import CustomerUser, LicenseAssignment, RoleMember

pytestmark = [
    pytest.mark.django_db(databases=["default", "sandbox"]),
    pytest.mark.usefixtures("seeded_sandbox", "empty_cache"),
]

ANONYMOUS, NO_ROLE, SALES, HELPDESK, ADMIN, SUPERUSER = (
    "anonymous",
    "no_role",
    "sales",
    "helpdesk",
    "admin",
    "superuser",
)
EVERYONE = frozenset({ANONYMOUS, NO_ROLE, SALES, HELPDESK, ADMIN, SUPERUSER})
SIGNED_IN = EVERYONE - {ANONYMOUS}
# Routes whose answer is the sign-in page for everyone allowed (they end the session).
SIGNING_OUT = {"staff:login", "staff:logout", "staff:sign_out_everywhere"}
VIEWERS = frozenset({SALES, HELPDESK, ADMIN, SUPERUSER})
EXPORTERS = frozenset({HELPDESK, ADMIN, SUPERUSER})
HELPDESK_AND_UP = frozenset({HELPDESK, ADMIN, SUPERUSER})
ADMINS = frozenset({ADMIN, SUPERUSER})
SUPERUSERS = frozenset({SUPERUSER})


@dataclass(frozen=True)
class Ids:
    customer: str
    plain_user: str
    protected_user: str
    deleted_user: str
    deleted_protected_user: str


@dataclass(frozen=True)
class Route:
    name: str
    method: str
    allowed: frozenset[str]
    kwargs: Callable[[Ids], dict[str, Any]] = lambda ids: {}
    data: Callable[[Ids], dict[str, Any]] = lambda ids: {}
    note: str = ""
    # For routes answered the same way to everyone (e.g. a feature switched off).
    status_for_all: int | None = None
    query: str = ""
    id: str = field(default="")

    def label(self) -> str:
        return f"{self.method} {self.name}{' ' + self.note if self.note else ''}"


def _customer(ids: Ids) -> dict[str, Any]:
    return {"customer_id": ids.customer}


def _plain(ids: Ids) -> dict[str, Any]:
    return {"customer_id": ids.customer, "user_id": ids.plain_user}


def _protected(ids: Ids) -> dict[str, Any]:
    return {"customer_id": ids.customer, "user_id": ids.protected_user}


def _job(ids: Ids) -> dict[str, Any]:
    return {"customer_id": ids.customer, "job_id": "00000000-0000-0000-0000-0000000000b1"}


def _selected(action: str) -> str:
    return f"?action={action}&users=00000000-0000-0000-0000-0000000000c1"


def _selected_data(action: str) -> Callable[[Ids], dict[str, Any]]:
    return lambda ids: {"action": action, "users": [ids.plain_user], "form_token": "x"}


def _restore(user: str) -> Callable[[Ids], dict[str, Any]]:
    return lambda ids: {"users": [getattr(ids, user)], "ticket": "INC-1"}


ROUTES = [
    Route("staff:login", "GET", EVERYONE),
    Route("staff:logout", "POST", EVERYONE),
    Route("staff:password_change", "GET", SIGNED_IN),
    Route("staff:account", "GET", SIGNED_IN),
    # The second factor's steps: any signed-in person (enrolling is for everyone; the code step
    # sends someone not enrolled to enrol; new recovery codes need an app first).
    Route("staff:second_factor", "GET", SIGNED_IN),
    Route("staff:second_factor_enrol", "GET", SIGNED_IN),
    Route("staff:recovery_codes_new", "POST", SIGNED_IN),
    Route("staff:sign_out_everywhere", "POST", SIGNED_IN),
    Route("staff:entra_sign_in", "GET", EVERYONE, status_for_all=404, note="(feature off)"),
    Route("staff:entra_callback", "GET", EVERYONE, status_for_all=404, note="(feature off)"),
    Route("connection:page", "GET", SUPERUSERS),
    Route("connection:connect", "POST", SUPERUSERS),
    Route("connection:callback", "GET", SUPERUSERS),
    Route("audit:log", "GET", VIEWERS),
    Route("audit:export", "POST", EXPORTERS),
    Route("customers:dashboard", "GET", VIEWERS),
    # Every viewer gets the page; it lists only the kinds of job their role may see.
    Route("users:scheduled", "GET", VIEWERS),
    Route("customers:search", "GET", VIEWERS, query="?q=contoso"),
    Route("customers:list", "GET", VIEWERS),
    Route("customers:list_refresh", "POST", VIEWERS),
    Route("customers:users", "GET", VIEWERS, _customer),
    Route("customers:deleted", "GET", VIEWERS, _customer),
    Route("customers:loading", "GET", VIEWERS, _customer),
    Route("customers:refresh", "POST", VIEWERS, _customer),
    Route("customers:export", "POST", EXPORTERS, _customer),
    Route("users:add", "GET", ADMINS, _customer),
    Route("users:add", "POST", ADMINS, _customer, lambda ids: {"display_name": ""}),
    Route("users:detail", "GET", VIEWERS, _plain),
    Route("users:update", "POST", HELPDESK_AND_UP, _plain, lambda ids: {"display_name": "X"}),
    Route(
        "users:update",
        "POST",
        ADMINS,
        _protected,
        lambda ids: {"display_name": "X"},
        note="(protected account)",
    ),
    Route("users:reset_password", "POST", HELPDESK_AND_UP, _plain),
    Route("users:reset_password", "POST", ADMINS, _protected, note="(protected account)"),
    Route("users:delete", "GET", ADMINS, _plain),
    Route("users:delete", "POST", ADMINS, _plain),
    Route("users:restore", "POST", HELPDESK_AND_UP, _customer, _restore("deleted_user")),
    Route(
        "users:restore",
        "POST",
        ADMINS,
        _customer,
        _restore("deleted_protected_user"),
        note="(protected account)",
    ),
    Route("users:bulk_upload", "GET", ADMINS, _customer),
    Route("users:bulk_upload", "POST", ADMINS, _customer),
    Route("users:bulk_template", "GET", ADMINS, _customer),
    Route(
        "users:bulk_annotated",
        "POST",
        ADMINS,
        lambda ids: {"customer_id": ids.customer, "token": "unknown"},
    ),
    Route("users:bulk_save", "POST", ADMINS, _customer),
    Route("users:add_username_check", "GET", ADMINS, _customer, query="?alias=a&domain=b"),
    # Several users at once: Helpdesk agents may reset; the other actions are Admin agents'.
    Route("users:selected", "GET", HELPDESK_AND_UP, _customer, query=_selected("reset")),
    Route("users:selected", "POST", HELPDESK_AND_UP, _customer, _selected_data("reset")),
    Route("users:selected", "GET", ADMINS, _customer, query=_selected("delete"), note="(delete)"),
    Route(
        "users:selected", "POST", ADMINS, _customer, _selected_data("offboard"), note="(offboard)"
    ),
    Route(
        "users:selected", "POST", ADMINS, _customer, _selected_data("licenses"), note="(licenses)"
    ),
    # A job nobody has: roles that may see some kind of job (an upload: Admin agents; a reset
    # of selected users: Helpdesk agents too) reach the lookup (404), the others are refused
    # before it. Which kind each role may see: tests/users/test_selected_users.py.
    Route("users:bulk_job", "GET", HELPDESK_AND_UP, _job),
    Route("users:bulk_job_cancel", "POST", HELPDESK_AND_UP, _job),
    Route("users:bulk_job_retry", "POST", HELPDESK_AND_UP, _job),
    Route("users:bulk_job_run_now", "POST", HELPDESK_AND_UP, _job),
    Route("users:bulk_job_results", "POST", HELPDESK_AND_UP, _job),
    Route("users:bulk_job_passwords", "POST", HELPDESK_AND_UP, _job),
    Route("users:bulk_job_passwords_reset", "GET", HELPDESK_AND_UP, _job),
    Route("users:bulk_job_passwords_reset", "POST", HELPDESK_AND_UP, _job),
]


# --- Set-up ------------------------------------------------------------------------------------


@pytest.fixture
def ids() -> Ids:
    customer = str(seed_plan.CUSTOM_DOMAIN_CUSTOMER_ID)
    users = CustomerUser.objects.filter(customer_id=customer)
    with_roles = set(RoleMember.objects.values_list("user_id", flat=True))
    active = users.filter(state=CustomerUser.ACTIVE)
    deleted = users.filter(state=CustomerUser.INACTIVE, soft_deletion_time__isnull=False)
    plain = active.exclude(pk__in=with_roles).order_by("display_name").first()
    protected = active.filter(pk__in=with_roles).order_by("display_name").first()
    deleted_plain = deleted.exclude(pk__in=with_roles).order_by("-soft_deletion_time").first()
    assert plain and protected and deleted_plain
    deleted_protected = deleted.filter(pk__in=with_roles).first()
    if deleted_protected is None:  # make one: a deleted user who still holds a role
        deleted_protected = active.filter(pk__in=with_roles).order_by("-display_name").first()
        assert deleted_protected is not None
        CustomerUser.objects.filter(pk=deleted_protected.pk).update(
            state=CustomerUser.INACTIVE, soft_deletion_time=deleted_plain.soft_deletion_time
        )
    return Ids(
        customer, str(plain.pk), str(protected.pk), str(deleted_plain.pk), str(deleted_protected.pk)
    )


@pytest.fixture
def as_role(
    request: pytest.FixtureRequest,
) -> Callable[[str], Client]:
    fixtures = {
        NO_ROLE: "no_role_staff",
        SALES: "sales_agent",
        HELPDESK: "helpdesk_agent",
        ADMIN: "admin_agent",
        SUPERUSER: "superuser",
    }

    def client_for(role: str) -> Client:
        client = Client()
        if role != ANONYMOUS:
            user: User = request.getfixturevalue(fixtures[role])
            client.force_login(user)
        return client

    return client_for


# What a user-management call could change in Partner Center: every row of these, in key order.
_STATE_COLUMNS = (
    (CustomerUser, "id, user_principal_name, display_name, first_name, last_name, "
     "usage_location, state, soft_deletion_time, password_last_set_at"),
    (RoleMember, "role_id, user_id"),
    (LicenseAssignment, "sku_id, user_id"),
)  # fmt: skip


def sandbox_state() -> int:
    """A digest of everything a user-management call could change in Partner Center: every
    user, role membership and license assignment of every customer, for comparing within one
    test (Python's hash of the rows, which holds within a process). Read with a plain cursor and
    hashed as tuples: through the ORM and a SHA-256 of their text, the seed's 7,000 users took
    110 ms a digest (now 20), and the matrix takes hundreds."""
    rows: list[tuple[Any, ...]] = []
    with connections[CustomerUser.objects.db].cursor() as cursor:
        for model, columns in _STATE_COLUMNS:
            cursor.execute(f"SELECT {columns} FROM {model._meta.db_table} ORDER BY id")
            rows.append(tuple(cursor.fetchall()))
    return hash(tuple(rows))


# --- The matrix --------------------------------------------------------------------------------


def test_every_url_of_the_portal_is_in_the_matrix() -> None:
    def names(patterns: list[Any], namespace: str = "") -> Iterator[str]:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace in {"admin", "sandbox"}:
                    continue  # Django's admin (superusers only) and the sandbox's bearer API
                inner = pattern.namespace or ""
                prefix = f"{namespace}:{inner}" if namespace and inner else namespace or inner
                yield from names(pattern.url_patterns, prefix)
            elif isinstance(pattern, URLPattern) and pattern.name:
                yield f"{namespace}:{pattern.name}" if namespace else pattern.name

    portal_urls = set(names(get_resolver().url_patterns))
    covered = {route.name for route in ROUTES}
    assert portal_urls - covered == set(), "give each new URL a row in ROUTES"
    assert covered - portal_urls == set()


@pytest.mark.parametrize("role", sorted(EVERYONE))
@pytest.mark.parametrize("route", ROUTES, ids=Route.label)
def test_each_role_gets_in_only_where_it_may(
    route: Route, role: str, ids: Ids, as_role: Callable[[str], Client]
) -> None:
    client = as_role(role)
    before = sandbox_state() if _refused(route, role) else None
    response = _request(client, route, ids)
    _check_answer(route, role, response, before)


def _refused(route: Route, role: str) -> bool:
    """Whether `_check_answer` expects `role` to be refused `route`, and so compares Partner
    Center before and after (the digest is taken only then: it reads every user)."""
    return route.status_for_all is None and role not in route.allowed


def _request(client: Client, route: Route, ids: Ids) -> Any:
    url = reverse(route.name, kwargs=route.kwargs(ids)) + route.query
    return client.get(url) if route.method == "GET" else client.post(url, route.data(ids))


def _check_answer(route: Route, role: str, response: Any, before: int | None) -> None:
    status = response.status_code
    if route.status_for_all is not None:
        assert status == route.status_for_all
        return
    refused_to_sign_in = status == 302 and response["Location"].startswith(reverse("staff:login"))
    if role in route.allowed:
        assert status != 403, f"{role} was refused {route.label()}"
        assert not refused_to_sign_in or route.name in SIGNING_OUT
    elif role == ANONYMOUS:
        assert refused_to_sign_in, f"anonymous got {status} for {route.label()}"
    else:
        assert status == 403, f"{role} got {status} for {route.label()}"
    if role not in route.allowed:
        assert before is not None and sandbox_state() == before, (
            f"refused {route.label()} changed Partner Center"
        )


# --- The scope axis ----------------------------------------------------------------------------

SCOPED_ROLES = {SALES: "Sales agent", HELPDESK: "Helpdesk agent", ADMIN: "Admin agent"}
# Another customer of the seed: an out-of-scope person's scope holds it instead.
OTHER_CUSTOMER = str(seed_plan.NEARLY_FULL_SKU_CUSTOMER_ID)


@pytest.mark.parametrize("where", ["in scope", "out of scope"])
@pytest.mark.parametrize("role", sorted(SCOPED_ROLES))
@pytest.mark.parametrize("route", ROUTES, ids=Route.label)
def test_each_role_on_a_scope_reaches_only_its_customers(
    route: Route, role: str, where: str, ids: Ids, scoped_staff: Callable[..., User]
) -> None:
    in_scope = where == "in scope"
    member = scoped_staff(SCOPED_ROLES[role], [ids.customer if in_scope else OTHER_CUSTOMER])
    client = Client()
    client.force_login(member)
    about_customer = "customer_id" in route.kwargs(ids)
    secrets = _customer_secrets(ids) if not about_customer and not in_scope else []
    as_the_role = in_scope or not about_customer or route.status_for_all is not None
    before = sandbox_state() if not as_the_role or _refused(route, role) else None
    response = _request(client, route, ids)
    if as_the_role:
        _check_answer(route, role, response, before)
    else:
        assert response.status_code == 404, f"{role} out of scope got {response.status_code}"
        assert sandbox_state() == before, f"out-of-scope {route.label()} changed Partner Center"
    body = b"".join(response.streaming_content) if response.streaming else response.content
    for secret in secrets:
        assert secret.encode() not in body, f"{route.label()} showed {secret} out of scope"


def _customer_secrets(ids: Ids) -> list[str]:
    """What would give the customer away: mirrored (so the directory could find it), with a
    record in the audit log; its name, domains and users' names."""
    from portal.models import AuditRecord
    from tests.directory_data import synced

    customer = synced(ids.customer)
    users = CustomerUser.objects.filter(pk__in=[ids.plain_user, ids.protected_user])
    AuditRecord.objects.create(
        at=timezone.now(),
        staff_username="someone",
        action="user_update",
        outcome=AuditRecord.SUCCEEDED,
        customer_id=ids.customer,
        customer_name=customer.company_name,
        target_user_id=ids.plain_user,
        target_username=users[0].user_principal_name,
        ticket="INC-LEAK",
    )
    return [
        customer.company_name,
        *customer.domains.values_list("name", flat=True),
        "INC-LEAK",
        *(user.display_name for user in users),
        *(user.user_principal_name for user in users),
    ]
