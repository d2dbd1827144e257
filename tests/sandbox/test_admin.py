"""The sandbox in Django's admin: fault settings editable, customers and users only to look at."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from portal import urls as portal_urls
from portal.sandbox.models import Customer, CustomerUser, Domain, FaultSettings

# The portal's URLs without the sandbox's REST routes: these tests are about the admin classes
# and must not depend on whether the REST routes can be reversed.
urlpatterns = [
    pattern for pattern in portal_urls.urlpatterns if not str(pattern.pattern).startswith("sandbox")
]

pytestmark = [
    pytest.mark.django_db(databases=["default", "sandbox"]),
    pytest.mark.urls(__name__),
]


@pytest.fixture
def superuser_client(client: Client) -> Client:
    user = get_user_model().objects.create_superuser("root", "root@example.com", "x")
    client.force_login(user)
    return client


@pytest.fixture
def customer() -> Customer:
    now = timezone.now()
    customer = Customer.objects.create(company_name="Contoso Ltd", created_at=now)
    Domain.objects.create(customer=customer, name="contoso.onmicrosoft.com", is_initial=True)
    CustomerUser.objects.create(
        customer=customer,
        user_principal_name="megan.bowen@contoso.onmicrosoft.com",
        display_name="Megan Bowen",
        password_last_set_at=now,
        created_at=now,
    )
    return customer


def test_it_lets_a_superuser_change_the_fault_settings_but_not_add_or_delete_them(
    superuser_client: Client,
) -> None:
    faults = FaultSettings.current()
    base = "/admin/sandbox/faultsettings"
    assert superuser_client.get(f"{base}/{faults.pk}/change/").status_code == 200
    assert superuser_client.get(f"{base}/add/").status_code == 403
    assert superuser_client.get(f"{base}/{faults.pk}/delete/").status_code == 403


def test_it_finds_a_user_by_username_and_shows_no_password_field(
    superuser_client: Client, customer: Customer
) -> None:
    found = superuser_client.get("/admin/sandbox/customeruser/", {"q": "megan.bowen"})
    assert found.status_code == 200
    assert "megan.bowen@contoso.onmicrosoft.com" in found.text
    user = customer.users.get()
    page = superuser_client.get(f"/admin/sandbox/customeruser/{user.pk}/change/")
    assert page.status_code == 200
    assert 'type="password"' not in page.text
    assert superuser_client.get("/admin/sandbox/customeruser/add/").status_code == 403


def test_it_shows_a_customers_domains_and_lets_no_one_delete_it(
    superuser_client: Client, customer: Customer
) -> None:
    page = superuser_client.get(f"/admin/sandbox/customer/{customer.pk}/change/")
    assert page.status_code == 200
    assert "contoso.onmicrosoft.com" in page.text
    assert superuser_client.get(f"/admin/sandbox/customer/{customer.pk}/delete/").status_code == 403
