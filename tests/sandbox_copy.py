"""The demo data written back from a copy, for tests that want it again and again.

`sandbox_seed(reset=True)` takes about a second on SQLite, most of it Django building
`bulk_create`'s SQL for 13,000 rows. A worker seeds once, keeps the rows it wrote (as the
database takes them), and later writes the same rows back with one plain INSERT a table, their
times moved on by the time since, so a seed a minute old still has a user a day from purge.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.management.color import no_style
from django.db import connections, models, transaction

from portal.routers import SANDBOX_DB
from portal.sandbox import clock, seed
from portal.sandbox.seed_rows import SeedRows

# What the seed writes, parents first.
SEEDED_MODELS: tuple[type[models.Model], ...] = tuple(model for model, _ in SeedRows().tables())


@dataclass
class _Table:
    """One table's seeded rows, each value as the database takes it but its times, which are
    moved on before they are written back."""

    model: type[models.Model]
    columns: list[str]
    times: list[int]  # the positions of the datetime columns
    rows: list[list[Any]]

    @classmethod
    def read(cls, model: type[models.Model]) -> _Table:
        connection = connections[SANDBOX_DB]
        fields = model._meta.concrete_fields
        times = [i for i, field in enumerate(fields) if isinstance(field, models.DateTimeField)]
        rows = []
        read = model._default_manager.using(SANDBOX_DB).order_by("pk")
        for values in read.values_list(*(field.attname for field in fields)):
            row = [
                value if i in times else field.get_db_prep_save(value, connection)
                for i, (field, value) in enumerate(zip(fields, values, strict=True))
            ]
            rows.append(row)
        return cls(model, [str(field.column) for field in fields], times, rows)

    def write(self, shift: timedelta) -> None:
        """The rows, their times `shift` later, in the caller's transaction."""
        connection = connections[SANDBOX_DB]
        adapt = connection.ops.adapt_datetimefield_value
        times = set(self.times)
        values = [
            [
                (None if value is None else adapt(value + shift)) if i in times else value
                for i, value in enumerate(row)
            ]
            for row in self.rows
        ]
        quote = connection.ops.quote_name
        table = quote(self.model._meta.db_table)
        columns = ", ".join(quote(column) for column in self.columns)
        marks = ", ".join(["%s"] * len(self.columns))
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":  # one COPY, not an INSERT a row
                with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in values:
                        copy.write_row(row)
                return
            # The table and columns are a model's, and every value a parameter.
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", values)


class SeedCopy:
    """The demo data of this worker's sandbox database: seeded the first time, written back
    from the copy after."""

    def __init__(self) -> None:
        self.tables: list[_Table] | None = None
        self.taken_at: datetime | None = None

    def seed(self) -> None:
        """As `seed.sandbox_seed(reset=True)`: the sandbox emptied and the demo data in it, in
        one transaction."""
        if self.tables is None or self.taken_at is None:
            taken_at = clock.now()
            seed.sandbox_seed(reset=True)
            self.tables = [_Table.read(model) for model in SEEDED_MODELS]
            self.taken_at = taken_at
            return
        shift = clock.now() - self.taken_at
        connection = connections[SANDBOX_DB]
        with transaction.atomic(using=SANDBOX_DB):
            seed.sandbox_wipe()
            for table in self.tables:
                table.write(shift)
            with connection.cursor() as cursor:
                for sql in connection.ops.sequence_reset_sql(no_style(), list(SEEDED_MODELS)):
                    cursor.execute(sql)


SEED_COPY = SeedCopy()
