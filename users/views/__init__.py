"""The users app's pages: the user page and its actions, Add user, Restore.

A package (not one module) so each screen keeps its own file; `users.urls` imports from here.
"""

from __future__ import annotations

from users.views.add import user_add, user_add_username_check
from users.views.ask_first import user_delete, user_reset_password
from users.views.detail import user_detail, user_update
from users.views.restore import users_restore_view
from users.views.scheduled import scheduled_list
from users.views.selected import users_selected

__all__ = [
    "scheduled_list",
    "user_add",
    "user_add_username_check",
    "user_delete",
    "user_detail",
    "user_reset_password",
    "user_update",
    "users_restore_view",
    "users_selected",
]
