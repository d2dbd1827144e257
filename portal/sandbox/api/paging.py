"""Seek paging: `size`, `links.next` with an `MS-ContinuationToken` header (§4).

Tokens are signed keyset positions (the last row's sort value and id), so any process can serve
the next page, a page never repeats or skips a row when others are added meanwhile, and a token
only works for the collection (customer, filter, sort) it was made for.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core import signing
from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest

from portal.sandbox.api.wire import invalid
from portal.sandbox.models import FaultSettings

DEFAULT_SIZE = 100
MAX_SIZE = 500
_SALT = "portal.sandbox.continuation"


@dataclass(frozen=True)
class Position:
    """Where the next page starts, and the shape of the collection it belongs to."""

    scope: str  # e.g. "users:<customer id>:inactive"
    sort_field: str
    descending: bool
    size: int
    after_value: Any = None
    after_id: str | None = None


def page_size(request: HttpRequest) -> int:
    raw = request.GET.get("size", "").strip()
    if not raw:
        return DEFAULT_SIZE
    try:
        size = int(raw)
    except ValueError:
        raise invalid(f"size must be a whole number, not {raw!r}.") from None
    if size < 0:
        raise invalid("size must not be negative.")
    # size=0 is what the .NET SDK sends for a "simple" query: the server's default.
    return min(size, MAX_SIZE) if size else DEFAULT_SIZE


def continuation(request: HttpRequest, scope: str) -> Position | None:
    """The position a `seekOperation=Next` request continues from, or None for a first page."""
    operation = request.GET.get("seekOperation", "").strip().lower()
    if not operation:
        return None
    if operation != "next":
        raise invalid(f"seekOperation {operation!r} is not supported here; use Next.")
    token = request.headers.get("MS-ContinuationToken", "").strip()
    if not token:
        raise invalid("seekOperation=Next needs the MS-ContinuationToken header.")
    try:
        data = signing.loads(token, salt=_SALT)
    except signing.BadSignature:
        raise invalid("The continuation token is not valid.") from None
    position = Position(**data)
    if position.scope != scope:
        raise invalid("The continuation token belongs to another collection.")
    return position


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
