"""The reads pages make: lists, search, sort, paging, counts and lookups, each an indexed query on
a customer's current generation. Nothing here calls Partner Center or loads a whole customer.

Search is by words: every word of what was typed must start a word of the user's display name,
first or last name or username (split at spaces and `. _ - @`), folded the same way on both
sides (`customers.directory.text`), so "jane", "Jane Do", "lopez" (for López) and "jdoe@fab"
all find their user.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import reduce
from typing import Any, Final, Literal

from django.core.exceptions import EmptyResultSet
from django.core.paginator import Page, Paginator
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    Lookup,
    Max,
    Min,
    Q,
    QuerySet,
    Value,
    When,
    Window,
)

from customers.directory.models import (
    DirectoryCustomer,
    DirectoryDomain,
    DirectoryRole,
    DirectorySku,
    DirectoryUser,
    DirectoryUserLicenses,
    DirectoryUserSku,
    DirectoryWord,
)
from customers.directory.sync import mirrored_customers, mode
from customers.directory.text import ascii_lower, fold, prefix_range, query_words

# How long a search may be: the boxes say 200, anything longer is someone typing into the URL.
MAX_QUERY: Final = 200
PAGE_SIZE: Final = 50
# Pages starting above this row are read in one query; deeper ones find their ids first, on the
# index alone, then read those rows.
SHALLOW: Final = 1000
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


def clean_query(raw: str) -> str:
    return raw.strip()[:MAX_QUERY]


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


# --- Customers ---------------------------------------------------------------------------------


def customer_get(tenant_id: str) -> DirectoryCustomer | None:
    """A customer of this mode by its Partner Center id."""
    return mirrored_customers().filter(tenant_id=str(tenant_id).lower()).first()


def customers_matching(query: str) -> QuerySet[DirectoryCustomer]:
    """Customers whose company name contains `query` (folded) or one of whose domains does
    (ASCII lower case), by company name."""
    customers = mirrored_customers().order_by("name_key", "tenant_id")
    query = clean_query(query)
    if not query:
        return customers
    by_domain = DirectoryDomain.objects.filter(name_key__contains=ascii_lower(query))
    return customers.filter(
        Q(name_key__contains=fold(query)) | Q(pk__in=by_domain.values("customer_id"))
    )


def customer_by_domain(domain: str) -> DirectoryCustomer | None:
    """The customer one of whose domains is exactly `domain` (any case)."""
    found = DirectoryDomain.objects.filter(
        name_key=ascii_lower(domain.strip()), customer__mode=mode()
    ).select_related("customer")
    row = found.first()
    return row.customer if row else None


@dataclass(frozen=True)
class DirectoryHealth:
    """How much of the partner's customers list is mirrored, and how fresh."""

    customers: int
    mirrored: int
    no_access: int
    oldest: datetime | None  # the least recently read mirror
    reading: int  # syncs queued or under way


def directory_health() -> DirectoryHealth:
    """Counted in one pass over the customers (a few hundred rows), not a query a figure."""
    reading = [DirectoryCustomer.SYNC_QUEUED, DirectoryCustomer.SYNC_RUNNING]
    figures = mirrored_customers().aggregate(
        customers=Count("pk"),
        mirrored=Count("pk", filter=Q(synced_at__isnull=False)),
        no_access=Count("pk", filter=Q(access=DirectoryCustomer.ACCESS_NONE)),
        oldest=Min("synced_at"),  # NULL (never read) is left out
        reading=Count("pk", filter=Q(sync_state__in=reading)),
    )
    return DirectoryHealth(**figures)


def domains_of(customer: DirectoryCustomer) -> list[str]:
    """The customer's domains, in alphabetical order."""
    rows = customer.domains.order_by("name_key")
    return [row.name for row in rows]


@dataclass(frozen=True)
class RoleRow:
    """A directory role as forms offer it: `id` is Partner Center's."""

    id: str
    name: str


@dataclass(frozen=True)
class SkuRow:
    """A subscribed SKU as forms offer it, with its seats as last read."""

    id: str
    name: str
    part_number: str
    available: int
    total: int
    consumed: int


def roles_of(customer: DirectoryCustomer) -> list[RoleRow]:
    """The customer's directory roles, by name."""
    rows: Iterable[DirectoryRole] = customer.roles.order_by("name")
    return [RoleRow(row.role_id, row.name) for row in rows]


def skus_of(customer: DirectoryCustomer) -> list[SkuRow]:
    """The customer's subscribed SKUs, by name."""
    rows: Iterable[DirectorySku] = customer.skus.order_by("name")
    return [
        SkuRow(row.sku_id, row.name, row.part_number, row.available, row.total, row.consumed)
        for row in rows
    ]


def role_names(customer: DirectoryCustomer) -> dict[str, str]:
    """Role id → name, for naming roles in steps and audit records."""
    return dict(customer.roles.values_list("role_id", "name"))


@dataclass(frozen=True)
class Choices:
    """What forms offer for a customer: its domains, directory roles and subscribed SKUs."""

    domains: list[str]
    roles: list[RoleRow]
    skus: list[SkuRow]

    @property
    def role_names(self) -> dict[str, str]:
        return {role.id: role.name for role in self.roles}

    @property
    def sku_names(self) -> dict[str, str]:
        return {sku.id: sku.name for sku in self.skus}


def choices_of(customer: DirectoryCustomer) -> Choices | None:
    """The customer's choices, or None while it has never been read."""
    if not customer.mirrored:
        return None
    return Choices(domains_of(customer), roles_of(customer), skus_of(customer))


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


# --- Users of one customer ---------------------------------------------------------------------


def users_of(
    customer: DirectoryCustomer, *, state: str = DirectoryUser.ACTIVE, search: str = ""
) -> QuerySet[DirectoryUser]:
    """The customer's users in `state` (current generation), those matching `search` if any."""
    return _matching(customer, state, search)[0]


def _matching(
    customer: DirectoryCustomer, state: str, search: str
) -> tuple[QuerySet[DirectoryUser], bool]:
    """`users_of`, and whether a search narrowed it to at most FEW_MATCHES users by key."""
    users = DirectoryUser.objects.filter(state=state)
    narrowed = False
    for word in query_words(search):
        matching = DirectoryWord.objects.filter(
            _starts_with(word), customer=customer, generation=customer.generation
        ).values_list("user_id", flat=True)
        # A word most searches type matches a few hundred users: their keys, read first, let the
        # database sort just those. Given the subquery instead, PostgreSQL walks the customer's
        # users in order testing each (100 ms at 50,000 users, not 3).
        few = list(matching[: FEW_MATCHES + 1])
        narrowed = narrowed or len(few) <= FEW_MATCHES
        users = (
            users.filter(pk__any_of=frozenset(few))
            if len(few) <= FEW_MATCHES
            else users.filter(pk__in=matching)
        )
    if narrowed:
        # The users were given by key, from word rows of this customer's generation: asked for
        # the customer too, SQLite walks all its users in index order testing each key.
        return users, narrowed
    return users.filter(customer=customer, generation=customer.generation), narrowed


def users_page(
    customer: DirectoryCustomer,
    query: UserListQuery,
    number: str | int | None,
    *,
    state: str = DirectoryUser.ACTIVE,
    per_page: int = PAGE_SIZE,
) -> Page[DirectoryUser]:
    """One page of the customer's users, searched, filtered and sorted as `query` asks."""
    users, narrowed = _matching(customer, state, query.search)
    users = _filtered(users, customer, query)
    columns = _ORDER[query.sort]
    ordered = users.order_by(*[f"-{column}" if query.descending else column for column in columns])
    if narrowed:
        return _paginate(_FewRows(ordered, _expected(number, per_page)), number, per_page)
    known = None
    if not query.search and not query.filtered:
        known = customer.users_count if state == DirectoryUser.ACTIVE else customer.deleted_count
    return _paginate(_Rows(ordered, known), number, per_page)


def _filtered(
    users: QuerySet[DirectoryUser], customer: DirectoryCustomer, query: UserListQuery
) -> QuerySet[DirectoryUser]:
    if query.location:
        users = users.filter(usage_location=query.location)
    if query.role == ANY_ROLE:
        users = users.exclude(roles_key="")
    elif query.role:
        users = users.filter(memberships__role_id=query.role)
    if query.license:
        read = DirectoryUserLicenses.objects.filter(customer=customer).values("user_id")
        holders = DirectoryUserSku.objects.filter(customer=customer)
        if query.license == NOT_READ:
            users = users.exclude(user_id__in=read)
        elif query.license == NO_LICENSE:
            users = users.filter(user_id__in=read).exclude(user_id__in=holders.values("user_id"))
        else:
            users = users.filter(user_id__in=holders.filter(sku_id=query.license).values("user_id"))
    return users


def deleted_page(
    customer: DirectoryCustomer, search: str, number: str | int | None, *, per_page: int = PAGE_SIZE
) -> Page[DirectoryUser]:
    """Deleted users, soonest purge (earliest deletion) first."""
    users, narrowed = _matching(customer, DirectoryUser.DELETED, search)
    ordered = users.order_by(*_DELETED_ORDER)
    if narrowed:
        return _paginate(_FewRows(ordered, _expected(number, per_page)), number, per_page)
    return _paginate(_Rows(ordered, None if search else customer.deleted_count), number, per_page)


def users_for_export(customer: DirectoryCustomer, query: UserListQuery) -> Iterator[DirectoryUser]:
    """Every user of the list as shown (search, filters and order), read in chunks."""
    columns = _ORDER[query.sort]
    order = [f"-{column}" if query.descending else column for column in columns]
    users = _filtered(users_of(customer, search=query.search), customer, query).order_by(*order)
    return users.iterator(chunk_size=2000)


def locations_of(customer: DirectoryCustomer) -> list[str]:
    """The usage locations the customer's active users have (the Location filter's choices),
    as the last sync found them and the portal's own changes added to them."""
    return list(customer.locations)


def licenses_read(customer: DirectoryCustomer) -> int:
    """How many of the customer's users' licenses have been read (the scan's progress)."""
    return DirectoryUserLicenses.objects.filter(customer=customer).count()


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


# --- Users of every customer -------------------------------------------------------------------


def user_by_username(username: str) -> DirectoryUser | None:
    """The active user with exactly this username in any mirrored customer (current mirrors)."""
    return (
        _current_users()
        .filter(upn_key=ascii_lower(username.strip()), state=DirectoryUser.ACTIVE)
        .select_related("customer")
        .first()
    )


def users_search(query: str, number: str | int | None, *, per_page: int = PAGE_SIZE) -> Page[Any]:
    """Users of every mirrored customer matching `query` by words, active and deleted: exact
    matches first (the whole display name, then every word whole: "maria" before "Mariana"),
    then by name and customer.

    Found, ordered and counted from the words alone (their index covers every column used), so
    a common first name over 500,000 users reads the few thousand words it matches and nothing
    else; the page's 50 users are then read by key."""
    words = query_words(query)
    if not words:
        return _paginate(_Rows(DirectoryUser.objects.none(), 0), number, per_page)
    starts = [_starts_with(word) for word in words]
    matching = DirectoryWord.objects.filter(
        reduce(operator.or_, starts), customer__mode=mode(), generation=F("customer__generation")
    )
    wholes = {f"whole{i}": _any(Q(word=word)) for i, word in enumerate(words)}
    found = matching.values("user_id", "display_key", "customer__name_key").annotate(**wholes)
    users = matching.values("user_id").distinct()
    if len(words) > 1:  # a user must have a word starting each (with one, every row does)
        has = {f"has{i}": _any(start) for i, start in enumerate(starts)}
        found = found.annotate(**has).filter(**dict.fromkeys(has, 1))
        users = matching.values("user_id").annotate(**has).filter(**dict.fromkeys(has, 1))
    found = found.annotate(
        rank=Case(
            When(display_key=fold(query.strip()), then=Value(0)),
            When(Q(**dict.fromkeys(wholes, 1)), then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        )
    ).order_by("rank", "display_key", "customer__name_key", "user_id")
    return _paginate(_FoundUsers(found, users, _expected(number, per_page)), number, per_page)


class _AnyOf(Lookup[Any]):
    """`pk__any_of=frozenset(ids)`: `= ANY(%s)` with one array parameter on PostgreSQL, where a
    list of hundreds of literals costs more to parse and plan than the query costs to run; IN
    elsewhere. The keys are a set (Django walks a list's every item looking for expressions) of
    integers, sent to PostgreSQL as one array literal (psycopg adapts a list item by item)."""

    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler: Any, connection: BaseDatabaseWrapper) -> tuple[str, tuple[Any, ...]]:
        lhs, params = self.process_lhs(compiler, connection)
        values = sorted(int(value) for value in self.rhs)
        if not values:
            raise EmptyResultSet
        if connection.vendor == "postgresql":
            array = "{" + ",".join(map(str, values)) + "}"
            return f"{lhs} = ANY(%s::bigint[])", (*params, array)
        return f"{lhs} IN ({', '.join(['%s'] * len(values))})", (*params, *values)


DirectoryUser._meta.get_field("id").register_lookup(_AnyOf)


def _current_users() -> QuerySet[DirectoryUser]:
    return DirectoryUser.objects.filter(
        customer__mode=mode(), generation=F("customer__generation"), customer__generation__gt=0
    )


def _any(condition: Q) -> Max:
    """1 when any of a group's rows meets `condition`, else 0."""
    return Max(Case(When(condition, then=1), default=0))


def _starts_with(word: str) -> Q:
    """Words starting with `word`, as each database can answer from an index: LIKE 'word%' on
    PostgreSQL (a pattern-ops index, whatever the collation), a range on SQLite, which compares
    code points."""
    if connections["default"].vendor == "postgresql":
        return Q(word__startswith=word)
    low, high = prefix_range(word)
    return Q(word__gte=low, word__lt=high)


# --- Paging ------------------------------------------------------------------------------------


class _Rows:
    """A queryset as a paginator's list: rows fetched by id after the page's ids are found on
    the index alone (cheap deep in the list), and a count given when it is already known."""

    ordered = True

    def __init__(self, queryset: QuerySet[Any], count: int | None) -> None:
        self.queryset = queryset
        self.known = count

    def count(self) -> int:
        if self.known is None:
            self.known = self.queryset.count()
        return self.known

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index: slice) -> list[Any]:
        start = index.start or 0
        if start < SHALLOW and type(self) is _Rows:
            return list(self.queryset[start : index.stop])  # one query near the top
        ids = self._page_ids(start, index.stop)
        rows = self.queryset.model._default_manager.filter(pk__in=ids)
        if self.queryset.query.select_related:
            rows = rows.select_related(*_related(self.queryset))
        by_id = {row.pk: row for row in rows}
        return [by_id[pk] for pk in ids if pk in by_id]

    def _page_ids(self, start: int, stop: int) -> list[Any]:
        """The ids of rows start..stop. Past the middle of the list they are counted from its
        end, in the reverse order: the database skips at most half the list to reach any
        page, so the last pages cost what the first do."""
        ids = self.queryset.values_list("pk", flat=True)
        total = self.count()
        if start <= total // 2 or not self.queryset.ordered:
            return list(ids[start:stop])
        stop = min(stop, total)
        backwards = ids.reverse()[total - stop : total - start]
        return list(reversed(list(backwards)))


class _Counted(_Rows):
    """Rows whose page is read with the length of the whole list in the same query: a window
    `COUNT(*) OVER ()`, which counts every row before the LIMIT. A paginator asks for the count
    before the page, so the page it is expected to ask for (`expected`) is read then. Asked for a
    page past the end, it reads no row: the list is then counted on its own."""

    def __init__(self, queryset: QuerySet[Any], expected: slice) -> None:
        super().__init__(queryset, None)
        self.expected = expected
        self._page: list[Any] | None = None

    def _read(self, start: int, stop: int) -> tuple[list[Any], int]:
        """Rows start..stop and the length of the list (0 when there is no row to read)."""
        raise NotImplementedError

    def _count_alone(self) -> int:
        raise NotImplementedError

    def count(self) -> int:
        if self.known is None:
            rows, total = self._read(self.expected.start, self.expected.stop)
            if rows or not self.expected.start:
                self._page = rows
                self.known = total
            else:
                self.known = self._count_alone()
        return self.known

    def __getitem__(self, index: slice) -> list[Any]:
        start, stop = index.start or 0, index.stop
        if self._page is not None and self.expected.start <= start <= stop <= self.expected.stop:
            return self._page[start - self.expected.start : stop - self.expected.start]
        return self._read(start, stop)[0]


# The annotation a counted page reads the list's length from.
_TOTAL: Final = "listed_total"


def _with_total(queryset: QuerySet[Any]) -> QuerySet[Any]:
    counted: QuerySet[Any] = queryset.annotate(**{_TOTAL: Window(Count("*"))})
    return counted


class _FewRows(_Counted):
    """Rows a search narrowed to a few (at most FEW_MATCHES), read a page at a time with their
    count: one query, sorting only the few."""

    def _read(self, start: int, stop: int) -> tuple[list[Any], int]:
        rows = list(_with_total(self.queryset)[start:stop])
        return rows, getattr(rows[0], _TOTAL) if rows else 0

    def _count_alone(self) -> int:
        return self.queryset.count()


class _FoundUsers(_Counted):
    """A page of `users_search`: the page's user ids and their count from the ordered words,
    then its users (with their customers) read by key. `users` counts on its own (one row a
    user, cheaper than the ordered rows)."""

    def __init__(self, found: QuerySet[Any], users: QuerySet[Any], expected: slice) -> None:
        super().__init__(found, expected)
        self.users = users

    def _read(self, start: int, stop: int) -> tuple[list[Any], int]:
        found = list(_with_total(self.queryset).values_list("user_id", _TOTAL)[start:stop])
        ids = [user_id for user_id, _ in found]
        by_id = DirectoryUser.objects.select_related("customer").in_bulk(ids)
        return [by_id[pk] for pk in ids if pk in by_id], found[0][1] if found else 0

    def _count_alone(self) -> int:
        return self.users.count()


def _related(queryset: QuerySet[Any]) -> list[str]:
    related = queryset.query.select_related
    return list(related) if isinstance(related, dict) else []


def _expected(number: str | int | None, per_page: int) -> slice:
    """The rows of page `number` as the paginator will slice them if it exists (a number it
    does not take reads page 1)."""
    try:
        page = max(int(number or 1), 1)
    except ValueError:
        page = 1
    return slice((page - 1) * per_page, page * per_page)


def _paginate(rows: _Rows, number: str | int | None, per_page: int) -> Page[Any]:
    paginator: Paginator[Any] = Paginator(rows, per_page)  # type: ignore[arg-type]
    return paginator.get_page(number)
