"""The reads of one customer's users, each an indexed query on its current generation: the users
list's query (search, filters, sort and paging, and its export), the Deleted users tab, and
lookups of users by id or username and of the licenses they hold. Nothing here calls Partner
Center or loads a whole customer.

Search is by words: every word of what was typed must start a word of the user's display name,
first or last name or username (split at spaces and `. _ - @`), folded the same way on both
sides (`customers.directory.text`), so "jane", "Jane Do", "lopez" (for López) and "jdoe@fab"
all find their user.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

from django.core.exceptions import EmptyResultSet
from django.core.paginator import Page
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Exists, Lookup, OrderBy, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Concat

from customers.directory.customer_queries import PAGE_SIZE, clean_query
from customers.directory.models import (
    DirectoryCustomer,
    DirectoryUser,
    DirectoryUserLicenses,
    DirectoryUserSku,
    DirectoryWord,
)
from customers.directory.paging import FewRows, Rows, expected_page, paginate
from customers.directory.text import ascii_lower, prefix_range, query_words

# A search word's users given by key up to this many (SQLite ≥ 3.32 takes 32,766 parameters).
FEW_MATCHES: Final = 2000

SortKey = Literal["name", "username", "location", "roles"]
SORT_KEYS: Final[tuple[SortKey, ...]] = ("name", "username", "location", "roles")
# Every order ends with the username, unique within a state, so paging is stable.
_ORDER: Final[dict[SortKey, tuple[str, ...]]] = {
    "name": ("display_key", "upn_key"),
    "username": ("upn_key",),
    "location": ("usage_location", "display_key", "upn_key"),
    "roles": ("roles_key", "display_key", "upn_key"),
}

# A username may have been deleted more than once: the row's own key ends the order.
_DELETED_ORDER: Final = ("deleted_at", "display_key", "upn_key", "pk")


# The Licenses filter's two values besides a SKU id.
NO_LICENSE: Final = "none"
NOT_READ: Final = "unknown"
# The Admin roles filter's value for "any admin role" (a protected account) besides a role id.
ANY_ROLE: Final = "any"


@dataclass(frozen=True)
class UserListQuery:
    """What a users list is asked for: a search, filters, a sort column and direction.

    Filters combine with the search and with each other: `license` (a SKU id, NO_LICENSE or
    NOT_READ), `role` (a role id or ANY_ROLE) and `location` (a country code).
    """

    search: str = ""
    sort: SortKey = "name"
    descending: bool = False
    license: str = ""
    role: str = ""
    location: str = ""

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> UserListQuery:
        """Read `q`, `sort`, `dir`, `license`, `role` and `location` leniently: anything
        unknown falls back to the default (a filter no user matches lists no user)."""
        sort = params.get("sort", "name")
        return cls(
            search=clean_query(params.get("q", "")),
            sort=sort if sort in SORT_KEYS else "name",
            descending=params.get("dir") == "desc",
            license=params.get("license", "").strip()[:64],
            role=params.get("role", "").strip()[:64],
            location=params.get("location", "").strip().upper()[:8],
        )

    @property
    def filtered(self) -> bool:
        return bool(self.license or self.role or self.location)

    def params(self, **changes: str | int) -> dict[str, str | int]:
        """The query string of this list (defaults left out), with `changes` applied."""
        params: dict[str, str | int] = {
            "q": self.search,
            "license": self.license,
            "role": self.role,
            "location": self.location,
            "sort": "" if self.sort == "name" else self.sort,
            "dir": "desc" if self.descending else "",
        }
        params.update(changes)
        return {key: value for key, value in params.items() if value not in ("", None)}


# --- Users of one customer ---------------------------------------------------------------------


def users_of(
    customer: DirectoryCustomer, *, state: str = DirectoryUser.ACTIVE, search: str = ""
) -> QuerySet[DirectoryUser]:
    """The customer's users in `state` (current generation), those matching `search` if any."""
    return _matching(customer, state, search).users


@dataclass(frozen=True)
class _Matching:
    """The users a search matches, and their keys when its words named them: `keys` holds
    them when some word matches at most FEW_MATCHES users, and `counted` says that every word
    did, so the keys are the matching users and their number is the list's count. When some
    word matches more, `counting` counts the users from the words alone."""

    users: QuerySet[DirectoryUser]
    keys: frozenset[int] | None = None
    counted: bool = False
    counting: QuerySet[Any, Any] | None = None


def _matching(customer: DirectoryCustomer, state: str, search: str) -> _Matching:
    users = DirectoryUser.objects.filter(state=state)
    keys: frozenset[int] | None = None
    each: list[QuerySet[DirectoryWord]] = []  # each word's rows
    counted = True
    for word in query_words(search):
        matching = DirectoryWord.objects.filter(
            starts_with(word), customer=customer, generation=customer.generation, state=state
        )
        each.append(matching)
        # A word most searches type matches a few hundred users: their keys, read first, let the
        # database sort just those. Given the subquery instead, PostgreSQL walks the customer's
        # users in order testing each (100 ms at 50,000 users, not 3).
        few = _keys(matching.values_list("user_id", flat=True)[: FEW_MATCHES + 1])
        if len(few) <= FEW_MATCHES:
            keys = frozenset(few) if keys is None else keys.intersection(few)
        else:
            counted = False
            users = users.filter(pk__in=matching.values("user_id"))
    if not each:
        return _Matching(users.filter(customer=customer, generation=customer.generation))
    if keys is not None and counted:
        return _Matching(users.filter(pk__any_of=keys), keys, True)
    # Counted from the words: from the users, each looked up among the words' thousands, a
    # search for 'a' in 50,000 users took 32 ms (PostgreSQL) and 37 ms (SQLite).
    first, *rest = (word.values("user_id") for word in each)
    counting = first.intersection(*rest) if rest else first.distinct()
    if keys is not None:
        # The users were given by key, from word rows of this customer's generation and of
        # `state`: asked for the customer too, SQLite walks all its users in index order testing
        # each key.
        return _Matching(users.filter(pk__any_of=keys), keys, counting=counting)
    users = users.filter(customer=customer, generation=customer.generation)
    return _Matching(users, counting=counting)


def _keys(words: QuerySet[DirectoryWord, int]) -> list[int]:
    """The user keys `words` lists, fetched at once: Django's iterator fetches a hundred rows
    at a time and passes each through three generators, which cost a search of 565 keys on
    SQLite 0.6 ms more than this (in process, against the same customer's unsearched list)."""
    sql, params = words.query.sql_with_params()
    with connections[words.db].cursor() as cursor:
        cursor.execute(sql, params)
        return [key for (key,) in cursor.fetchall()]


# What a users list shows of each user (`customers/users_list.py`): the rest of a row is not read,
# which spares 50 rows' three timestamps parsed on SQLite (0.3 ms of a page).
LISTED: Final = ("user_id", "display_name", "user_principal_name", "usage_location", "roles")


def users_page(
    customer: DirectoryCustomer,
    query: UserListQuery,
    number: str | int | None,
    *,
    state: str = DirectoryUser.ACTIVE,
    per_page: int = PAGE_SIZE,
) -> Page[DirectoryUser]:
    """One page of the customer's users, searched, filtered and sorted as `query` asks."""
    matching = _matching(customer, state, query.search)
    unlicensed = _by_location_and_role(matching.users, query)
    users = _licensed(unlicensed, customer, query)
    order = _order(query, keyed=matching.keys is not None)
    ordered = users.only(*LISTED).order_by(*order)
    if matching.keys is not None:
        counted = matching.counted and not query.filtered
        return _page_of_keys(ordered, matching.keys, counted, number, per_page)
    known = None
    if not query.search and not query.filtered:
        known = customer.users_count if state == DirectoryUser.ACTIVE else customer.deleted_count
    counting: QuerySet[Any, Any] | None = _holding(unlicensed, customer, query)
    if counting is None and not query.filtered:
        counting = matching.counting
    return paginate(Rows(ordered, known, counting=counting), number, per_page)


def _holding(
    users: QuerySet[DirectoryUser], customer: DirectoryCustomer, query: UserListQuery
) -> QuerySet[DirectoryUserSku] | None:
    """The users filtered by one license, counted from its holders: SQLite counts the list by
    walking every user of the customer and looking each up among the holders (1.6 ms at 5,000
    users), not by looking up each of the license's holders among the users (0.2 ms).

    Not a window count in the page's query: PostgreSQL finds a page of the list by walking the
    users in order and stopping at the fiftieth holder; a window count makes it walk them all
    (8.5 ms at 5,000 users, against 1 for the page and 1.5 for the holders counted apart)."""
    if query.license in {"", NOT_READ, NO_LICENSE}:
        return None
    holders = DirectoryUserSku.objects.filter(customer=customer, sku_id=query.license)
    return holders.filter(Exists(users.filter(user_id=OuterRef("user_id"))))


def _filtered(
    users: QuerySet[DirectoryUser], customer: DirectoryCustomer, query: UserListQuery
) -> QuerySet[DirectoryUser]:
    return _licensed(_by_location_and_role(users, query), customer, query)


def _by_location_and_role(
    users: QuerySet[DirectoryUser], query: UserListQuery
) -> QuerySet[DirectoryUser]:
    if query.location:
        users = users.filter(usage_location=query.location)
    if query.role == ANY_ROLE:
        users = users.exclude(roles_key="")
    elif query.role:
        users = users.filter(memberships__role_id=query.role)
    return users


def _licensed(
    users: QuerySet[DirectoryUser], customer: DirectoryCustomer, query: UserListQuery
) -> QuerySet[DirectoryUser]:
    if not query.license:
        return users
    if query.license not in {NOT_READ, NO_LICENSE}:
        holders = DirectoryUserSku.objects.filter(customer=customer, sku_id=query.license)
        return users.filter(user_id__in=holders.values("user_id"))
    read = DirectoryUserLicenses.objects.filter(customer=customer).values("user_id")
    if query.license == NOT_READ:
        return users.exclude(user_id__in=read)
    holding_any = DirectoryUserSku.objects.filter(customer=customer).values("user_id")
    return users.filter(user_id__in=read).exclude(user_id__in=holding_any)


def deleted_page(
    customer: DirectoryCustomer, search: str, number: str | int | None, *, per_page: int = PAGE_SIZE
) -> Page[DirectoryUser]:
    """Deleted users, soonest purge (earliest deletion) first."""
    matching = _matching(customer, DirectoryUser.DELETED, search)
    ordered = matching.users.order_by(*_DELETED_ORDER)
    if matching.keys is not None:
        return _page_of_keys(ordered, matching.keys, matching.counted, number, per_page)
    known = None if search else customer.deleted_count
    return paginate(Rows(ordered, known, counting=matching.counting), number, per_page)


def _page_of_keys(
    ordered: QuerySet[DirectoryUser],
    keys: frozenset[int],
    counted: bool,
    number: str | int | None,
    per_page: int,
) -> Page[DirectoryUser]:
    """A page of the users a search's `keys` gave: counted by the keys when they are the list
    (`counted`), else with its count in the page's query."""
    if counted:
        return paginate(Rows(ordered, len(keys)), number, per_page)
    return paginate(FewRows(ordered, expected_page(number, per_page)), number, per_page)


def users_for_export(customer: DirectoryCustomer, query: UserListQuery) -> Iterator[DirectoryUser]:
    """Every user of the list as shown (search, filters and order), read in chunks."""
    matching = _matching(customer, DirectoryUser.ACTIVE, query.search)
    order = _order(query, keyed=matching.keys is not None)
    users = _filtered(matching.users, customer, query).order_by(*order)
    return users.iterator(chunk_size=2000)


def _order(query: UserListQuery, *, keyed: bool) -> list[str | OrderBy]:
    """The list's order. A search's users given by key (at most FEW_MATCHES) and sorted by
    username are sorted once read, by an expression no index holds: ordered by the column,
    PostgreSQL walks the usernames of every customer (`directory_user_upn`) testing each
    against the keys, 23 ms for the 559 users of 'maria' in 50,000, against 7 for the page."""
    columns = _ORDER[query.sort]
    if keyed and query.sort == "username":
        apart = Concat("upn_key", Value(""))  # the column's own order
        return [apart.desc() if query.descending else apart.asc()]
    return [f"-{column}" if query.descending else column for column in columns]


# --- Lookups -----------------------------------------------------------------------------------


def deleted_users(customer: DirectoryCustomer, user_ids: Iterable[str]) -> list[DirectoryUser]:
    """The customer's deleted users among `user_ids`, in the order of the Deleted users tab."""
    return list(
        DirectoryUser.objects.filter(
            customer=customer,
            generation=customer.generation,
            state=DirectoryUser.DELETED,
            user_id__in=[str(user_id) for user_id in user_ids],
        ).order_by(*_DELETED_ORDER)
    )


def user_get(customer: DirectoryCustomer, user_id: str) -> DirectoryUser | None:
    return DirectoryUser.objects.filter(
        customer=customer, generation=customer.generation, user_id=str(user_id)
    ).first()


def users_by_username(
    customer: DirectoryCustomer, usernames: Iterable[str]
) -> dict[str, list[DirectoryUser]]:
    """The customer's users (active and deleted) with these usernames, by username in ASCII
    lower case; deleted ones soonest deleted last."""
    keys = {ascii_lower(name) for name in usernames}
    rows = DirectoryUser.objects.filter(
        customer=customer, generation=customer.generation, upn_key__in=keys
    ).order_by("upn_key", "deleted_at")
    found: dict[str, list[DirectoryUser]] = {}
    for row in rows:
        found.setdefault(row.upn_key, []).append(row)
    return found


def licenses_of(customer: DirectoryCustomer, user_ids: Sequence[str]) -> dict[str, list[str]]:
    """The licenses (SKU ids, sorted) known for these users; a user not read yet is absent."""
    wanted = list(dict.fromkeys(user_ids))
    if not wanted:
        return {}
    read = DirectoryUserLicenses._meta.db_table
    held_table = DirectoryUserSku._meta.db_table
    marks = ", ".join(["%s"] * len(wanted))
    # One query for a page's users: who has been read, and what each holds.
    # The table names come from the models; every value is a parameter.
    sql = (
        f"SELECT r.user_id, h.sku_id FROM {read} r LEFT JOIN {held_table} h "  # noqa: S608
        "ON h.customer_id = r.customer_id AND h.user_id = r.user_id "
        f"WHERE r.customer_id = %s AND r.user_id IN ({marks}) ORDER BY r.user_id, h.sku_id"
    )
    held: dict[str, list[str]] = {}
    with connections["default"].cursor() as cursor:
        cursor.execute(sql, [customer.pk, *wanted])
        for user_id, sku_id in cursor.fetchall():
            skus = held.setdefault(user_id, [])
            if sku_id is not None:
                skus.append(sku_id)
    return held


# --- Search words ------------------------------------------------------------------------------


class _AnyOf(Lookup[Any]):
    """`pk__any_of=frozenset(ids)`: the keys as one array parameter, where a list of hundreds of
    literals costs more to build, bind and parse than the query costs to run: `= ANY(%s)` on
    PostgreSQL, `IN (SELECT value FROM json_each(%s))` on SQLite (0.4 ms less a page of a
    search's 559 users, whose keys the page's count names again). The keys are a set (Django
    walks a list's every item looking for expressions) of integers, sent as one array literal
    (psycopg adapts a list item by item)."""

    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler: Any, connection: BaseDatabaseWrapper) -> tuple[str, tuple[Any, ...]]:
        lhs, params = self.process_lhs(compiler, connection)
        values = sorted(map(int, self.rhs))
        if not values:
            raise EmptyResultSet
        if connection.vendor == "postgresql":
            array = "{" + ",".join(map(str, values)) + "}"
            return f"{lhs} = ANY(%s::bigint[])", (*params, array)
        if connection.vendor == "sqlite":
            array = "[" + ",".join(map(str, values)) + "]"
            return f"{lhs} IN (SELECT value FROM json_each(%s))", (*params, array)  # noqa: S608
        return f"{lhs} IN ({', '.join(['%s'] * len(values))})", (*params, *values)


DirectoryUser._meta.get_field("id").register_lookup(_AnyOf)


def starts_with(word: str) -> Q:
    """Words starting with `word`, as each database can answer from an index: LIKE 'word%' on
    PostgreSQL (a pattern-ops index, whatever the collation), a range on SQLite, which compares
    code points."""
    if connections["default"].vendor == "postgresql":
        return Q(word__startswith=word)
    low, high = prefix_range(word)
    return Q(word__gte=low, word__lt=high)
