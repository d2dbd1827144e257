"""Seek paging: `size`, `links.next` with an `MS-ContinuationToken` header (§4).

Tokens are signed keyset positions (the last row's sort value and id), so any process can serve
the next page, a page never repeats or skips a row when others are added meanwhile, and a token
only works for the collection (customer, filter, sort) it was made for.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypedDict
from urllib.parse import urlencode

from django.core import signing
from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest

from portal.sandbox.api.query import Query
from portal.sandbox.api.wire import invalid
from portal.sandbox.models import FaultSettings

DEFAULT_SIZE = 100
MAX_SIZE = 500
_SALT = "portal.sandbox.continuation"


class Links(TypedDict):
    """The paging part of a collection: the keyword arguments of `wire.collection`."""

    self_uri: str
    next_uri: str | None
    continuation_token: str | None


@dataclass(frozen=True)
class Position:
    """Where the next page starts, and the shape of the collection it belongs to."""

    scope: str  # e.g. "users:<customer id>:inactive"
    sort_field: str
    descending: bool
    size: int
    after_value: Any = None
    after_id: str | None = None


def page_size(query: Query) -> tuple[int, bool]:
    """The page size a request asks for, and whether it was cut to MAX_SIZE.

    Partner Center documents `size` as the maximum number of items to return. Above 500 the
    sandbox serves 500 and says so where Partner Center's answers describe a page: its
    `links.self` and `links.next` carry `size=500`.
    """
    size = query.integer("size")
    if not size:
        # Absent, or size=0, which the .NET SDK sends for a "simple" query: the server's default.
        return DEFAULT_SIZE, False
    return min(size, MAX_SIZE), size > MAX_SIZE


def start(request: HttpRequest, query: Query, first: Position) -> Position:
    """Where a request's page starts: `first` (built from its own parameters), or, for a
    `seekOperation=Next` request, the position its MS-ContinuationToken holds.

    A next-page request may repeat its collection's size and sort (Partner Center's next links
    carry `size`) but not change them: the token holds them, and a different value would
    otherwise be silently ignored.
    """
    if query.choice("seekOperation", {"Next": "Next"}) is None:
        return first
    token = request.headers.get("MS-ContinuationToken", "").strip()
    if not token:
        raise invalid("seekOperation=Next needs the MS-ContinuationToken header.")
    try:
        data = signing.loads(token, salt=_SALT)
    except signing.BadSignature:
        raise invalid("The continuation token is not valid.") from None
    position = Position(**data)
    if position.scope != first.scope:
        raise invalid("The continuation token belongs to another collection.")
    if query.has("size") and first.size != position.size:
        raise invalid(
            f"The query parameter size ({first.size}) differs from the size of the pages "
            f"being read ({position.size}): it cannot change between pages."
        )
    sort = (first.sort_field, first.descending)
    if (query.has("sortField") or query.has("sortDirection")) and sort != (
        position.sort_field,
        position.descending,
    ):
        raise invalid(
            "The query parameters sortField and sortDirection differ from the sort of the "
            "pages being read: the sort cannot change between pages."
        )
    return position


def links(
    query: Query,
    path: str,
    following: Position | None,
    *,
    clamped: bool,
    keep: Mapping[str, str] | None = None,
) -> Links:
    """`self_uri`, `next_uri` and `continuation_token` for `wire.collection`.

    `links.self` is the request's own uri, query included (as in Partner Center's samples), with
    the size the page was served at; `links.next` carries that size and the `keep` parameters
    (a filter: the token belongs to the filtered collection).
    """
    self_uri = query.uri(path, size=str(MAX_SIZE)) if clamped else query.uri(path)
    if following is None:
        return {"self_uri": self_uri, "next_uri": None, "continuation_token": None}
    parameters = {"size": str(following.size), "seekOperation": "Next", **(keep or {})}
    return {
        "self_uri": self_uri,
        "next_uri": next_uri(f"{path}?{urlencode(parameters)}"),
        "continuation_token": token(following),
    }


def page[M: Model](queryset: QuerySet[M], position: Position) -> tuple[list[M], Position | None]:
    """One page of `queryset` from `position`, and the position after it (None at the end)."""
    field, id_field = position.sort_field, "id"
    direction = "-" if position.descending else ""
    if position.after_id is not None:
        after = "lt" if position.descending else "gt"
        queryset = queryset.filter(
            Q(**{f"{field}__{after}": position.after_value})
            | Q(**{field: position.after_value, f"{id_field}__{after}": position.after_id})
        )
    rows = list(
        queryset.order_by(f"{direction}{field}", f"{direction}{id_field}")[: position.size + 1]
    )
    if len(rows) <= position.size:
        return rows, None
    rows = rows[: position.size]
    last = rows[-1]
    following = Position(
        scope=position.scope,
        sort_field=position.sort_field,
        descending=position.descending,
        size=position.size,
        after_value=getattr(last, field),
        after_id=str(last.pk),
    )
    return rows, following


def token(position: Position) -> str:
    return signing.dumps(position.__dict__, salt=_SALT, compress=True)


def next_uri(uri: str) -> str:
    """The `links.next` uri: production writes /v1 into it since 2021, the docs' samples do not."""
    return f"/v1{uri}" if FaultSettings.current().next_link_with_v1 else uri
