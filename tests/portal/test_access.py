"""The access module: every role's capabilities, protected accounts, and how views enforce them."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser, Group, User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory
from pytest_django import DjangoAssertNumQueries

from portal.staff import access
from portal.staff.access import Capability, Role


@pytest.mark.django_db
def test_the_migration_creates_the_three_role_groups() -> None:
    names = set(Group.objects.values_list("name", flat=True))
    assert {"Admin agent", "Helpdesk agent", "Sales agent"} <= names


@pytest.mark.django_db
def test_the_role_groups_carry_no_django_permissions() -> None:
    for role in Role:
        assert not Group.objects.get(name=role.value).permissions.exists()


def test_role_of_an_anonymous_visitor_is_none() -> None:
    assert access.role_of(AnonymousUser()) is None
    assert access.role_of(None) is None


@pytest.mark.django_db
def test_role_of_each_member_of_the_cast(
    admin_agent: User,
    helpdesk_agent: User,
    sales_agent: User,
    no_role_staff: User,
    superuser: User,
) -> None:
    assert access.role_of(admin_agent) is Role.ADMIN
    assert access.role_of(helpdesk_agent) is Role.HELPDESK
    assert access.role_of(sales_agent) is Role.SALES
    assert access.role_of(no_role_staff) is None
    assert access.role_of(superuser) is Role.ADMIN


@pytest.mark.django_db
def test_an_inactive_member_has_no_role(admin_agent: User) -> None:
    admin_agent.is_active = False
    assert access.role_of(admin_agent) is None


@pytest.mark.django_db
def test_a_member_of_several_groups_gets_the_strongest_role(sales_agent: User) -> None:
    sales_agent.groups.add(Group.objects.get(name="Helpdesk agent"))
    fresh = User.objects.get(pk=sales_agent.pk)
    assert access.role_of(fresh) is Role.HELPDESK


@pytest.mark.django_db
def test_role_of_costs_one_query_per_request(
    admin_agent: User, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    fresh = User.objects.get(pk=admin_agent.pk)
    with django_assert_num_queries(1):
        for _ in range(3):
            access.role_of(fresh)
            access.can_export(fresh)


EXPECTED: dict[str, set[Capability]] = {
    "admin_agent": set(Capability),
    "superuser": set(Capability),
    "helpdesk_agent": {
        Capability.VIEW,
        Capability.EXPORT,
        Capability.UPDATE_USER,
        Capability.RESET_PASSWORD,
        Capability.RESTORE_USER,
    },
    "sales_agent": {Capability.VIEW},
    "no_role_staff": set(),
}


@pytest.mark.django_db
@pytest.mark.parametrize("member", sorted(EXPECTED))
def test_each_member_has_exactly_the_capabilities_of_their_role(
    member: str, request: pytest.FixtureRequest
) -> None:
    user = request.getfixturevalue(member)
    assert set(access.capabilities_of(user)) == EXPECTED[member]
    assert {c for c in Capability if access.has_capability(user, c)} == EXPECTED[member]
    # The checks with a rule of their own agree with the role's capabilities.
    checks = {
        Capability.EXPORT: access.can_export,
        Capability.UPDATE_USER: access.can_update_user,
        Capability.CHANGE_ROLES_OR_LICENSES: access.can_change_roles_or_licenses,
    }
    assert {capability for capability, check in checks.items() if check(user)} == (
        EXPECTED[member] & set(checks)
    )


@pytest.mark.django_db
def test_a_helpdesk_agent_may_update_names_and_location_but_not_the_username(
    helpdesk_agent: User,
) -> None:
    assert access.can_update_user(
        helpdesk_agent, fields=["first_name", "last_name", "display_name", "usage_location"]
    )
    assert not access.can_update_user(helpdesk_agent, fields=["user_principal_name"])
    assert not access.can_update_user(
        helpdesk_agent, fields=["display_name", "user_principal_name"]
    )


@pytest.mark.django_db
def test_an_admin_agent_may_update_any_field(admin_agent: User) -> None:
    assert access.can_update_user(admin_agent, fields=["user_principal_name", "display_name"])


@pytest.mark.django_db
def test_a_sales_agent_may_update_no_field(sales_agent: User) -> None:
    assert not access.can_update_user(sales_agent, fields=["display_name"])


TARGETED = sorted(access.TARGETED_ACTIONS)


@pytest.mark.django_db
@pytest.mark.parametrize("action", TARGETED)
def test_only_an_admin_agent_may_act_on_a_user_who_holds_a_directory_role(
    action: Capability, admin_agent: User, helpdesk_agent: User, sales_agent: User
) -> None:
    assert access.can_act_on_user(admin_agent, action, target_holds_directory_role=True)
    assert not access.can_act_on_user(helpdesk_agent, action, target_holds_directory_role=True)
    assert not access.can_act_on_user(sales_agent, action, target_holds_directory_role=True)


@pytest.mark.django_db
def test_a_helpdesk_agent_may_reset_and_restore_an_ordinary_user_but_not_delete_one(
    helpdesk_agent: User,
) -> None:
    def allowed(action: Capability) -> bool:
        return access.can_act_on_user(helpdesk_agent, action, target_holds_directory_role=False)

    assert allowed(Capability.RESET_PASSWORD)
    assert allowed(Capability.RESTORE_USER)
    assert allowed(Capability.UPDATE_USER)
    assert not allowed(Capability.DELETE_USER)


@pytest.mark.django_db
def test_the_protected_account_rule_refuses_an_action_that_targets_no_user(
    admin_agent: User,
) -> None:
    with pytest.raises(ValueError, match="not an action on one customer user"):
        access.can_act_on_user(admin_agent, Capability.EXPORT, target_holds_directory_role=False)


@pytest.mark.django_db
def test_check_act_on_user_explains_the_protected_account(helpdesk_agent: User) -> None:
    with pytest.raises(PermissionDenied, match="only an Admin agent"):
        access.check_act_on_user(
            helpdesk_agent, Capability.RESET_PASSWORD, target_holds_directory_role=True
        )


@pytest.mark.django_db
def test_check_capability_tells_a_member_without_role_to_ask_a_superuser(
    no_role_staff: User,
) -> None:
    with pytest.raises(access.NoRoleError, match="Ask a superuser"):
        access.check_capability(no_role_staff, Capability.VIEW)


@pytest.mark.django_db
def test_require_capability_refuses_a_role_without_it(sales_agent: User) -> None:
    @access.require_capability(Capability.EXPORT)
    def export(request: HttpRequest) -> HttpResponse:
        raise AssertionError("the view must not run")

    request = RequestFactory().get("/export")
    request.user = sales_agent
    with pytest.raises(PermissionDenied, match=r"Sales agent"):
        export(request)


# --- Django's admin: superusers only ----------------------------------------------------------


@pytest.mark.django_db
def test_a_staff_member_who_is_not_a_superuser_cannot_enter_the_admin(
    client: Client, helpdesk_agent: User
) -> None:
    from django.contrib.auth.models import Permission

    # Even with is_staff and user permissions granted by mistake.
    helpdesk_agent.is_staff = True
    helpdesk_agent.save(update_fields=["is_staff"])
    helpdesk_agent.user_permissions.add(*Permission.objects.filter(codename__endswith="_user"))
    client.force_login(helpdesk_agent)
    for url in ("/admin/", "/admin/auth/user/", "/admin/auth/user/add/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/admin/login/")


# The admin's sidebar lists the sandbox's fault settings, which it reads from the sandbox alias.
@pytest.mark.django_db(databases=["default", "sandbox"])
def test_a_superuser_administers_staff_accounts_and_roles(client: Client, superuser: User) -> None:
    client.force_login(superuser)
    assert client.get("/admin/auth/user/").status_code == 200
    assert client.get("/admin/auth/group/").status_code == 200
