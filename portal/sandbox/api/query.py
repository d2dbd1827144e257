"""Query parameters: the one place that reads them, in every spelling the clients use.

Each handler declares the parameters it takes (`@takes("size", "filter")`); the pipeline reads
the query string before the handler runs and answers 400 code 3000, naming the parameter, for
one the resource does not take, one given twice, or one without a value. Values are checked by
the accessors below, which name the parameter too: nothing is silently replaced by a default.

Spellings: names match in any case (ASP.NET binds query parameters case-insensitively), and
Microsoft's AutoRest client (PyPI `partnercenterservices`) writes the users sort as
`sortOption.sortField`/`sortOption.sortDirection` where the .NET SDK writes `sortField`/
`sortDirection`; it sends `licenseGroupIds=Group1,Group2` as one value where the .NET SDK repeats
the parameter. Both are accepted.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest

from portal.sandbox.api.wire import invalid

# Every spelling (lower-cased) of every parameter the sandbox knows, and its canonical name.
SPELLINGS = {
    "size": "size",
    "seekoperation": "seekOperation",
    "filter": "filter",
    "sortfield": "sortField",
    "sortoption.sortfield": "sortField",
    "sortdirection": "sortDirection",
    "sortoption.sortdirection": "sortDirection",
    "licensegroupids": "licenseGroupIds",
}
# Parameters that may be repeated, each value a comma-separated list.
LISTS = frozenset({"licenseGroupIds"})

_ATTRIBUTE = "sandbox_query_parameters"


def takes[H: Callable[..., Any]](*names: str) -> Callable[[H], H]:
    """Declare the query parameters (canonical names) a handler takes; it then gets `query=`."""
    unknown = set(names) - set(SPELLINGS.values())
    if unknown:
        raise ValueError(f"Unknown query parameters {sorted(unknown)}")

    def mark(handler: H) -> H:
        setattr(handler, _ATTRIBUTE, frozenset(names))
        return handler

    return mark


def accepted_by(handler: Callable[..., Any]) -> frozenset[str]:
    """The parameters `handler` declared with `@takes` (none when it declared nothing)."""
    names: frozenset[str] = getattr(handler, _ATTRIBUTE, frozenset())
    return names


class Query:
    """A request's query parameters under their canonical names, checked against what the
    resource takes."""

    def __init__(self, values: Mapping[str, list[str]], spelled: Mapping[str, str]) -> None:
        self._values = dict(values)
        self._spelled = dict(spelled)  # canonical name -> the spelling the client used

    @classmethod
    def parse(cls, request: HttpRequest, accepted: frozenset[str]) -> Query:
        values: dict[str, list[str]] = {}
        spelled: dict[str, str] = {}
        for key, raw_values in request.GET.lists():
            name = SPELLINGS.get(key.strip().lower())
            if name is None or name not in accepted:
                takes_what = ", ".join(sorted(accepted)) if accepted else "no query parameters"
                raise invalid(
                    f"The query parameter {key!r} is not supported: this resource takes "
                    f"{takes_what}."
                )
            if name in spelled and name not in LISTS:
                raise invalid(f"The query parameter {name} is given more than once.")
            if name not in LISTS and len(raw_values) > 1:
                raise invalid(f"The query parameter {key} is given more than once.")
            cleaned = [value.strip() for value in raw_values]
            if not all(cleaned):
                raise invalid(f"The query parameter {key} has no value.")
            values.setdefault(name, []).extend(cleaned)
            spelled[name] = key
        return cls(values, spelled)

    def has(self, name: str) -> bool:
        return name in self._values

    def text(self, name: str) -> str | None:
        """The parameter's value, or None when it is absent."""
        values = self._values.get(name)
        return values[0] if values else None

    def choice[T](self, name: str, choices: Mapping[str, T]) -> T | None:
        """What `choices` maps the value to (its keys are the wire names, matched in any case),
        or None when absent; any other value answers 400 naming the parameter and the choices."""
        value = self.text(name)
        if value is None:
            return None
        found = _match(value, choices)
        if found is None:
            options = " or ".join(choices)
            raise invalid(
                f"The query parameter {self._spelled[name]} must be {options}, not {value!r}."
            )
        return found[1]

    def integer(self, name: str) -> int | None:
        """A whole number 0 or more, or None when absent."""
        value = self.text(name)
        if value is None:
            return None
        try:
            number = int(value)
        except ValueError:
            raise invalid(
                f"The query parameter {self._spelled[name]} must be a whole number, not {value!r}."
            ) from None
        if number < 0:
            raise invalid(f"The query parameter {self._spelled[name]} must not be negative.")
        return number

    def items[T](self, name: str, choices: Mapping[str, T]) -> list[T]:
        """Every value of a list parameter (repeated, comma-separated, or both), each mapped by
        `choices` as in `choice`; an unknown or empty item answers 400 naming the parameter."""
        found: list[T] = []
        for value in self._values.get(name, []):
            for item in value.split(","):
                match = _match(item.strip(), choices)
                if match is None:
                    raise invalid(
                        f"The query parameter {self._spelled[name]} takes "
                        f"{', '.join(choices)} (repeated or comma-separated), not {item.strip()!r}."
                    )
                if match[1] not in found:
                    found.append(match[1])
        return found

    def uri(self, path: str, **replaced: str) -> str:
        """`path` with this query, as the client sent it but for the `replaced` values: what a
        collection's `links.self` says (Partner Center's samples keep the query in it)."""
        pairs: list[tuple[str, str]] = []
        for name, values in self._values.items():
            if name in replaced:
                pairs.append((self._spelled[name], replaced[name]))
            else:
                pairs += [(self._spelled[name], value) for value in values]
        return f"{path}?{urlencode(pairs)}" if pairs else path


def _match[T](value: str, choices: Mapping[str, T]) -> tuple[str, T] | None:
    for key, result in choices.items():
        if key.lower() == value.lower():
            return key, result
    return None


__all__ = ["LISTS", "SPELLINGS", "Query", "accepted_by", "takes"]
