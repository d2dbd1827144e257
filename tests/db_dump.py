"""Every row of every table of a database as text, for tests that look for a secret everywhere."""

from __future__ import annotations

from django.db import connections


def dump_database(alias: str) -> str:
    """Every row of every table of database `alias` as text (bytes decoded as text too)."""
    rows = []
    connection = connections[alias]
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')
            rows += [
                " ".join(
                    bytes(value).decode("utf-8", "replace")
                    if isinstance(value, bytes | memoryview)
                    else str(value)
                    for value in row
                )
                for row in cursor.fetchall()
            ]
    return "\n".join(rows)
