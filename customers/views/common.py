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

from customers.services import CustomerRow, customer_find
from customers.snapshots import CustomerSnapshot, LoadProgress
from portal.partnercenter import PartnerCenterClient
from portal.ui import Tab


def customer_or_404(*, pc: PartnerCenterClient, customer_id: UUID | str) -> CustomerRow:
    """The customer from the cached customers list, or 404 (raises PartnerCenterError).

    Staff may see every customer of the partner (section 3), so finding it is the whole check.
    """
    customer = customer_find(pc=pc, customer_id=str(customer_id))
    if customer is None:
        raise Http404("The partner has no such customer.")
    return customer


def customer_tabs(
    *, customer_id: str, state: CustomerSnapshot | LoadProgress | None, current: str
) -> list[Tab]:
    """Users and licenses, Deleted users (N): N from the snapshot, once there is one."""
    deleted = "Deleted users"
    if isinstance(state, CustomerSnapshot):
        deleted = f"Deleted users ({len(state.deleted_users)})"
    return [
        Tab(
            "Users and licenses",
            reverse("customers:users", args=[customer_id]),
            current=current == "users",
        ),
        Tab(
            deleted, reverse("customers:deleted", args=[customer_id]), current=current == "deleted"
        ),
    ]


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
