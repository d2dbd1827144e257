"""Partner Center's JSON, read leniently and written sparingly, and its collection envelope.

Reading is lenient, as the wire demands: property names match in any case (Partner Center accepts
and, in places, writes PascalCase), a missing property reads as absent (`None`), and unknown ones
are ignored (`Reader`). Writing sends only what is set (`compact`), so a PATCH leaves every unset
field unchanged. A collection comes in a seek-based envelope (`Page`, `Link`, `read_page`) or
as a plain list (`read_items`, `read_strings`); the resources themselves are in `resources.py`
(the directory) and `licenses.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

Wire = dict[str, Any]


class Reader:
    """A wire object whose properties can be read in any case; absent or null reads as None."""

    def __init__(self, data: Any) -> None:
        self._data: dict[str, Any] = (
            {str(key).lower(): value for key, value in data.items()}
            if isinstance(data, Mapping)
            else {}
        )

    def value(self, name: str) -> Any:
        return self._data.get(name.lower())

    def text(self, name: str) -> str | None:
        value = self.value(name)
        return None if value is None else str(value)

    def integer(self, name: str) -> int | None:
        value = self.value(name)
        if value is None or isinstance(value, bool):
            return None
        try:
            return int(value)
        except (TypeError, ValueError):
            return None

    def boolean(self, name: str) -> bool | None:
        value = self.value(name)
        if isinstance(value, str):
            return value.lower() == "true"
        return None if value is None else bool(value)

    def moment(self, name: str) -> datetime | None:
        return parse_moment(self.value(name))

    def strings(self, name: str) -> list[str] | None:
        value = self.value(name)
        if value is None:
            return None
        return [str(item) for item in value] if isinstance(value, list) else [str(value)]

    def objects[T](self, name: str, make: Callable[[Any], T]) -> list[T]:
        value = self.value(name)
        return [make(item) for item in value] if isinstance(value, list) else []


def parse_moment(value: Any) -> datetime | None:
    """An ISO 8601 instant from the wire (`2017-01-20T00:33:34Z`, .NET's 7 fraction digits too)."""
    if not value or not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def compact(properties: Mapping[str, Any]) -> Wire:
    return {name: value for name, value in properties.items() if value is not None}


@dataclass(frozen=True)
class Link:
    """A `links.next`/`links.self` entry: where to go, and the headers to send there."""

    uri: str
    method: str = "GET"
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_wire(cls, data: Any) -> Link | None:
        reader = Reader(data)
        uri = reader.text("uri")
        if not uri:
            return None
        headers: dict[str, str] = {}
        for header in reader.objects("headers", Reader):
            key = header.text("key")
            if key:
                headers[key] = header.text("value") or ""
        return cls(uri=uri, method=(reader.text("method") or "GET").upper(), headers=headers)


@dataclass(frozen=True)
class Page[T]:
    """One page of a seek-based collection.

    `continuation_token` (and `next_link`, the way Partner Center says to fetch the next page) are
    set only when more pages exist. `total_count` is what the wire says, which in practice is the
    number of items on this page: never use it to decide whether to page on.
    """

    items: list[T]
    continuation_token: str | None = None
    next_link: Link | None = None
    total_count: int | None = None

    @property
    def has_more(self) -> bool:
        return self.next_link is not None or bool(self.continuation_token)


@dataclass(frozen=True)
class Sort:
    """A users sort: `Sort("DisplayName")`, `Sort("UserPrincipalName", descending=True)`."""

    field: str
    descending: bool = False

    def to_params(self) -> dict[str, str]:
        return {
            "sortField": self.field,
            "sortDirection": "Descending" if self.descending else "Ascending",
        }


def read_page[T](body: Any, make: Callable[[Any], T]) -> Page[T]:
    """A seek-based collection envelope: `items`, `links.next`, `continuationToken`."""
    reader = Reader(body)
    links = Reader(reader.value("links"))
    return Page(
        items=reader.objects("items", make),
        continuation_token=reader.text("continuationToken") or None,
        next_link=Link.from_wire(links.value("next")),
        total_count=reader.integer("totalCount"),
    )


def read_items[T](body: Any, make: Callable[[Any], T]) -> list[T]:
    """The items of a plain (unpaged) collection; a bare JSON array is accepted too."""
    if isinstance(body, list):
        return [make(item) for item in body]
    return Reader(body).objects("items", make)


def read_strings(body: Any) -> list[str]:
    """A bare array of strings (e.g. `customDomains`), or a collection of them."""
    values: Iterable[Any] = body if isinstance(body, list) else Reader(body).value("items") or []
    return [str(value) for value in values]


__all__ = [
    "Link",
    "Page",
    "Reader",
    "Sort",
    "Wire",
    "compact",
    "parse_moment",
    "read_items",
    "read_page",
    "read_strings",
]
