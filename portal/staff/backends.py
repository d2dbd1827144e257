"""Which staff accounts may sign in how: a local password, or Microsoft (`portal.staff.entra`).

Two backends, so each kind of session is restored only while its way of signing in is on:
turning local sign-in off (`PORTAL_LOCAL_SIGNIN=false`) refuses the sign-in form and Django's
admin form alike and ends the local sessions already open; turning Microsoft sign-in off ends
the sessions it opened. In live mode the sandbox's demo account (`portal.demo`) is refused, and
its sessions end.
"""

from __future__ import annotations

from typing import Any, Final

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import User
from django.http import HttpRequest

from portal.demo import is_demo_account
from portal.models import EntraAccount

# Read with the user on every request, in the same query: whether it is a Microsoft account
# (here) and when it last signed out everywhere (`portal.staff.sessions`).
_WITH_USER: Final = ("entra_account", "signed_out_everywhere")


def _is_entra_account(user: AbstractBaseUser) -> bool:
    try:
        return user.entra_account is not None  # type: ignore[attr-defined]
    except EntraAccount.DoesNotExist:
        return False


class _StaffBackend(ModelBackend):
    def get_user(self, user_id: Any) -> User | None:
        """The session's user, with what every request asks of it, in one query."""
        try:
            user = User.objects.select_related(*_WITH_USER).get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None


class LocalPasswordBackend(_StaffBackend):
    """Django's username and password check, for local staff accounts only."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if not settings.PORTAL_LOCAL_SIGNIN:
            return None
        user = super().authenticate(request, username=username, password=password, **kwargs)
        # A Microsoft account has no usable password; this holds even if someone gave it one.
        if user is not None and (_is_entra_account(user) or _demo_in_live_mode(user)):
            return None
        return user

    def get_user(self, user_id: Any) -> User | None:
        if not settings.PORTAL_LOCAL_SIGNIN:
            return None
        user = super().get_user(user_id)
        if user is not None and _demo_in_live_mode(user):
            return None  # a session the demo account opened in sandbox ends
        return user


def _demo_in_live_mode(user: AbstractBaseUser) -> bool:
    """The sandbox's demo account never signs in in live mode (`portal.demo`)."""
    return not settings.SANDBOX_ENABLED and is_demo_account(user)


class EntraBackend(_StaffBackend):
    """Restores the sessions of staff who signed in with Microsoft; checks no password.

    Signing in happens in `portal.staff.views.entra_callback`, which calls `login()` with this
    backend once Microsoft has answered.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> None:
        return None

    def get_user(self, user_id: Any) -> User | None:
        if not settings.PORTAL_ENTRA_SIGNIN:
            return None
        user = super().get_user(user_id)
        if user is None or not _is_entra_account(user):
            return None
        return user
