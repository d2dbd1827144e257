"""The dashboard and its one search box."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.models import User
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode

from customers.services import customer_list, user_lookup
from customers.views.common import with_query
from portal.access import Capability, has_capability, require_capability
from portal.audit import ACTION_LABELS, recent_activity
from portal.clients import partner_center_for
from portal.http import HtmxHttpRequest
from portal.partnercenter import PartnerCenterError
from portal.problems import Problem, partner_center_problem
from users.bulk.jobs import bulk_jobs_dashboard

MAX_QUERY = 200


@require_capability(Capability.VIEW)
def dashboard(request: HtmxHttpRequest) -> HttpResponse:
    """The landing page: one search box and the panels; htmx's Refresh swaps only the panels."""
    customers_count: int | None = None
    problem: Problem | None = None
    try:
        customers_count = len(customer_list(pc=partner_center_for(request)))
    except PartnerCenterError as error:
        # The dashboard stays useful (search, recent activity): only its count panel says why.
        problem = partner_center_problem(request, error)
    template = "customers/dashboard.html"
    if request.htmx:
        template += "#panels"
    context = {
        "customers_count": customers_count,
        "problem": problem,
        # StrEnum members hash as their values, so the stored string finds its label.
        "activity": [
            (record, ACTION_LABELS.get(record.action, record.action))
            for record in recent_activity(limit=8)
        ],
        # Bulk uploads in progress, stalled, or waiting for this staff member's download.
        "uploads": bulk_jobs_dashboard(staff=request.user)
        if isinstance(request.user, User) and has_capability(request.user, Capability.BULK_UPLOAD)
        else None,
    }
    return render(request, template, context)


@require_capability(Capability.VIEW)
def search(request: HtmxHttpRequest) -> HttpResponse:
    """The dashboard's search: a username lands on that user, anything else on the customers."""
    query = request.GET.get("q", "").strip()[:MAX_QUERY]
    customers_url = reverse("customers:list")
    if "@" not in query:
        return redirect(with_query(customers_url, q=query))
    try:
        found = user_lookup(pc=partner_center_for(request), username=query)
    except PartnerCenterError as error:
        problem = partner_center_problem(request, error)
        messages.error(request, problem.with_id)
        return redirect("customers:dashboard")
    domain = query.rpartition("@")[2]
    if found is None:
        messages.warning(request, f"No customer has the domain {domain}.")
        return redirect(f"{customers_url}?{urlencode({'q': domain})}")
    if found.user_id is None:
        messages.info(
            request,
            f"No active user with the username {query} was found; here is the customer its "
            "domain belongs to.",
        )
        return redirect("customers:users", customer_id=found.customer_id)
    return redirect("users:detail", customer_id=found.customer_id, user_id=found.user_id)
