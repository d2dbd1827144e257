"""The Users and licenses list as the page shows it: its rows (with their licenses), the
filters' choices, the sortable column headers and the links that keep the list's search,
filters and sort. Reads the directory only: `customers/directory/user_queries.py` and
`customer_queries.py`, and `list_choices.py` for the SKUs, roles and the page's licenses in one
query; the license scan's progress is the customer's own `licenses_read`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from customers.directory.customer_queries import locations_of
from customers.directory.list_choices import ListChoices
from customers.directory.models import DirectoryCustomer, DirectoryUser
from customers.directory.user_queries import (
    ANY_ROLE,
    NO_LICENSE,
    NOT_READ,
    SORT_KEYS,
    UserListQuery,
)
from customers.pages import user_url
from customers.services import licenses_text, short_sku_name, sku_names
from customers.templatetags.portal_format import country_name
from portal.web.paging import with_query

COLUMNS: Final = {
    "name": "Display name",
    "username": "Username",
    "location": "Location",
    "roles": "Admin roles",
}


@dataclass(frozen=True)
class UserLine:
    """A row of the users list, written once here: fifty {% url %} tags and country filters
    cost more than the rest of the page."""

    url: str
    user_id: str
    name: str
    username: str
    location: str
    roles: str
    licenses: str  # short names, or services.LICENSES_NOT_READ
    licenses_known: bool


def user_lines(
    rows: Iterable[DirectoryUser], customer: DirectoryCustomer, choices: ListChoices
) -> list[UserLine]:
    """The page's `rows`, with their licenses from `choices` (read for these rows)."""
    held = choices.held
    names = sku_names(choices.skus)
    places: dict[str, str] = {}
    return [
        UserLine(
            url=user_url(customer.tenant_id, row.user_id),
            user_id=row.user_id,
            name=row.display_name or row.user_principal_name,
            username=row.user_principal_name,
            location=places.get(row.usage_location)
            or places.setdefault(row.usage_location, country_name(row.usage_location)),
            roles=row.roles,
            licenses=licenses_text(held.get(row.user_id), names),
            licenses_known=row.user_id in held,
        )
        for row in rows
    ]


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True)
class Filters:
    """The filters' choices for this customer, and how far its licenses have been read."""

    licenses: list[Choice]
    roles: list[Choice]
    locations: list[Choice]
    licenses_read: int
    users: int

    @property
    def licenses_complete(self) -> bool:
        return self.licenses_read >= self.users


def filters_of(customer: DirectoryCustomer, choices: ListChoices) -> Filters:
    licenses = [
        Choice(sku.id, f"{short_sku_name(sku.name)} ({sku.available} of {sku.total} available)")
        for sku in choices.skus
    ]
    licenses += [Choice(NO_LICENSE, "No license"), Choice(NOT_READ, "Not read yet")]
    roles = [Choice(ANY_ROLE, "Any admin role (protected)")]
    roles += [Choice(role.id, role.name) for role in choices.roles]
    locations = [Choice(code, country_name(code)) for code in locations_of(customer)]
    return Filters(
        licenses=licenses,
        roles=roles,
        locations=sorted(locations, key=lambda choice: choice.label),
        licenses_read=min(customer.licenses_read, customer.users_count),
        users=customer.users_count,
    )


def columns(url: str, query: UserListQuery) -> list[dict[str, str]]:
    """The sortable column headers: a link that sorts by the column, or reverses its order,
    keeping the search and filters."""
    headers = []
    for key in SORT_KEYS:
        current = query.sort == key
        descending = current and not query.descending
        sort = "" if key == "name" else key
        headers.append(
            {
                "label": COLUMNS[key],
                "url": with_query(
                    url, **query.params(sort=sort, dir="desc" if descending else "", page="")
                ),
                "aria_sort": ("descending" if query.descending else "ascending") if current else "",
            }
        )
    return headers
