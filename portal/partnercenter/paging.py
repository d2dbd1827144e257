"""Reading a seek-based collection: one page (or the next, by its continuation token), or every
page in turn, following `links.next`, with each item once.

Partner Center pages by seeking, not by offset: a page's `continuation_token` (sent back as
`MS-ContinuationToken` with `seekOperation=Next`) or its `links.next` fetches the one after it.
The collections in `operations.py` and `roles_and_licenses.py` read their lists through here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from portal.partnercenter.client import PartnerCenterClient
from portal.partnercenter.errors import PartnerCenterError
from portal.partnercenter.wire import Page, read_page

# The largest page Partner Center serves, and every list's default here: without `size` the
# server picks a smaller page (100 users has been seen), so reading a collection takes more calls.
MAX_PAGE_SIZE = 500


def page_of[T](
    client: PartnerCenterClient,
    path: str,
    make: Callable[[Any], T],
    params: dict[str, Any],
    continuation: str | None,
    *,
    app_only: bool = False,
) -> Page[T]:
    """One page of the collection at `path`: the first, with `params`, or the one after the page
    whose `continuation_token` is `continuation`."""
    if continuation:
        # Partner Center's explicit next-page form: filter, size and sort stay with the token.
        body = client.get(
            path,
            params={"seekOperation": "Next"},
            headers={"MS-ContinuationToken": continuation},
            app_only=app_only,
        )
    else:
        body = client.get(path, params=params, app_only=app_only)
    return read_page(body, make)


def iter_pages[T](
    client: PartnerCenterClient,
    first: Page[T],
    make: Callable[[Any], T],
    *,
    app_only: bool = False,
) -> Iterator[Page[T]]:
    """`first` and every page after it, following `links.next` with its headers."""
    page = first
    tokens: set[str] = set()
    while True:
        yield page
        if page.next_link is None:
            return
        token = page.continuation_token or page.next_link.headers.get("MS-ContinuationToken", "")
        if token in tokens:
            raise PartnerCenterError("Its paging went round in a circle (a continuation repeated)")
        tokens.add(token)
        page = read_page(client.follow(page.next_link, app_only=app_only), make)


def iter_unique[T](pages: Iterator[Page[T]], key: Callable[[T], str | None]) -> Iterator[T]:
    # Pages are read at different moments: an item can move between them while they are read.
    seen: set[str] = set()
    for page in pages:
        for item in page.items:
            item_key = key(item)
            if item_key is not None and item_key in seen:
                continue
            if item_key is not None:
                seen.add(item_key)
            yield item


def size_param(size: int | None) -> dict[str, Any]:
    """The `size` query parameter (none for None); ValueError outside what Partner Center serves."""
    if size is None:
        return {}
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise ValueError(f"A page holds 1 to {MAX_PAGE_SIZE} items, not {size}.")
    return {"size": size}


__all__ = ["MAX_PAGE_SIZE", "iter_pages", "iter_unique", "page_of", "size_param"]
