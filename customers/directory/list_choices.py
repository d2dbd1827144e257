"""What the Users and licenses list needs of a customer besides its users, in one query: the
subscribed SKUs (the Licenses column's names and the license filter's seats), the directory
roles (the role filter) and how many users' licenses have been read (the scan's progress).

Each is also a query of its own in `customer_queries.py` (`skus_of`, `roles_of`,
`licenses_read`); the list asks for all three on every view, and three ORM queries of a few rows
cost the page more than its fifty users do.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from django.db import connections

from customers.directory.customer_queries import RoleRow, SkuRow
from customers.directory.models import (
    DirectoryCustomer,
    DirectoryRole,
    DirectorySku,
    DirectoryUserLicenses,
)

_SKU: Final = 0
_ROLE: Final = 1
_READ: Final = 2


@dataclass(frozen=True)
class ListChoices:
    skus: list[SkuRow]  # by name, as `skus_of`
    roles: list[RoleRow]  # by name, as `roles_of`
    licenses_read: int  # as `licenses_read`


def users_list_choices(customer: DirectoryCustomer) -> ListChoices:
    """The customer's SKUs and roles (each by name) and how many users' licenses are read."""
    skus = DirectorySku._meta.db_table
    roles = DirectoryRole._meta.db_table
    read = DirectoryUserLicenses._meta.db_table
    # The table names come from the models; the customer is a parameter. Ordered by kind, then
    # by name in the database's collation, as the ORM's order_by("name") would.
    sql = (
        f"SELECT {_SKU}, sku_id, name, part_number, available, total, consumed "  # noqa: S608
        f"FROM {skus} WHERE customer_id = %s "
        f"UNION ALL SELECT {_ROLE}, role_id, name, '', 0, 0, 0 FROM {roles} "
        "WHERE customer_id = %s "
        f"UNION ALL SELECT {_READ}, '', '', '', COUNT(*), 0, 0 FROM {read} "
        "WHERE customer_id = %s "
        "ORDER BY 1, 3"
    )
    with connections["default"].cursor() as cursor:
        cursor.execute(sql, [customer.pk] * 3)
        rows = cursor.fetchall()
    skus_found: list[SkuRow] = []
    roles_found: list[RoleRow] = []
    licenses_read = 0
    for kind, key, name, part_number, available, total, consumed in rows:
        if kind == _SKU:
            skus_found.append(SkuRow(key, name, part_number, available, total, consumed))
        elif kind == _ROLE:
            roles_found.append(RoleRow(key, name))
        else:
            licenses_read = int(available)
    return ListChoices(skus_found, roles_found, licenses_read)
