"""Dashboard and customers. Thin: access check, then render; logic arrives with the SDK."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render

from portal.access import Capability, require_capability
from portal.http import HtmxHttpRequest


@require_capability(Capability.VIEW)
def dashboard(request: HtmxHttpRequest) -> HttpResponse:
    """The landing page: one search box and the panels; htmx's Refresh swaps only the panels."""
    template = "customers/dashboard.html"
    if request.htmx:
        template += "#panels"
    return render(request, template)


@require_capability(Capability.VIEW)
def customer_list(request: HtmxHttpRequest) -> HttpResponse:
    """The customers list. Until the Partner Center SDK lands it only echoes the search."""
    query = request.GET.get("q", "").strip()[:200]
    return render(request, "customers/list.html", {"query": query})
