"""Finding customers and users the way Partner Center answers for them (404s, 403s, purging)."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.conf import settings

from portal.sandbox import clock
from portal.sandbox.api.wire import (
    ACCESS_DENIED,
    TENANT_NOT_FOUND,
    USER_NOT_FOUND,
    ApiError,
)
from portal.sandbox.models import Customer, CustomerUser, Domain


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value.strip())
    except ValueError:
        return None


def find_customer(customer_id: str, *, delegated: bool = True) -> Customer:
    """The customer, or 404 60003; with `delegated`, 403 when the partner has no delegated access.

    Everything that reads or changes the customer's directory (users, roles, licenses, domains,
    company profile) needs delegated access; listing and getting the customer does not.
    """
    key = _uuid(customer_id)
    customer = Customer.objects.filter(pk=key).first() if key else None
    if customer is None:
        raise ApiError(404, TENANT_NOT_FOUND, f"The customer {customer_id} was not found.")
    if delegated and not customer.allow_delegated_access:
        raise ApiError(
            403,
            ACCESS_DENIED,
            "Access denied: the partner has no delegated administration rights for customer "
            f"{customer.id}. Ask the customer to approve a delegated admin relationship.",
        )
    return customer


def initial_domain(customer: Customer) -> str:
    domain = Domain.objects.filter(customer=customer, is_initial=True).first()
    return domain.name if domain else ""


def domain_names(customer: Customer) -> list[str]:
    """The customer's domains, the initial (*.onmicrosoft.com) one first."""
    return list(
        Domain.objects.filter(customer=customer)
        .order_by("-is_initial", "name")
        .values_list("name", flat=True)
    )


def purge_expired(customer: Customer) -> None:
    """Delete users whose 30-day window has passed: from then on every call answers 404 60002."""
    cutoff = clock.now() - timedelta(days=settings.SANDBOX_RETENTION_DAYS)
    expired = CustomerUser.objects.filter(
        customer=customer, state=CustomerUser.INACTIVE, soft_deletion_time__lt=cutoff
    )
    # Look before deleting: on SQLite even an empty DELETE takes the write lock.
    if expired.exists():
        expired.delete()


def find_user(customer: Customer, user_id: str) -> CustomerUser:
    """The user (active or deleted within 30 days), or 404 60002."""
    purge_expired(customer)
    key = _uuid(user_id)
    user = CustomerUser.objects.filter(customer=customer, pk=key).first() if key else None
    if user is None:
        raise ApiError(404, USER_NOT_FOUND, f"The user {user_id} was not found.")
    return user


def find_active_user(customer: Customer, user_id: str) -> CustomerUser:
    """The user if active; a deleted one answers 404 60002 as if it were gone."""
    user = find_user(customer, user_id)
    if user.state != CustomerUser.ACTIVE:
        raise ApiError(404, USER_NOT_FOUND, f"The user {user_id} is deleted; restore it first.")
    return user
