"""The flush after a transactional test (`tests/flush.py` on PostgreSQL) empties every table that
holds rows, the tables that refer to them included."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.core.management.color import no_style
from django.db import connection


@pytest.mark.django_db
def test_the_flush_empties_every_table_holding_rows() -> None:
    group = Group.objects.create(name="Flushed")
    user = User.objects.create(username="flushed")
    user.groups.add(group)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # as after a test's commits
    tables = connection.introspection.django_table_names(only_existing=True, include_views=False)
    connection.ops.execute_sql_flush(connection.ops.sql_flush(no_style(), tables))
    assert not Group.objects.exists()
    assert not User.objects.exists()
    assert not User.groups.through.objects.exists()
