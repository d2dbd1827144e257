"""Customers: list (seek paging, `starts_with` filter), by id, company profile, custom domains."""

from __future__ import annotations

import json
from typing import Any

from django.db.models import Q
from django.http import HttpRequest

from portal.sandbox.api import paging, resources
from portal.sandbox.api.lookup import domain_names, find_customer, initial_domain
from portal.sandbox.api.query import Query, takes
from portal.sandbox.api.wire import NOT_FOUND, Answer, ApiError, casefold_keys, collection, invalid
from portal.sandbox.models import Customer, Domain

_SEARCH_FIELDS = {"companyname": "company_name", "domain": "domain"}


def _customer_filter(query: Query) -> tuple[str, str] | None:
    """(field, value) of a `{"Field": ..., "Value": ..., "Operator": "starts_with"}` filter."""
    raw = query.text("filter")
    if raw is None:
        return None
    try:
        spec: Any = casefold_keys(json.loads(raw))
    except ValueError:
        raise invalid("The query parameter filter is not valid JSON.") from None
    if not isinstance(spec, dict):
        raise invalid("The query parameter filter must be a JSON object.")
    field = str(spec.get("field", "")).lower()
    operator = str(spec.get("operator", "")).lower()
    value = str(spec.get("value", "")).strip()
    if field not in _SEARCH_FIELDS:
        raise invalid("The query parameter filter can filter customers by CompanyName or Domain.")
    if operator != "starts_with":
        raise invalid("The query parameter filter can use the starts_with operator only.")
    return _SEARCH_FIELDS[field], value


@takes("size", "filter", "seekOperation")
def list_customers(request: HttpRequest, *, query: Query) -> Answer:
    """GET /v1/customers[?size=&filter=] and the next pages."""
    search = _customer_filter(query)
    size, clamped = paging.page_size(query)
    first = paging.Position(
        scope=f"customers:{search}", sort_field="company_name", descending=False, size=size
    )
    position = paging.start(request, query, first)
    customers = Customer.objects.all()
    if search:
        field, value = search
        if field == "company_name":
            customers = customers.filter(company_name__istartswith=value)
        else:
            # Any of the customer's domains (the initial one and custom ones) matches.
            matching = Domain.objects.filter(name__startswith=value.lower()).values("customer_id")
            customers = customers.filter(Q(pk__in=matching))
    rows, following = paging.page(customers, position)
    initial = dict(
        Domain.objects.filter(customer__in=rows, is_initial=True).values_list("customer_id", "name")
    )
    items = [resources.customer(row, initial.get(row.pk, "")) for row in rows]
    # A filtered list's next link keeps its filter, which the token's scope names.
    keep = {"filter": query.text("filter") or ""} if search else {}
    return Answer(
        200,
        collection(
            items, **paging.links(query, "/customers", following, clamped=clamped, keep=keep)
        ),
    )


def get_customer(request: HttpRequest, customer_id: str) -> Answer:
    """GET /v1/customers/{customer-tenant-id}"""
    customer = find_customer(customer_id, delegated=False)
    resource = resources.customer(customer, initial_domain(customer), with_delegation=True)
    return Answer(200, resource)


def company_profile(request: HttpRequest, customer_id: str) -> Answer:
    """GET /v1/customers/{customer-tenant-id}/profiles/company"""
    customer = find_customer(customer_id)
    return Answer(200, resources.company_profile(customer, initial_domain(customer)))


def custom_domains(request: HttpRequest, customer_id: str) -> Answer:
    """GET /v1/customers/{customer-tenant-id}/customDomains: a bare array of domain names."""
    customer = find_customer(customer_id)
    return Answer(200, domain_names(customer))


def domain_exists(request: HttpRequest, domain: str) -> Answer:
    """HEAD /v1/domains/{domain}: 200 when a customer has it, 404 when it is available."""
    if Domain.objects.filter(name=domain.strip().lower()).exists():
        return Answer(200)
    raise ApiError(404, NOT_FOUND, f"The domain {domain} is available.")
