"""The directory's rows in bulk: how a user Partner Center described becomes a row (and its
search words), how a generation's rows are inserted at once (COPY on PostgreSQL, one
`executemany` on SQLite) and deleted in short batches, and what each database needs around that
(PostgreSQL's statistics, SQLite's page cache). Used by the syncs (`sync.py`) and the
write-through (`writes.py`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, Final

from django.db import connections, models, transaction
from django.utils import timezone

from customers.directory.models import (
    DirectoryCustomer,
    DirectoryRole,
    DirectoryRoleMember,
    DirectorySku,
    DirectoryUser,
    DirectoryUserLicenses,
    DirectoryUserSku,
    DirectoryWord,
)
from customers.directory.text import ascii_lower, joined, sort_key, user_words
from portal.partnercenter import CustomerUser, SubscribedSku

BATCH: Final = 1000
ID_CHUNK: Final = 500  # user ids in one IN (...): well inside every database's parameter limit
# SQLite's page cache for a connection that writes a sync (its default is 2 MB): a sync inserts
# into the indexes of a directory that may hold millions of rows, and with too small a cache it
# reads the same index pages from the file again and again (measured: 15 % of a sweep's time).
SQLITE_SYNC_CACHE_KIB: Final = 64 * 1024
# The share of a table's rows changed since PostgreSQL last analysed it that makes a sync
# analyse it again (autovacuum's own default is a tenth, but it comes round only every minute).
STALE_SHARE: Final = 0.2


def user_values(
    customer_id: int,
    generation: int,
    user: CustomerUser,
    state: str,
    *,
    now: datetime,
    roles: Iterable[str] = (),
) -> dict[str, Any]:
    """A directory row's fields (by attribute name) for a user as Partner Center described it."""
    upn = user.user_principal_name or ""
    display = user.display_name or upn
    role_text = joined(roles)
    deleted = state == DirectoryUser.DELETED
    return {
        "customer_id": customer_id,
        "generation": generation,
        "user_id": user.id or "",
        "user_principal_name": upn,
        "upn_key": ascii_lower(upn),
        "display_name": display,
        "display_key": sort_key(display),
        "first_name": user.first_name or "",
        "last_name": user.last_name or "",
        "usage_location": (user.usage_location or "").upper(),
        "roles": role_text,
        "roles_key": sort_key(role_text),
        "state": state,
        "deleted_at": (user.soft_deletion_time or now) if deleted else None,
        "confirmed_at": now,
    }


def user_row(
    customer: DirectoryCustomer,
    generation: int,
    user: CustomerUser,
    state: str,
    *,
    now: datetime | None = None,
    roles: Iterable[str] = (),
) -> DirectoryUser:
    """A directory row (unsaved) for a user as Partner Center described it."""
    values = user_values(
        customer.pk, generation, user, state, now=now or timezone.now(), roles=roles
    )
    return DirectoryUser(**values)


def insert_users(customer_id: int, generation: int, rows: list[dict[str, Any]]) -> dict[str, int]:
    """Insert one generation's rows (from `user_values`) at once; returns each row's primary key
    by user id.

    Not `bulk_create`: building and preparing model instances was a fifth of a sweep's time, and
    SQLite would take them 58 at a time (Django's limit of 999 parameters a statement).
    """
    connection = connections[DirectoryUser.objects.db]
    names = list(rows[0])
    column_of = {field.attname: str(field.column) for field in DirectoryUser._meta.concrete_fields}
    dates = [name in ("deleted_at", "confirmed_at") for name in names]
    adapt = connection.ops.adapt_datetimefield_value
    insert_rows(
        DirectoryUser,
        [column_of[name] for name in names],
        [
            tuple(
                adapt(value) if is_date else value
                for value, is_date in zip(row.values(), dates, strict=True)
            )
            for row in rows
        ],
    )
    user_ids = [row["user_id"] for row in rows]
    pks: dict[str, int] = {}
    for start in range(0, len(user_ids), ID_CHUNK):
        pks.update(
            DirectoryUser.objects.filter(
                customer_id=customer_id,
                generation=generation,
                user_id__in=user_ids[start : start + ID_CHUNK],
            ).values_list("user_id", "pk")
        )
    return pks


def words_of(row: dict[str, Any]) -> list[str]:
    return user_words(
        display_name=row["display_name"],
        first_name=row["first_name"],
        last_name=row["last_name"],
        user_principal_name=row["user_principal_name"],
    )


def index_words(rows: Iterable[DirectoryUser]) -> None:
    """Add the search words of these (saved) users."""
    insert_words(
        (row.customer_id, row.generation, row.pk, row.display_key, row.state, word)
        for row in rows
        for word in user_words(
            display_name=row.display_name,
            first_name=row.first_name,
            last_name=row.last_name,
            user_principal_name=row.user_principal_name,
        )
    )


def insert_words(values: Iterable[tuple[int, int, int, str, str, str]]) -> None:
    """(customer pk, generation, user pk, display key, state, word) rows, at once: a customer's
    users have five or six words each, and building 30,000 model objects cost more than the rest
    of a sync together."""
    columns = ["customer_id", "generation", "user_id", "display_key", "state", "word"]
    insert_rows(DirectoryWord, columns, list(values))


def insert_rows(model: type[models.Model], columns: list[str], rows: list[tuple[Any, ...]]) -> None:
    """Rows into `model`'s table in one go: COPY on PostgreSQL (an INSERT per row, even
    pipelined, made a sweep there half as fast again as its budget of calls), one `executemany`
    on SQLite, whose inserts are cheap calls into the same process."""
    if not rows:
        return
    table = model._meta.db_table
    connection = connections[model._default_manager.db]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        cursor.executemany(
            f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608
            f"VALUES ({', '.join(['%s'] * len(columns))})",
            rows,
        )


def sku_row(customer: DirectoryCustomer, sku: SubscribedSku, now: datetime) -> DirectorySku:
    product = sku.product_sku
    return DirectorySku(
        customer=customer,
        sku_id=product.id,
        name=product.name or product.sku_part_number or product.id,
        part_number=product.sku_part_number or "",
        available=sku.available_units or 0,
        total=sku.total_units or 0,
        consumed=sku.consumed_units or 0,
        confirmed_at=now,
    )


def copy_user(row: DirectoryUser, generation: int) -> DirectoryUser:
    """`row` (with its words and role memberships) as a row of another generation."""
    role_ids = list(row.memberships.values_list("role_id", flat=True))
    copy = DirectoryUser.objects.get(pk=row.pk)
    copy.pk = None
    copy.generation = generation
    copy.save()
    index_words([copy])
    DirectoryRoleMember.objects.bulk_create(
        DirectoryRoleMember(user=copy, role_id=role_id) for role_id in role_ids
    )
    return copy


def licenses_count(customer: DirectoryCustomer) -> int:
    """How many of the customer's users' licenses are known, as `licenses_read` keeps it."""
    return DirectoryUserLicenses.objects.filter(customer=customer).count()


def refresh_statistics() -> None:
    """Let PostgreSQL plan with the directory counted as it is.

    PostgreSQL plans from table statistics. Tables it has not analysed since they grew (the
    first syncs, before autovacuum comes round) are planned as nearly empty, and a search of a
    50,000-user customer then re-reads its words for every user: 4 s instead of 30 ms. ANALYZE
    samples a fixed number of rows whatever the size, but after every sync it cost a sweep of
    200 customers a third of its time; so the users, words, memberships, SKUs, roles and
    licenses are analysed when their statistics are stale (never taken, or a fifth of the rows
    changed since), and the small customers table, which every sync changes, always. The
    license scan calls it too: never analysed, the licenses of a 5,000-user customer were
    planned as a dozen rows, and a page's licenses read all 5,000 (1.4 ms, not 0.4). SQLite
    plans well enough without.
    """
    connection = connections[DirectoryUser._default_manager.db]
    if connection.vendor != "postgresql":
        return
    watched = (
        DirectoryUser,
        DirectoryWord,
        DirectoryRoleMember,
        DirectorySku,
        DirectoryRole,
        DirectoryUserLicenses,
        DirectoryUserSku,
    )
    tables = [model._meta.db_table for model in watched]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_stat_user_tables WHERE relname = ANY(%s) AND ("
            "COALESCE(last_analyze, last_autoanalyze) IS NULL"
            " OR n_mod_since_analyze > %s * GREATEST(n_live_tup, 1000))",
            [tables, STALE_SHARE],
        )
        stale = [row[0] for row in cursor.fetchall()]
        cursor.execute(f"ANALYZE {', '.join([DirectoryCustomer._meta.db_table, *stale])}")


def mark_visible() -> None:
    """Let PostgreSQL answer searches and lists from the users' and words' indexes alone.

    An index-only scan still reads a row's table page unless VACUUM has marked that page
    all-visible, and autovacuum comes round only once a fifth of a table has changed (on some
    servers never): the words of the customers just read were each fetched from the table (the
    search across customers for 'maria' at 550,000 users: 6,126 fetches, 7.8 ms, not 5.8). A
    sync vacuums the two tables once it has switched: VACUUM reads only the pages not marked
    since the last one (the whole 550,000-user directory, never vacuumed: 1.4 s) and skips the
    tables when a vacuum elsewhere holds them. Not inside a transaction, where VACUUM cannot
    run, and not on SQLite, which has no such map.
    """
    connection = connections[DirectoryUser._default_manager.db]
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return
    tables = ", ".join(model._meta.db_table for model in (DirectoryUser, DirectoryWord))
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM (SKIP_LOCKED, TRUNCATE false) {tables}")


def roomy_sqlite_cache() -> None:
    """Give this thread's SQLite connection the cache a sync's writes need (a no-op elsewhere;
    it lasts as long as the connection)."""
    connection = connections[DirectoryUser.objects.db]
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = -{SQLITE_SYNC_CACHE_KIB}")


def generations(customer: DirectoryCustomer) -> list[int]:
    return sorted(
        set(
            DirectoryUser.objects.filter(customer=customer)
            .values_list("generation", flat=True)
            .distinct()
        )
    )


def delete_generation(customer: DirectoryCustomer, generation: int) -> None:
    """Delete one generation's users, a batch per short transaction.

    Their words and memberships first, then the users by key in one statement each: Django's
    cascade would load every user of the batch as a model instance first, to learn nothing.
    """
    rows = DirectoryUser.objects.filter(customer=customer, generation=generation)
    table = DirectoryUser._meta.db_table
    connection = connections[DirectoryUser.objects.db]
    while ids := list(rows.values_list("pk", flat=True)[:BATCH]):
        with transaction.atomic(), connection.cursor() as cursor:
            DirectoryWord.objects.filter(user_id__in=ids).delete()
            DirectoryRoleMember.objects.filter(user_id__in=ids).delete()
            cursor.execute(
                f"DELETE FROM {table} WHERE id IN ({', '.join(['%s'] * len(ids))})",  # noqa: S608
                ids,
            )
