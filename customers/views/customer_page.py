"""The customer page: Users and licenses (default tab), Deleted users (N), loading, Refresh, Export.

Both tabs read the customer's snapshot (customers/snapshots.py). A large customer's first view
starts a background load: the tab shows its progress, which polls `customer_loading` every 2s
with htmx until the snapshot is there; without JavaScript the page refreshes itself instead.
"""

from __future__ import annotations

from typing import Any, Final
from uuid import UUID

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRefresh, HttpResponseStopPolling

from customers.selectors import (
    SORT_KEYS,
    UserListQuery,
    deleted_users_by_purge,
    users_matching,
)
from customers.services import (
    CustomerRow,
    users_export,
    users_snapshot_open,
    users_snapshot_poll,
    users_snapshot_refresh,
)
from customers.snapshots import CustomerSnapshot, LoadProgress
from customers.views.common import customer_or_404, customer_tabs, pager, with_query
from portal.access import Capability, has_capability, require_capability
from portal.audit import Actor
from portal.clients import partner_center_for
from portal.http import HtmxHttpRequest
from portal.partnercenter import PartnerCenterError
from portal.problems import Problem, partner_center_problem
from users.bulk.jobs import bulk_jobs_for_customer

PAGE_SIZE: Final = 50
# Seconds between two looks at a background load, with htmx and without (the Refresh header).
POLL_SECONDS: Final = 2
_TEMPLATES: Final = {"users": "customers/users.html", "deleted": "customers/deleted_users.html"}
_COLUMNS: Final = {"name": "Display name", "username": "Username", "location": "Location"}

State = CustomerSnapshot | LoadProgress


@require_capability(Capability.VIEW)
def customer_users(request: HtmxHttpRequest, customer_id: UUID) -> HttpResponse:
    """Users and licenses: search, sort and page the snapshot; htmx gets only the results."""
    pc = partner_center_for(request)
    try:
        customer = customer_or_404(pc=pc, customer_id=customer_id)
    except PartnerCenterError as error:
        return _problem_page(request, "users", str(customer_id), None, error)
    try:
        state = users_snapshot_open(pc=pc, customer_id=customer.id)
    except PartnerCenterError as error:
        return _problem_page(request, "users", customer.id, customer, error)
    if request.htmx and request.htmx.target == "users-results":
        if not isinstance(state, CustomerSnapshot):
            # The snapshot expired between two clicks: the whole page shows the load.
            return HttpResponseClientRefresh()
        context = _page_context(customer.id, customer, state, "users")
        context.update(_users_context(request, customer, state))
        return render(request, "customers/users.html#results", context)
    return _tab_page(request, "users", customer, state)


@require_capability(Capability.VIEW)
def customer_deleted_users(request: HtmxHttpRequest, customer_id: UUID) -> HttpResponse:
    """Deleted users (N): when each was deleted, its purge date and whole days left."""
    pc = partner_center_for(request)
    try:
        customer = customer_or_404(pc=pc, customer_id=customer_id)
    except PartnerCenterError as error:
        return _problem_page(request, "deleted", str(customer_id), None, error)
    try:
        state = users_snapshot_open(pc=pc, customer_id=customer.id)
    except PartnerCenterError as error:
        return _problem_page(request, "deleted", customer.id, customer, error)
    return _tab_page(request, "deleted", customer, state)


@require_capability(Capability.VIEW)
def customer_loading(request: HtmxHttpRequest, customer_id: UUID) -> HttpResponse:
    """Where a tab waiting for a background load looks every 2s.

    htmx: the tab's whole page (the progress element selects `#customer-page` out of it), with
    286 to stop polling once the load has finished or failed. A plain request (no JavaScript)
    answers the same page with a `Refresh` header while loading, and goes to the tab when done.
    """
    tab = "deleted" if request.GET.get("tab") == "deleted" else "users"
    pc = partner_center_for(request)
    try:
        customer = customer_or_404(pc=pc, customer_id=customer_id)
        state = users_snapshot_poll(pc=pc, customer_id=customer.id)
    except PartnerCenterError as error:
        return _problem_page(request, tab, str(customer_id), None, error, stop_polling=True)
    loading = isinstance(state, LoadProgress) and state.state == "loading"
    if not request.htmx and isinstance(state, CustomerSnapshot):
        return redirect(_tab_url(tab, customer.id))
    response = _tab_page(request, tab, customer, state, polled=True)
    if request.htmx and not loading:
        response.status_code = HttpResponseStopPolling.status_code
    elif not request.htmx and loading:
        response["Refresh"] = str(POLL_SECONDS)
    return response


@require_POST
@require_capability(Capability.VIEW)
def customer_refresh(request: HtmxHttpRequest, customer_id: UUID) -> HttpResponse:
    """Refresh: forget the snapshot, so the tab reads Partner Center again."""
    users_snapshot_refresh(customer_id=str(customer_id))
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
        back = _tab_url("users", str(customer_id))
    return redirect(back)


@require_POST
@require_capability(Capability.EXPORT)
def customer_users_export(request: HtmxHttpRequest, customer_id: UUID) -> HttpResponse:
    """Export: the users matching the list's search, in its order, as a formula-safe CSV."""
    query = UserListQuery.from_params(request.POST.dict())
    users_url = _tab_url("users", str(customer_id))
    back = with_query(users_url, q=query.search, sort=_sort_param(query), dir=_dir_param(query))
    try:
        result = users_export(
            pc=partner_center_for(request),
            actor=Actor.from_request(request),
            customer_id=str(customer_id),
            query=query,
        )
    except PartnerCenterError as error:
        problem = partner_center_problem(request, error)
        messages.error(request, problem.with_id)
        return redirect(back)
    if isinstance(result, LoadProgress):
        messages.info(request, "The users are still being read. Export once the list is shown.")
        return redirect(back)
    response = HttpResponse(result.content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{result.filename}"'
    response["Cache-Control"] = "no-store"
    return response


# --- Rendering ------------------------------------------------------------------------------


def _tab_page(
    request: HtmxHttpRequest,
    tab: str,
    customer: CustomerRow,
    state: State,
    *,
    polled: bool = False,
) -> HttpResponse:
    context = _page_context(customer.id, customer, state, tab)
    if isinstance(state, LoadProgress) and state.state == "failed":
        context["problem"] = Problem(
            message=f"Reading the users failed: {state.error}",
            correlation_id=state.correlation_id,
            status=200 if request.htmx else 502,
            kind="error",
        )
        context["retry_url"] = _tab_url(tab, customer.id)
    elif isinstance(state, CustomerSnapshot):
        if tab == "users":
            context.update(_users_context(request, customer, state))
            if has_capability(request.user, Capability.BULK_UPLOAD):
                context["past_uploads"] = bulk_jobs_for_customer(customer_id=customer.id, limit=10)
        else:
            context["lines"] = deleted_users_by_purge(snapshot=state, now=timezone.now())
    context["polled"] = polled
    status = context["problem"].status if "problem" in context else 200
    return render(request, _TEMPLATES[tab], context, status=status)


def _problem_page(
    request: HtmxHttpRequest,
    tab: str,
    customer_id: str,
    customer: CustomerRow | None,
    error: PartnerCenterError,
    *,
    stop_polling: bool = False,
) -> HttpResponse:
    problem = partner_center_problem(
        request, error, company_name=customer.company_name if customer else ""
    )
    context = _page_context(customer_id, customer, None, tab)
    context.update(problem=problem, retry_url=request.get_full_path())
    if request.htmx and request.htmx.target == "users-results":
        return render(request, "customers/users.html#results", context, status=problem.status)
    status = HttpResponseStopPolling.status_code if stop_polling and request.htmx else None
    response = render(request, _TEMPLATES[tab], context, status=status or problem.status)
    return problem.apply_headers(response)


def _page_context(
    customer_id: str, customer: CustomerRow | None, state: State | None, tab: str
) -> dict[str, Any]:
    return {
        "customer_id": customer_id,
        "customer": customer,
        "company_name": customer.company_name if customer else "Customer",
        "snapshot": state if isinstance(state, CustomerSnapshot) else None,
        "progress": state if isinstance(state, LoadProgress) else None,
        "tabs": customer_tabs(customer_id=customer_id, state=state, current=tab),
        "tab": tab,
        "loading_url": with_query(reverse("customers:loading", args=[customer_id]), tab=tab),
        "poll_seconds": POLL_SECONDS,
    }


def _users_context(
    request: HtmxHttpRequest, customer: CustomerRow, snapshot: CustomerSnapshot
) -> dict[str, Any]:
    query = UserListQuery.from_params(request.GET.dict())
    rows = users_matching(snapshot=snapshot, query=query)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    url = _tab_url("users", customer.id)

    def page_url(number: int) -> str:
        return with_query(
            url, q=query.search, sort=_sort_param(query), dir=_dir_param(query), page=number
        )

    return {
        "query": query,
        "page": page,
        "pager": pager(page, page_url),
        "columns": _columns(url, query),
    }


def _columns(url: str, query: UserListQuery) -> list[dict[str, str]]:
    """The sortable column headers: a link that sorts by the column, or reverses its order."""
    columns = []
    for key in SORT_KEYS:
        current = query.sort == key
        descending = current and not query.descending
        sort = "" if key == "name" else key
        columns.append(
            {
                "label": _COLUMNS[key],
                "url": with_query(url, q=query.search, sort=sort, dir="desc" if descending else ""),
                "aria_sort": ("descending" if query.descending else "ascending") if current else "",
            }
        )
    return columns


def _sort_param(query: UserListQuery) -> str:
    return "" if query.sort == "name" else query.sort


def _dir_param(query: UserListQuery) -> str:
    return "desc" if query.descending else ""


def _tab_url(tab: str, customer_id: str) -> str:
    return reverse(
        "customers:deleted" if tab == "deleted" else "customers:users", args=[customer_id]
    )
