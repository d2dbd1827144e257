"""Customer scopes: a staff member's role per customer, and what each page, export and sign-in
does with it. The matrices (tests/test_authorization_matrix.py, tests/test_command_matrix.py)
check every URL and command out of scope; these are the rules and the pages across customers."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator

import pytest
import responses
from django.contrib.auth.models import Group, User
from django.core.exceptions import ImproperlyConfigured
from django.http import Http404
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries
from pytest_django.fixtures import Settings as SettingsWrapper

from customers.directory.models import DirectoryCustomer
from portal.models import AuditRecord, CustomerScope, ScopeCustomer, StaffGrant
from portal.sandbox import seed_plan
from portal.sandbox.models import CustomerUser
from portal.staff import access
from portal.staff.access import Capability, Reach, Role
from portal.staff.entra_settings import parse_group_roles
from tests.conftest import downloaded
from tests.directory_data import synced
from tests.portal.fake_entra_signin import (
    ADMIN_GROUP,
    ANA,
    SALES_GROUP,
    FakeEntraSignIn,
    claims_for,
    entra_settings,
    sign_in_with_microsoft,
)

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])

CONTOSO = str(seed_plan.CUSTOM_DOMAIN_CUSTOMER_ID)
FABRIKAM = str(seed_plan.NEARLY_FULL_SKU_CUSTOMER_ID)


@pytest.fixture
def two_customers(seeded_sandbox: None) -> Iterator[tuple[DirectoryCustomer, DirectoryCustomer]]:
    yield synced(CONTOSO), synced(FABRIKAM)


def _grant(user: User, role: str, name: str, customers: list[str]) -> CustomerScope:
    scope, _ = CustomerScope.objects.get_or_create(name=name)
    ScopeCustomer.objects.bulk_create(
        [ScopeCustomer(scope=scope, customer_id=customer) for customer in customers],
        ignore_conflicts=True,
    )
    StaffGrant.objects.create(staff=user, role=role, scope=scope)
    return scope


def _fresh(user: User) -> User:
    """The account as the next request loads it (its reach is read once per request)."""
    return User.objects.get(pk=user.pk)


# --- The rules -----------------------------------------------------------------------------------


def test_a_reach_keeps_each_customers_strongest_role_above_the_role_everywhere() -> None:
    reach = Reach.build(
        Role.SALES,
        [(Role.ADMIN, "A"), (Role.HELPDESK, "a"), (Role.SALES, "b"), (Role.HELPDESK, "c")],
    )
    assert reach.customers == {"a": Role.ADMIN, "c": Role.HELPDESK}  # b: no stronger than Sales
    assert (reach.role_on("A"), reach.role_on("b"), reach.role_on("z")) == (
        Role.ADMIN,
        Role.SALES,
        Role.SALES,
    )
    assert reach.top is Role.ADMIN
    assert reach.customer_ids(Capability.VIEW) is None  # Sales everywhere may view everything
    assert reach.customer_ids(Capability.EXPORT) == frozenset({"a", "c"})
    assert reach.customer_ids(Capability.ADD_USER) == frozenset({"a"})


def test_a_grant_on_every_customer_counts_as_the_role_everywhere() -> None:
    reach = Reach.build(None, [(Role.HELPDESK, None), (Role.ADMIN, "a")])
    assert reach.everywhere is Role.HELPDESK
    assert reach.customer_ids(Capability.VIEW) is None
    assert Reach.build(None, []).top is None


def test_a_scoped_person_has_a_role_only_on_the_scopes_customers(
    scoped_staff: Callable[..., User],
) -> None:
    member = scoped_staff("Helpdesk agent", [CONTOSO])
    assert access.role_of(member) is Role.HELPDESK  # anywhere: what pages across customers offer
    assert access.visible_customers(member) == frozenset({CONTOSO})
    with pytest.raises(Http404):
        access.enter_customer(_fresh(member), FABRIKAM)
    entered = _fresh(member)
    access.enter_customer(entered, CONTOSO.upper())  # ids match in any case
    assert access.role_of(entered) is Role.HELPDESK


def test_the_role_on_the_customer_entered_decides(sales_agent: User) -> None:
    _grant(sales_agent, "Admin agent", "Team North", [CONTOSO])
    on_contoso, on_fabrikam = _fresh(sales_agent), _fresh(sales_agent)
    access.enter_customer(on_contoso, CONTOSO)
    access.enter_customer(on_fabrikam, FABRIKAM)
    assert access.has_capability(on_contoso, Capability.DELETE_USER)
    assert not access.has_capability(on_fabrikam, Capability.DELETE_USER)
    assert access.has_capability(on_fabrikam, Capability.VIEW)


def test_acting_on_a_user_without_entering_the_customer_is_refused_when_it_matters(
    sales_agent: User, admin_agent: User
) -> None:
    _grant(sales_agent, "Admin agent", "Team North", [CONTOSO])
    with pytest.raises(RuntimeError, match="enter_customer"):
        access.can_act_on_user(
            _fresh(sales_agent), Capability.RESET_PASSWORD, target_holds_directory_role=True
        )
    # The same role everywhere: no customer needs naming.
    assert access.can_act_on_user(
        admin_agent, Capability.RESET_PASSWORD, target_holds_directory_role=True
    )


def test_the_reach_costs_one_query_with_groups_and_grants(
    sales_agent: User, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    _grant(sales_agent, "Admin agent", "Team North", [CONTOSO, FABRIKAM])
    _grant(sales_agent, "Helpdesk agent", "All of them", [])
    CustomerScope.objects.filter(name="All of them").update(all_customers=True)
    fresh = _fresh(sales_agent)
    with django_assert_num_queries(1):
        reach = access.reach_of(fresh)
        access.role_of(fresh)
    assert reach.everywhere is Role.HELPDESK
    assert reach.customers == {CONTOSO: Role.ADMIN, FABRIKAM: Role.ADMIN}


def test_a_grant_taken_away_applies_at_the_next_request(
    client: Client,
    scoped_staff: Callable[..., User],
    two_customers: tuple[DirectoryCustomer, DirectoryCustomer],
) -> None:
    member = scoped_staff("Sales agent", [CONTOSO])
    client.force_login(member)
    page = reverse("customers:users", args=[CONTOSO])
    assert client.get(page).status_code != 404
    StaffGrant.objects.filter(staff=member).delete()
    assert client.get(page).status_code == 403  # no role anywhere now: the "no role" page
    Group.objects.get(name="Sales agent").user_set.add(member)
    assert client.get(page).status_code == 200


# --- Pages across customers ---------------------------------------------------------------------


def _record(customer: DirectoryCustomer, ticket: str) -> None:
    AuditRecord.objects.create(
        at=timezone.now(),
        staff_username="someone",
        action="user_update",
        outcome=AuditRecord.SUCCEEDED,
        customer_id=customer.tenant_id,
        customer_name=customer.company_name,
        ticket=ticket,
    )


def test_search_finds_users_and_customers_only_within_the_scope(
    client: Client,
    scoped_staff: Callable[..., User],
    superuser: User,
    two_customers: tuple[DirectoryCustomer, DirectoryCustomer],
) -> None:
    contoso, fabrikam = two_customers
    contoso_names = CustomerUser.objects.filter(customer_id=CONTOSO).values("display_name")
    outsider = (
        CustomerUser.objects.filter(customer_id=FABRIKAM, state="active")
        .exclude(display_name__in=contoso_names)
        .first()
    )
    assert outsider is not None
    name_query = outsider.display_name.split()[0]
    superuser_client = Client()
    superuser_client.force_login(superuser)
    everything = superuser_client.get(reverse("customers:search"), {"q": name_query}).content
    assert outsider.display_name.encode() in everything  # the control: a superuser finds them

    client.force_login(scoped_staff("Helpdesk agent", [CONTOSO]))
    found = client.get(reverse("customers:search"), {"q": name_query}).content.decode()
    assert outsider.display_name not in found
    assert fabrikam.company_name not in found
    # An exact username of another customer is not opened, and its customer not named.
    exact = client.get(reverse("customers:search"), {"q": outsider.user_principal_name})
    assert exact.status_code == 200
    assert fabrikam.company_name not in exact.content.decode()
    by_name = client.get(reverse("customers:search"), {"q": fabrikam.company_name})
    assert by_name.context["customers_count"] == 0  # the page repeats the query, nothing more
    assert reverse("customers:users", args=[FABRIKAM]) not in by_name.content.decode()
    mine = client.get(reverse("customers:search"), {"q": contoso.company_name}).content
    assert contoso.company_name.encode() in mine


def test_the_customers_list_and_dashboard_count_only_the_scope(
    client: Client,
    scoped_staff: Callable[..., User],
    two_customers: tuple[DirectoryCustomer, DirectoryCustomer],
) -> None:
    contoso, fabrikam = two_customers
    client.force_login(scoped_staff("Sales agent", [CONTOSO]))
    listed = client.get(reverse("customers:list")).content.decode()
    assert contoso.company_name in listed
    assert fabrikam.company_name not in listed
    dashboard = client.get(reverse("customers:dashboard"))
    assert dashboard.context["health"].customers == 1


def test_the_audit_log_and_its_export_hold_only_the_scopes_records(
    client: Client,
    scoped_staff: Callable[..., User],
    two_customers: tuple[DirectoryCustomer, DirectoryCustomer],
) -> None:
    contoso, fabrikam = two_customers
    _record(contoso, "INC-MINE")
    _record(fabrikam, "INC-THEIRS")
    AuditRecord.objects.create(
        at=timezone.now(),
        staff_username="sam",
        action="audit_export",
        outcome=AuditRecord.SUCCEEDED,
        changes={"filters": f"customer={fabrikam.company_name}"},
    )
    client.force_login(scoped_staff("Helpdesk agent", [CONTOSO]))
    log = client.get(reverse("audit:log")).content.decode()
    assert "INC-MINE" in log
    assert "INC-THEIRS" not in log
    assert fabrikam.company_name not in log  # not even in a record without a customer

    exported = downloaded(client.post(reverse("audit:export"))).decode()
    tickets = {row["Ticket"] for row in csv.DictReader(io.StringIO(exported))}
    assert "INC-MINE" in tickets
    assert "INC-THEIRS" not in tickets
    assert fabrikam.company_name not in exported


def test_an_audit_export_leaves_out_customers_where_the_role_may_not_export(
    client: Client, sales_agent: User, two_customers: tuple[DirectoryCustomer, DirectoryCustomer]
) -> None:
    contoso, fabrikam = two_customers
    _record(contoso, "INC-NORTH")
    _record(fabrikam, "INC-ELSEWHERE")
    _grant(sales_agent, "Helpdesk agent", "Team North", [CONTOSO])
    client.force_login(sales_agent)
    log = client.get(reverse("audit:log")).content.decode()
    assert "INC-NORTH" in log and "INC-ELSEWHERE" in log  # Sales may view everything
    exported = downloaded(client.post(reverse("audit:export"))).decode()
    assert "INC-NORTH" in exported
    assert "INC-ELSEWHERE" not in exported  # but may export none of it


def test_admin_on_one_scope_and_sales_elsewhere_sees_the_buttons_only_there(
    client: Client, sales_agent: User, two_customers: tuple[DirectoryCustomer, DirectoryCustomer]
) -> None:
    _grant(sales_agent, "Admin agent", "Team North", [CONTOSO])
    client.force_login(sales_agent)
    north = client.get(reverse("customers:users", args=[CONTOSO])).content.decode()
    elsewhere = client.get(reverse("customers:users", args=[FABRIKAM])).content.decode()
    add_north = reverse("users:add", args=[CONTOSO])
    assert add_north in north
    assert reverse("users:add", args=[FABRIKAM]) not in elsewhere
    assert client.get(add_north).status_code == 200
    assert client.get(reverse("users:add", args=[FABRIKAM])).status_code == 403


def test_the_person_page_lists_the_roles_per_scope(
    client: Client, sales_agent: User, db: None
) -> None:
    _grant(sales_agent, "Admin agent", "Team North", [CONTOSO, FABRIKAM])
    client.force_login(sales_agent)
    page = client.get(reverse("staff:account")).content.decode()
    assert "Admin agent on Team North (2 customers)" in page
    assert "Sales agent on every customer" in page


# --- Microsoft sign-in --------------------------------------------------------------------------


@pytest.fixture
def fake_entra(settings: SettingsWrapper) -> Iterator[FakeEntraSignIn]:
    entra_settings(settings)
    settings.PORTAL_ENTRA_GROUP_ROLES = {
        ADMIN_GROUP: "Admin agent@Team North",
        SALES_GROUP: "Sales agent",
    }
    fake = FakeEntraSignIn()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        fake.register(rsps)
        yield fake


def test_a_group_gives_its_role_on_its_scope_and_loses_it_with_the_group(
    fake_entra: FakeEntraSignIn, admin_agent: User
) -> None:
    north = _grant(admin_agent, "Admin agent", "Team North", [CONTOSO])
    sign_in_with_microsoft(Client(), fake_entra, claims_for(groups=[ADMIN_GROUP, SALES_GROUP]))
    ana = User.objects.get(username=ANA)
    assert set(ana.groups.values_list("name", flat=True)) == {"Sales agent"}
    assert list(ana.portal_grants.values_list("role", "scope", "from_entra")) == [
        ("Admin agent", north.pk, True)
    ]
    assert access.reach_of(ana).customers == {CONTOSO: Role.ADMIN}
    # A grant given by hand stays; the group's goes when Entra no longer lists the group.
    hand = _grant(ana, "Helpdesk agent", "Team South", [FABRIKAM])
    sign_in_with_microsoft(Client(), fake_entra, claims_for(groups=[SALES_GROUP]))
    assert list(ana.portal_grants.values_list("scope", flat=True)) == [hand.pk]


def test_a_scope_nobody_made_grants_nothing_and_says_so(
    fake_entra: FakeEntraSignIn, caplog: pytest.LogCaptureFixture
) -> None:
    sign_in_with_microsoft(Client(), fake_entra, claims_for(groups=[ADMIN_GROUP]))
    ana = User.objects.get(username=ANA)
    assert access.role_of(ana) is None
    assert "names the scope 'Team North', which does not exist" in caplog.text


def test_group_roles_take_a_scope_after_an_at_sign() -> None:
    parsed = parse_group_roles(
        "X", f"{ADMIN_GROUP}=admin agent @ Team North,{SALES_GROUP}=Sales agent"
    )
    assert parsed == {ADMIN_GROUP: "Admin agent@Team North", SALES_GROUP: "Sales agent"}
    with pytest.raises(ImproperlyConfigured, match="names no scope"):
        parse_group_roles("X", f"{ADMIN_GROUP}=Admin agent@")


# --- The admin ----------------------------------------------------------------------------------


def test_a_superuser_makes_a_scope_from_the_directorys_customers_and_sees_who_reaches_one(
    client: Client,
    superuser: User,
    sales_agent: User,
    admin_agent: User,
    two_customers: tuple[DirectoryCustomer, DirectoryCustomer],
) -> None:
    contoso, fabrikam = two_customers
    client.force_login(superuser)
    form = client.get(reverse("admin:portal_customerscope_add")).content.decode()
    assert contoso.company_name in form and fabrikam.company_name in form
    empty = client.post(reverse("admin:portal_customerscope_add"), {"name": "Team North"})
    assert "Choose the scope&#x27;s customers, or tick All customers." in empty.content.decode()
    assert not CustomerScope.objects.filter(name="Team North").exists()

    saved = client.post(
        reverse("admin:portal_customerscope_add"), {"name": "Team North", "customers": [CONTOSO]}
    )
    assert saved.status_code == 302
    north = CustomerScope.objects.get(name="Team North")
    assert list(north.members.values_list("customer_id", "customer_name")) == [
        (CONTOSO, contoso.company_name)
    ]
    StaffGrant.objects.create(staff=sales_agent, role="Admin agent", scope=north)

    reach = client.get(reverse("admin:portal_customerscope_reach"), {"customer": CONTOSO})
    rows = {(staff.username, role) for staff, role in reach.context["reaching"]}
    assert {("sofia", Role.ADMIN), ("amara", Role.ADMIN), ("sam", Role.ADMIN)} <= rows
    elsewhere = client.get(reverse("admin:portal_customerscope_reach"), {"customer": FABRIKAM})
    assert ("sofia", Role.SALES) in {(s.username, r) for s, r in elsewhere.context["reaching"]}
