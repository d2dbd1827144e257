"""The sandbox's demo sign-in: a superuser `admin` made by `manage.py portal_demo_user`, whose
password is kept in `<DATA_DIR>/demo-password` and printed where anyone reading the logs of a
sandbox can see it. Such an account is marked (`DemoAccount`) when it is made, so that in live
mode it can never sign in: it is refused by the sign-in backend, its sessions end, and it is
deactivated (and its password made unusable) whenever the portal's migrations run at start-up,
said so in the log. A real superuser that happens to be called `admin` is not marked and is left
alone — unless its password is still the demo one from the data directory, which marks it as
the demo account it is (a portal run in sandbox before this mark existed).
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path
from typing import Final

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction

from portal.models import DemoAccount

logger = logging.getLogger("portal.demo")

DEMO_USERNAME: Final = "admin"
PASSWORD_FILE_NAME: Final = "demo-password"  # noqa: S105 (a file name, not a password)


def demo_password_file() -> Path:
    return Path(settings.DATA_DIR) / PASSWORD_FILE_NAME


def demo_password(*, create: bool = True) -> str:
    """The demo password from its file, made on first use (unless `create` is False: "")."""
    path = demo_password_file()
    try:
        password = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        password = ""
    if password or not create:
        return password
    password = secrets.token_urlsafe(12)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Created with mode 0600 from the start, so it is never readable by others, not even briefly.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(password + "\n")
    path.chmod(0o600)  # an empty file left by someone else may have had wider permissions
    return password


def demo_account_ensure(password: str) -> User:
    """The demo superuser, made or reset to `password`, active and marked as the demo account."""
    with transaction.atomic():
        user, _ = User.objects.get_or_create(username=DEMO_USERNAME)
        user.is_active = True
        user.is_staff = True
        user.is_superuser = True
        user.set_password(password)
        user.save()
        DemoAccount.objects.get_or_create(user=user)
    return user


def is_demo_account(user: object) -> bool:
    pk = getattr(user, "pk", None)
    return pk is not None and DemoAccount.objects.filter(user_id=pk).exists()


def demo_accounts_retire() -> list[str]:
    """Live mode: deactivate every demo account (and make its password unusable); returns their
    usernames. Safe to run at every start and from several processes at once."""
    _mark_unmarked_demo()
    retired = []
    with transaction.atomic():
        for user in User.objects.select_for_update().filter(demo_account__isnull=False):
            if not user.is_active and not user.has_usable_password():
                continue
            user.is_active = False
            user.set_unusable_password()
            user.save(update_fields=["is_active", "password"])
            retired.append(user.username)
    for username in retired:
        logger.warning(
            "Live mode: the sandbox's demo account %r is deactivated and can no longer sign "
            "in. Sign in with a staff account of your own (manage.py createsuperuser).",
            username,
        )
    return retired


def _mark_unmarked_demo() -> None:
    """An `admin` made before demo accounts were marked: still the demo one if its password is
    the one in the data directory."""
    password = demo_password(create=False)
    if not password:
        return
    user = User.objects.filter(username=DEMO_USERNAME, demo_account__isnull=True).first()
    if user is not None and user.check_password(password):
        DemoAccount.objects.get_or_create(user=user)
