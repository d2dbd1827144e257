"""The customer page: Users and licenses (default tab), Deleted users (N), loading, Refresh, Export.

Both tabs read the directory (`customers/directory`): search, sort, paging and counts are SQL on
the customer's mirror. Opening a customer whose mirror is older than `PORTAL_DIRECTORY_TTL` asks
for a sync in the background and shows the mirror it has, with how old it is and the sync's
progress; only a customer never read shows a progress page, which polls `customer_loading`
every 2s with htmx (without JavaScript the page refreshes itself).
"""

from __future__ import annotations

from typing import Any, Final
from uuid import UUID

from django.contrib import messages
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRefresh, HttpResponseStopPolling

from customers.directory.customer_queries import clean_query
from customers.directory.list_choices import users_list_choices
from customers.directory.models import DirectoryCustomer
from customers.directory.user_queries import UserListQuery, deleted_page, users_page
from customers.pages import (
    CustomerLinks,
    customer_or_404,
    customer_tabs,
    customer_url,
    restore_report_take,
    shows_problems,
    sync_problem,
)
from customers.services import (
    CustomerRow,
    DeletedLine,
    customer_users_open,
    customer_users_refresh,
    users_export,
)
from customers.users_list import columns, filters_of, user_lines
from portal.audit.records import Actor
from portal.partnercenter import PartnerCenterError
from portal.staff.access import Capability, has_capability, require_capability
from portal.web.clients import partner_center_for
from portal.web.http import HtmxHttpRequest, csv_attachment
from portal.web.paging import pager, with_query
from portal.web.problems import partner_center_problem
from users.bulk.job_selectors import bulk_jobs_for_customer, customer_jobs
from users.bulk.schedule_selectors import scheduled_changes, visible_kinds
from users.selected import SELECTION_LIMIT, SelectedAction

# Seconds between two looks at a sync a page waits for, with htmx and without (Refresh header).
POLL_SECONDS: Final = 2
_TEMPLATES: Final = {"users": "customers/users.html", "deleted": "customers/deleted_users.html"}


@require_capability(Capability.VIEW)
@shows_problems(lambda request: _template(request, "users"))
def customer_users(request: HtmxHttpRequest, customer_id: UUID) -> HttpResponse:
    """Users and licenses: search, sort and page the mirror; htmx gets only the results."""
    customer = customer_or_404(pc=partner_center_for(request), customer_id=customer_id)
    # The filter form sends every filter, "All" as an empty value: the address keeps only
    # what is set (a redirect without JavaScript, the address htmx shows with it).
    query = UserListQuery.from_params(request.GET.dict())
    address = with_query(_tab_url("users", customer.id), **query.params(page=_page(request)))
    set_aside = any(value == "" for value in request.GET.values())
    if set_aside and not request.htmx:
        return redirect(address)
    customer_users_open(customer.mirror)
    if request.htmx and request.htmx.target == "users-results":
        if not customer.mirror.mirrored:
            return HttpResponseClientRefresh()  # the whole page shows the sync's progress
        context = _page_context(customer, "users")
        context.update(_users_context(request, customer))
        response = render(request, "customers/users.html#results", context)
        response["HX-Push-Url"] = address
        return response
    return _tab_page(request, "users", customer)


def _page(request: HtmxHttpRequest) -> str:
    return request.GET.get("page", "")


@require_capability(Capability.VIEW)
@shows_problems(_TEMPLATES["deleted"])
def customer_deleted_users(request: HtmxHttpRequest, customer_id: UUID) -> HttpResponse:
    """Deleted users (N): when each was deleted, its purge date and whole days left."""
    customer = customer_or_404(pc=partner_center_for(request), customer_id=customer_id)
    customer_users_open(customer.mirror)
    return _tab_page(request, "deleted", customer)


@require_capability(Capability.VIEW)
@shows_problems(lambda request: _template(request, _loading_tab(request)), stop_polling=True)
def customer_loading(request: HtmxHttpRequest, customer_id: UUID) -> HttpResponse:
    """Where a tab waiting for a customer's first sync looks every 2s.

    htmx: the tab's whole page (the progress element selects `#customer-page` out of it), with
    286 to stop polling once the sync has finished or failed. A plain request (no JavaScript)
    answers the same page with a `Refresh` header while reading, and goes to the tab when done.
    Looking never starts a sync again after a failure: the page says why, and Refresh retries.
    """
    tab = _loading_tab(request)
    customer = customer_or_404(pc=partner_center_for(request), customer_id=customer_id)
    mirror = customer.mirror
    if mirror.sync_state == DirectoryCustomer.SYNC_IDLE and not mirror.mirrored:
        customer_users_open(mirror)  # nothing under way (e.g. the queue lost it): ask again
    waiting = not mirror.mirrored and mirror.sync_state != DirectoryCustomer.SYNC_FAILED
    if not request.htmx and mirror.mirrored:
        return redirect(_tab_url(tab, customer.id))
    response = _tab_page(request, tab, customer, polled=True)
    if request.htmx and not waiting:
        response.status_code = HttpResponseStopPolling.status_code
    elif not request.htmx and waiting:
        response["Refresh"] = str(POLL_SECONDS)
    return response


@require_POST
@require_capability(Capability.VIEW)
def customer_refresh(request: HtmxHttpRequest, customer_id: UUID) -> HttpResponse:
    """Refresh: read the customer from Partner Center again, now; the page shows its progress."""
    pc = partner_center_for(request)
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
        back = _tab_url("users", str(customer_id))
    try:
        customer = customer_or_404(pc=pc, customer_id=customer_id)
    except PartnerCenterError as error:
        messages.error(request, partner_center_problem(request, error).with_id)
        return redirect(back)
    customer_users_refresh(customer.mirror)
    return redirect(back)


@require_POST
@require_capability(Capability.EXPORT)
def customer_users_export(request: HtmxHttpRequest, customer_id: UUID) -> HttpResponseBase:
    """Export: the users matching the list's search, in its order, as a formula-safe CSV,
    streamed from the directory."""
    query = UserListQuery.from_params(request.POST.dict())
    users_url = _tab_url("users", str(customer_id))
    back = with_query(users_url, **query.params())
    try:
        customer = customer_or_404(pc=partner_center_for(request), customer_id=customer_id)
    except PartnerCenterError as error:
        messages.error(request, partner_center_problem(request, error).with_id)
        return redirect(back)
    if not customer.mirror.mirrored:
        messages.info(request, "The users are still being read. Export once the list is shown.")
        return redirect(back)
    export = users_export(actor=Actor.from_request(request), customer=customer.mirror, query=query)
    return csv_attachment(export.chunks, export.filename)


# --- Rendering ------------------------------------------------------------------------------


def _tab_page(
    request: HtmxHttpRequest, tab: str, customer: CustomerRow, *, polled: bool = False
) -> HttpResponse:
    context = _page_context(customer, tab)
    mirror = customer.mirror
    if not mirror.mirrored and mirror.sync_state == DirectoryCustomer.SYNC_FAILED:
        context["problem"] = sync_problem(request, mirror)
        context["retry_url"] = _tab_url(tab, customer.id)
    elif mirror.mirrored and tab == "users":
        context.update(_users_context(request, customer))
        jobs = customer_jobs(customer_id=customer.id)
        if jobs.any and has_capability(request.user, Capability.BULK_UPLOAD):
            context["past_uploads"] = bulk_jobs_for_customer(customer_id=customer.id, limit=10)
        visible = visible_kinds(request.user) if jobs.waiting else {}
        if visible:  # what will run for this customer, of the kinds the person may see
            context["scheduled"] = scheduled_changes(
                visible=visible, upcoming=True, customer_id=customer.id, limit=20
            )
    elif mirror.mirrored:
        context.update(_deleted_context(request, customer))
        context["restore_report"] = restore_report_take(request, customer.id)
    context["polled"] = polled
    status = context["problem"].status if "problem" in context else 200
    return render(request, _TEMPLATES[tab], context, status=status)


def _loading_tab(request: HtmxHttpRequest) -> str:
    return "deleted" if request.GET.get("tab") == "deleted" else "users"


def _template(request: HtmxHttpRequest, tab: str) -> str:
    """The tab's page, or only the users' results for htmx's search, sort and paging."""
    if tab == "users" and request.htmx and request.htmx.target == "users-results":
        return "customers/users.html#results"
    return _TEMPLATES[tab]


def _page_context(customer: CustomerRow, tab: str) -> dict[str, Any]:
    mirror = customer.mirror
    reading = mirror.sync_state in {DirectoryCustomer.SYNC_QUEUED, DirectoryCustomer.SYNC_RUNNING}
    links = CustomerLinks.of(customer.id)
    return {
        "customer_id": customer.id,
        "customer": customer,
        "mirror": mirror,
        "company_name": customer.company_name,
        "waiting": not mirror.mirrored and reading,
        "reading": reading,
        "links": links,
        "tabs": customer_tabs(customer=customer, current=tab, links=links),
        "tab": tab,
        "loading_url": with_query(links.loading, tab=tab),
        "poll_seconds": POLL_SECONDS,
    }


def _users_context(request: HtmxHttpRequest, customer: CustomerRow) -> dict[str, Any]:
    query = UserListQuery.from_params(request.GET.dict())
    page = users_page(customer.mirror, query, request.GET.get("page"))
    url = _tab_url("users", customer.id)
    rows = list(page.object_list)
    choices = users_list_choices(customer.mirror, [row.user_id for row in rows])
    return {
        "query": query,
        "page": page,
        "lines": user_lines(rows, customer.mirror, choices),
        # Only the whole page shows the filters (htmx's search and paging swap the results).
        "filters": SimpleLazyObject(lambda: filters_of(customer.mirror, choices)),
        "pager": pager(page, lambda number: with_query(url, **query.params(page=number))),
        "columns": columns(url, query),
        # Check boxes for the actions on several users this person may take.
        "selectable": any(
            has_capability(request.user, action.capability) for action in SelectedAction
        ),
        "selection_limit": SELECTION_LIMIT,
    }


def _deleted_context(request: HtmxHttpRequest, customer: CustomerRow) -> dict[str, Any]:
    search = clean_query(request.GET.get("q", ""))
    page = deleted_page(customer.mirror, search, request.GET.get("page"))
    now = timezone.now()
    url = _tab_url("deleted", customer.id)
    return {
        "search": search,
        "page": page,
        "pager": pager(page, lambda number: with_query(url, q=search, page=number)),
        "lines": [DeletedLine.of(row, now) for row in page.object_list],
    }


def _tab_url(tab: str, customer_id: str) -> str:
    return customer_url("customers:deleted" if tab == "deleted" else "customers:users", customer_id)
