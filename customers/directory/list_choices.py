"""What the Users and licenses list needs besides its page of users, in one query: the
customer's subscribed SKUs (the Licenses column's names and the license filter's seats), its
directory roles (the role filter) and the licenses of the page's users.

Each is also a query of its own (`customer_queries.skus_of`, `roles_of` and
`user_queries.licenses_of`); the list asks for all three on every view, and three queries of a
few rows cost the page more than its fifty users do (on PostgreSQL each is a round trip).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

from django.db import connections

from customers.directory.customer_queries import RoleRow, SkuRow
from customers.directory.models import (
    DirectoryCustomer,
    DirectoryRole,
    DirectorySku,
    DirectoryUserLicenses,
    DirectoryUserSku,
)

_SKU: Final = 0
_ROLE: Final = 1
_HELD: Final = 2


@dataclass(frozen=True)
class ListChoices:
    skus: list[SkuRow]  # by name, as `skus_of`
    roles: list[RoleRow]  # by name, as `roles_of`
    # The SKU ids (sorted) each of the given users holds, as `licenses_of`: not read, absent.
    held: dict[str, list[str]] = field(default_factory=dict)


def users_list_choices(customer: DirectoryCustomer, user_ids: Sequence[str] = ()) -> ListChoices:
    """The customer's SKUs and roles (each by name), and the licenses of `user_ids` (the page's
    users)."""
    wanted = list(dict.fromkeys(user_ids))
    with connections["default"].cursor() as cursor:
        cursor.execute(_sql(len(wanted)), [*[customer.pk] * 3, *wanted])
        rows = cursor.fetchall()
    skus: list[SkuRow] = []
    roles: list[RoleRow] = []
    held: dict[str, list[str]] = {}
    for kind, key, name, part_number, available, total, consumed in rows:
        if kind == _SKU:
            skus.append(SkuRow(key, name, part_number, available, total, consumed))
        elif kind == _ROLE:
            roles.append(RoleRow(key, name))
        else:  # a user read with no license has one row, with no SKU
            skus_held = held.setdefault(key, [])
            if name is not None:
                skus_held.append(name)
    return ListChoices(skus, roles, held)


def _sql(users: int) -> str:
    """The query, for this many users. The table names come from the models; every value is a
    parameter. Ordered by kind, then by name (a SKU id for a held license) in the database's
    collation, as the ORM's order_by("name") would."""
    skus, roles = DirectorySku._meta.db_table, DirectoryRole._meta.db_table
    read, held = DirectoryUserLicenses._meta.db_table, DirectoryUserSku._meta.db_table
    marks = ", ".join(["%s"] * users) or "NULL"
    return (
        f"SELECT {_SKU}, sku_id, name, part_number, available, total, consumed "  # noqa: S608
        f"FROM {skus} WHERE customer_id = %s "
        f"UNION ALL SELECT {_ROLE}, role_id, name, '', 0, 0, 0 FROM {roles} "
        "WHERE customer_id = %s "
        f"UNION ALL SELECT {_HELD}, r.user_id, h.sku_id, '', 0, 0, 0 FROM {read} r "
        f"LEFT JOIN {held} h ON h.customer_id = r.customer_id AND h.user_id = r.user_id "
        f"WHERE r.customer_id = %s AND r.user_id IN ({marks}) "
        "ORDER BY 1, 3"
    )
