"""Receivers: failed sign-ins in the audit log, and the demo account retired in live mode.

Failed sign-ins, whichever way in was tried (the form, the admin):
Django's `user_login_failed` is the one place every failed attempt passes. The receiver only
hands the attempt to the audit service; it names the username tried and never reads the
password among the credentials Django passes. Successful sign-ins are recorded by the sign-in
views themselves (`portal.audit.records.audit_sign_in`).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from portal.audit.records import Action, Actor, audit_record
from portal.client_ip import client_ip


def audit_sign_in_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    username = str(credentials.get("username") or "")[:150]
    address = client_ip(request) if request is not None else None
    actor = Actor(None, username or "(no username)", "web", address)
    audit_record(
        actor=actor,
        action=Action.SIGN_IN_FAILED,
        succeeded=False,
        message="Wrong username or password, or a locked account.",
    )


def retire_demo_accounts(sender: Any, using: str = "default", **kwargs: Any) -> None:
    """After `migrate` (at every start), in live mode: the sandbox's demo account can no longer
    sign in (`portal.demo`)."""
    if settings.SANDBOX_ENABLED or using != "default":
        return
    from portal.demo import demo_accounts_retire

    demo_accounts_retire()
