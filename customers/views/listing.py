"""The customers list: the directory's customers, searched and paged in SQL, each with its user
counts, delegated access and how fresh its mirror is."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from customers.directory.customer_queries import PAGE_SIZE, clean_query, customers_matching
from customers.directory.models import DirectoryCustomer
from customers.services import customers_ensure, customers_refresh
from portal.partnercenter import PartnerCenterError
from portal.staff.access import Capability, require_capability, visible_customers
from portal.web.clients import partner_center_for
from portal.web.http import HtmxHttpRequest
from portal.web.paging import pager, with_query
from portal.web.problems import Problem, partner_center_problem


@require_capability(Capability.VIEW)
def customer_list(request: HtmxHttpRequest) -> HttpResponse:
    """Customers whose company name or one of whose domains contains `q`, 50 a page; htmx gets
    the rows."""
    query = clean_query(request.GET.get("q", ""))
    problem: Problem | None = None
    try:
        customers_ensure(pc=partner_center_for(request))
    except PartnerCenterError as error:
        problem = partner_center_problem(request, error)
    customers = (
        customers_matching(query, customer_ids=visible_customers(request.user))
        if problem is None
        else DirectoryCustomer.objects.none()
    )
    page = Paginator(customers, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "query": query,
        "page": page,
        "problem": problem,
        "pager": pager(page, lambda number: with_query(_list_url(), q=query, page=number)),
    }
    template = "customers/list.html#results" if request.htmx else "customers/list.html"
    response = render(request, template, context, status=problem.status if problem else 200)
    return problem.apply_headers(response) if problem else response


@require_POST
@require_capability(Capability.VIEW)
def customer_list_refresh(request: HtmxHttpRequest) -> HttpResponse:
    """Refresh: read the customers list from Partner Center again, then show it."""
    query = clean_query(request.POST.get("q", ""))
    try:
        customers_refresh(pc=partner_center_for(request))
    except PartnerCenterError as error:
        messages.error(request, partner_center_problem(request, error).with_id)
    return redirect(with_query(_list_url(), q=query))


def _list_url() -> str:
    return reverse("customers:list")
