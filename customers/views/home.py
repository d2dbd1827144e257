"""The dashboard and its one search box, across every customer in the directory."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from customers.directory.customer_queries import (
    clean_query,
    customer_get,
    customers_matching,
    directory_health,
)
from customers.directory.search import users_search
from customers.services import customers_ensure, user_lookup
from portal.audit.records import ACTION_LABELS, recent_activity
from portal.partnercenter import PartnerCenterError
from portal.staff.access import Capability, has_capability, require_capability, visible_customers
from portal.web.clients import partner_center_for
from portal.web.http import HtmxHttpRequest
from portal.web.paging import pager, with_query
from portal.web.problems import Problem, partner_center_problem
from users.bulk.job_selectors import bulk_jobs_dashboard
from users.bulk.schedule_selectors import scheduled_changes, visible_kinds

# A search lists at most this many customers above the users (the customers list has the rest).
SEARCH_CUSTOMERS = 10


@require_capability(Capability.VIEW)
def dashboard(request: HtmxHttpRequest) -> HttpResponse:
    """The landing page: one search box and the panels; htmx's Refresh swaps only the panels."""
    problem: Problem | None = None
    try:
        customers_ensure(pc=partner_center_for(request))
    except PartnerCenterError as error:
        # The dashboard stays useful (search, recent activity): only its count panel says why.
        problem = partner_center_problem(request, error)
    template = "customers/dashboard.html"
    if request.htmx:
        template += "#panels"
    customer_ids = visible_customers(request.user)
    context = {
        "health": directory_health(customer_ids=customer_ids),
        "problem": problem,
        # StrEnum members hash as their values, so the stored string finds its label.
        "activity": [
            (record, ACTION_LABELS.get(record.action, record.action))
            for record in recent_activity(limit=8, changes_only=True, customer_ids=customer_ids)
        ],
        # Bulk uploads in progress, stalled, or waiting for this staff member's download.
        # The next few scheduled changes (held ones among them) the person may see.
        "scheduled": scheduled_changes(visible=visible_kinds(request.user), upcoming=True, limit=5),
        "uploads": bulk_jobs_dashboard(
            staff=request.user,
            customer_ids=visible_customers(request.user, Capability.BULK_UPLOAD),
        )
        if isinstance(request.user, User) and has_capability(request.user, Capability.BULK_UPLOAD)
        else None,
    }
    return render(request, template, context)


@require_capability(Capability.VIEW)
def search(request: HtmxHttpRequest) -> HttpResponse:
    """The dashboard's search: an exact username opens that user; anything else lists the
    customers whose name or a domain contains it and the users of every customer whose words
    it starts, exact matches first."""
    query = clean_query(request.GET.get("q", ""))
    if not query:
        return redirect("customers:dashboard")
    problem: Problem | None = None
    try:
        customers_ensure(pc=partner_center_for(request))
    except PartnerCenterError as error:
        problem = partner_center_problem(request, error)
    customer_ids = visible_customers(request.user)
    username = "@" in query and " " not in query
    username_customer = None
    if username:
        found = user_lookup(username=query, customer_ids=customer_ids)
        if found is not None and found.user_id is not None:
            return redirect("users:detail", customer_id=found.customer_id, user_id=found.user_id)
        username_customer = customer_get(found.customer_id) if found else None
    customers = customers_matching(query, customer_ids=customer_ids)
    shown = list(customers[:SEARCH_CUSTOMERS])
    page = users_search(query, request.GET.get("page"), customer_ids=customer_ids)
    url = reverse("customers:search")
    health = directory_health(customer_ids=customer_ids)
    context = {
        "query": query,
        "problem": problem,
        "customers": shown,
        # Fewer than a full list: every match is shown, and counting them again is a query.
        "customers_count": len(shown) if len(shown) < SEARCH_CUSTOMERS else customers.count(),
        "customers_url": with_query(reverse("customers:list"), q=query),
        "page": page,
        "pager": pager(page, lambda number: with_query(url, q=query, page=number)),
        "health": health,
        # A username nobody active has: the customer its domain names, if any.
        "username": username,
        "username_customer": username_customer,
        "domain": query.rpartition("@")[2],
    }
    return render(request, "customers/search.html", context)
