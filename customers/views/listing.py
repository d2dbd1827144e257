"""The customers list: the cached list of all customers, searched and paged here."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from customers.services import CustomerRow, customer_search
from customers.services import customer_list as customers_all
from customers.views.common import pager, with_query
from portal.access import Capability, require_capability
from portal.clients import partner_center_for
from portal.http import HtmxHttpRequest
from portal.partnercenter import PartnerCenterError
from portal.problems import Problem, partner_center_problem

PAGE_SIZE = 50
MAX_QUERY = 200


@require_capability(Capability.VIEW)
def customer_list(request: HtmxHttpRequest) -> HttpResponse:
    """Customers whose company name or domain contains `q`, 50 a page; htmx gets the rows."""
    query = request.GET.get("q", "").strip()[:MAX_QUERY]
    rows: list[CustomerRow] = []
    problem: Problem | None = None
    try:
        rows = customer_search(pc=partner_center_for(request), query=query)
    except PartnerCenterError as error:
        problem = partner_center_problem(request, error)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
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
    query = request.POST.get("q", "").strip()[:MAX_QUERY]
    try:
        customers_all(pc=partner_center_for(request), refresh=True)
    except PartnerCenterError as error:
        problem = partner_center_problem(request, error)
        messages.error(request, problem.message)
    return redirect(with_query(reverse("customers:list"), q=query))


def _list_url() -> str:
    return reverse("customers:list")
