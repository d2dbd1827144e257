"""Paging links and query strings, the same on every list."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page
from django.utils.http import urlencode


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
