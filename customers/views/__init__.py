"""The customers app's pages: dashboard and search, customers list, the customer page's tabs."""

from __future__ import annotations

from customers.views.customer_page import (
    customer_deleted_users,
    customer_loading,
    customer_refresh,
    customer_users,
    customer_users_export,
)
from customers.views.home import dashboard, search
from customers.views.listing import customer_list, customer_list_refresh

__all__ = [
    "customer_deleted_users",
    "customer_list",
    "customer_list_refresh",
    "customer_loading",
    "customer_refresh",
    "customer_users",
    "customer_users_export",
    "dashboard",
    "search",
]
