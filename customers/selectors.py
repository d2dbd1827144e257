"""Reading a customer's snapshot the way its pages show it: search, sort, and the deleted users.

Pure functions over `customers.snapshots.CustomerSnapshot`: no Partner Center call, no cache,
so a warm page view costs nothing remote (DESIGN.md, "Users list: a snapshot per customer").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal

from customers.snapshots import CustomerSnapshot, DeletedUserRow, UserRow

SortKey = Literal["name", "username", "location"]
SORT_KEYS: Final[tuple[SortKey, ...]] = ("name", "username", "location")
# How long a search may be: the box says 200, anything longer is someone typing into the URL.
MAX_QUERY: Final = 200


@dataclass(frozen=True)
class UserListQuery:
    """What the Users and licenses list is asked for: a search, a sort column and direction."""

    search: str = ""
    sort: SortKey = "name"
    descending: bool = False

    @classmethod
    def from_params(cls, params: dict[str, str]) -> UserListQuery:
        """Read `q`, `sort` and `dir` leniently: anything unknown falls back to the default."""
        sort = params.get("sort", "name")
        return cls(
            search=params.get("q", "").strip()[:MAX_QUERY],
            sort=sort if sort in SORT_KEYS else "name",
            descending=params.get("dir") == "desc",
        )


def _sort_value(row: UserRow, key: SortKey) -> tuple[str, str]:
    # The display name breaks ties so that the order is stable page after page.
    if key == "username":
        return (row.user_principal_name.casefold(), "")
    if key == "location":
        return (row.usage_location.casefold(), row.display_name.casefold())
    return (row.display_name.casefold(), row.user_principal_name.casefold())


def users_matching(*, snapshot: CustomerSnapshot, query: UserListQuery) -> list[UserRow]:
    """The active users whose display name or username contains the search (any case), sorted."""
    wanted = query.search.casefold()
    rows: Sequence[UserRow] = snapshot.users
    if wanted:
        rows = [row for row in rows if wanted in row.search_text]
    return sorted(rows, key=lambda row: _sort_value(row, query.sort), reverse=query.descending)


@dataclass(frozen=True)
class DeletedUserLine:
    """A deleted user as the Deleted users tab shows it."""

    row: DeletedUserRow
    days_left: int


def deleted_users_by_purge(*, snapshot: CustomerSnapshot, now: datetime) -> list[DeletedUserLine]:
    """The deleted users, soonest purge first, with whole days left (UTC, rounded down)."""
    rows = sorted(snapshot.deleted_users, key=lambda row: (row.purge_at, row.display_name))
    return [DeletedUserLine(row, row.days_left(now)) for row in rows]


EXPORT_HEADER: Final = (
    "Display name",
    "Username",
    "First name",
    "Last name",
    "Location",
    "Admin roles",
)


def users_export_rows(rows: Sequence[UserRow]) -> list[tuple[str, ...]]:
    """The export's header and one line per user (csvsafe makes the cells formula-safe)."""
    lines: list[tuple[str, ...]] = [EXPORT_HEADER]
    return lines + [
        (
            row.display_name,
            row.user_principal_name,
            row.first_name,
            row.last_name,
            row.usage_location,
            "; ".join(row.roles),
        )
        for row in rows
    ]
