"""`manage.py partnercenter_connect < refresh-token.txt`: import the Partner Center sign-in once.

Live mode signs in to Partner Center as a partner user through the partner's Entra app (App+User,
scope `https://api.partnercenter.microsoft.com/user_impersonation`). Until the portal has its own
consent page, a superuser obtains a refresh token for that user elsewhere (an authorization-code
sign-in with MFA, e.g. PowerShell's `New-PartnerAccessToken ... -UseAuthorizationCode`) and
imports it here. The portal redeems it once and from then on renews tokens by itself, from the
encrypted msal cache every process shares.

The token is read from standard input only, never from an argument: arguments land in shell
history and in every user's view of the process list. In a terminal it is prompted for without
echo. Nothing printed or logged contains a token.
"""

from __future__ import annotations

import getpass
import sys
from typing import Any, TextIO

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from portal.partnercenter.errors import PartnerCenterError


class Command(BaseCommand):
    help = (
        "Live mode: import a partner user's refresh token from standard input as the portal's "
        "Partner Center sign-in (never pass it as an argument)."
    )
    # `stdin` lets tests (and callers of call_command) hand the token over without a terminal.
    stealth_options = ("stdin",)

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.SANDBOX_ENABLED:
            self.stdout.write(
                "Sandbox mode needs no Partner Center sign-in: the embedded sandbox accepts the "
                "portal as it is. Nothing was changed."
            )
            return
        refresh_token = self._read_token(options.get("stdin") or sys.stdin)

        # Imported here: the live-mode machinery is not needed for the sandbox answer above.
        from portal.partnercenter.connect import connect_with_refresh_token

        try:
            connection = connect_with_refresh_token(refresh_token)
        except PartnerCenterError as error:
            raise CommandError(f"Not connected: {error}") from None
        who = connection.username or "an account without a username claim"
        if connection.name:
            who = f"{who} ({connection.name})"
        self.stdout.write(
            f"Connected to Partner Center as {who} in tenant {connection.tenant_id}. "
            "Every web and worker process now uses this sign-in."
        )

    def _read_token(self, stream: TextIO) -> str:
        # In a terminal, prompt without echo; otherwise the token was piped in.
        interactive = stream.isatty()
        text = getpass.getpass("Refresh token (not echoed): ") if interactive else stream.read()
        token = text.strip()
        if not token:
            raise CommandError(
                "No refresh token on standard input. Pipe it in from a file only you can read "
                "(manage.py partnercenter_connect < refresh-token.txt), or run the command in a "
                "terminal and paste it when asked. Never pass it as an argument."
            )
        if any(character.isspace() for character in token):
            raise CommandError(
                "Standard input holds more than one word: give exactly one refresh token."
            )
        return token
