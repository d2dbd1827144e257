"""The user page (read only in this issue): details, roles, licenses, protected accounts, errors."""

from __future__ import annotations

import uuid

import pytest
from django.contrib.auth.models import User
from django.test import Client

from customers.directory.models import DirectoryCustomer, DirectoryUser
from customers.directory.user_queries import users_of
from customers.templatetags.portal_format import country_name
from portal.partnercenter import Throttled
from portal.sandbox import seed_plan
from tests.directory_data import synced

pytestmark = [
    pytest.mark.django_db(databases=["default", "sandbox"]),
    pytest.mark.usefixtures("seeded_sandbox", "empty_cache"),
]

CONTOSO = str(seed_plan.CUSTOM_DOMAIN_CUSTOMER_ID)
ADATUM = str(seed_plan.NO_ACCESS_CUSTOMER_ID)


@pytest.fixture
def contoso() -> DirectoryCustomer:
    return synced(CONTOSO)


def users(customer: DirectoryCustomer) -> list[DirectoryUser]:
    return list(users_of(customer).order_by("display_key"))


def url(customer_id: str, user_id: str) -> str:
    return f"/customers/{customer_id}/users/{user_id}/"


def test_the_user_page_shows_details_and_licences_of_a_plain_user(
    client: Client, sales_agent: User, contoso: DirectoryCustomer
) -> None:
    user = next(u for u in users(contoso) if not u.roles and u.first_name)
    client.force_login(sales_agent)
    response = client.get(url(CONTOSO, user.user_id))
    assert response.status_code == 200
    page = response.content.decode()
    assert f"<h1>{user.display_name}</h1>" in page
    assert f'<a href="/customers/{CONTOSO}/">Contoso Ltd</a>' in page  # breadcrumbs
    assert f"<dt>Username</dt><dd>{user.user_principal_name}</dd>" in page
    assert f"<dt>First name</dt><dd>{user.first_name}</dd>" in page
    assert f"<dt>Location</dt><dd>{country_name(user.usage_location)}</dd>" in page
    assert "<dt>State</dt><dd>Active</dd>" in page
    assert "No administrator roles" in page
    assert "Protected account" not in page
    assert "Microsoft 365 Business Premium" in page or "Exchange Online" in page


def test_a_user_with_a_directory_role_is_a_protected_account(
    client: Client, helpdesk_agent: User, contoso: DirectoryCustomer
) -> None:
    admin = next(u for u in users(contoso) if u.roles)
    client.force_login(helpdesk_agent)
    page = client.get(url(CONTOSO, admin.user_id)).content.decode()
    assert "Protected account." in page
    assert "only Admin agents may change, reset, delete or restore it" in page
    for role in admin.roles.split(", "):
        assert f"<li>{role}</li>" in page


def test_a_user_that_does_not_exist_is_a_404_that_says_why(
    client: Client, sales_agent: User
) -> None:
    client.force_login(sales_agent)
    response = client.get(url(CONTOSO, str(uuid.uuid4())))
    assert response.status_code == 404
    page = response.content.decode()
    assert "This user does not exist in the customer&#x27;s directory" in page
    assert "Correlation id: <code>" in page
    assert "Back to Contoso Ltd's users" in page


def test_a_customer_without_delegated_access_says_so(client: Client, sales_agent: User) -> None:
    client.force_login(sales_agent)
    response = client.get(url(ADATUM, str(uuid.uuid4())))
    assert response.status_code == 403
    assert "The partner has no delegated admin access to Adatum Corporation" in (
        response.content.decode()
    )


def test_throttling_says_when_to_try_again(
    client: Client, sales_agent: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    def throttled(**kwargs: object) -> None:
        raise Throttled("busy", retry_after=7.4, correlation_id="corr-user-429")

    monkeypatch.setattr("users.selectors.user_details", throttled)
    client.force_login(sales_agent)
    response = client.get(url(CONTOSO, str(uuid.uuid4())))
    assert response.status_code == 503
    assert response["Retry-After"] == "7"
    page = response.content.decode()
    assert "Partner Center is busy. Try again in 7 seconds." in page
    assert "corr-user-429" in page
    assert "Try again</a>" in page


def test_an_unknown_customer_is_a_404(client: Client, sales_agent: User) -> None:
    client.force_login(sales_agent)
    assert client.get(url(str(uuid.uuid4()), str(uuid.uuid4()))).status_code == 404


def test_who_may_see_the_user_page(
    client: Client, no_role_staff: User, contoso: DirectoryCustomer
) -> None:
    address = url(CONTOSO, users(contoso)[0].user_id)
    anonymous = client.get(address)
    assert anonymous.status_code == 302
    assert anonymous["Location"] == f"/sign-in/?next={address}"
    client.force_login(no_role_staff)
    assert client.get(address).status_code == 403
