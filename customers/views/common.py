"""What the customers app's views share: the customer access helper, tabs, query strings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.core.paginator import Page
from django.http import Http404
from django.urls import reverse
from django.utils.http import urlencode

from customers.directory.models import DirectoryCustomer
from customers.services import CustomerRow, customer_open
from portal.http import HtmxHttpRequest
from portal.partnercenter import PartnerCenterClient
from portal.problems import Problem
from portal.ui import Tab


def customer_or_404(*, pc: PartnerCenterClient, customer_id: UUID | str) -> CustomerRow:
    """The customer from the directory's customers list, or 404 (raises PartnerCenterError when
    the list had to be read from Partner Center and that failed).

    Staff may see every customer of the partner (section 3), so finding it is the whole check.
    """
    customer = customer_open(pc=pc, customer_id=str(customer_id))
    if customer is None:
        raise Http404("The partner has no such customer.")
    return customer


def customer_tabs(*, customer: CustomerRow, current: str) -> list[Tab]:
    """Users and licenses, Deleted users (N): N from the mirror, once there is one."""
    mirror = customer.mirror
    deleted = f"Deleted users ({mirror.deleted_count})" if mirror.mirrored else "Deleted users"
    return [
        Tab(
            "Users and licenses",
            reverse("customers:users", args=[customer.id]),
            current=current == "users",
        ),
        Tab(
            deleted, reverse("customers:deleted", args=[customer.id]), current=current == "deleted"
        ),
    ]


def sync_problem(request: HtmxHttpRequest, mirror: DirectoryCustomer) -> Problem:
    """What to say when a customer was never read and its sync failed (no delegated access,
    most often): the message recorded with the failure, with its correlation id."""
    no_access = mirror.access == DirectoryCustomer.ACCESS_NONE
    return Problem(
        message=mirror.sync_error or "Reading the users failed.",
        correlation_id=mirror.sync_correlation_id,
        status=200 if request.htmx else (403 if no_access else 502),
        kind="forbidden" if no_access else "error",
    )


def with_query(url: str, **params: str | int) -> str:
    """`url` with the non-empty parameters as its query string."""
    kept = {key: value for key, value in params.items() if value not in ("", None)}
    return f"{url}?{urlencode(kept)}" if kept else url


@dataclass(frozen=True)
class Pager:
    """Paging links for `portal/pager.html`: the page's place in the list and where to go next."""

    start: int
    end: int
    total: int
    number: int
    pages: int
    first: str = ""
    previous: str = ""
    next: str = ""
    last: str = ""


def pager(page: Page[Any], url_for: Callable[[int], str]) -> Pager:
    """The links around `page`; `url_for(n)` is the address of page n (keeping search and sort)."""
    number, pages = page.number, page.paginator.num_pages
    return Pager(
        start=page.start_index(),
        end=page.end_index(),
        total=page.paginator.count,
        number=number,
        pages=pages,
        first=url_for(1) if number > 1 else "",
        previous=url_for(number - 1) if page.has_previous() else "",
        next=url_for(number + 1) if page.has_next() else "",
        last=url_for(pages) if number < pages else "",
    )
