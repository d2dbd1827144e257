"""Microsoft's sign-in for Partner Center, as msal sees it: the partner's Entra app
(`MsalConfig`), msal's confidential client built for it (`build_application`), and what the
identity provider's refusals mean (`SignInRequired`, `SignInRefused`, `error_from_result`).

Both ways of getting a token use this: the token providers in `msal_auth.py`, which renew the
stored sign-in, and the two ways of storing one in `connect.py`. Nothing here logs a token or a
secret; `RedactSecrets` (installed on msal's loggers below, as soon as msal is imported) masks
anything shaped like a token that reaches them anyway.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from typing import Any

import msal
import requests
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from portal.log_redaction import redact
from portal.partnercenter.errors import PartnerCenterError, Unauthorized, Unavailable

PARTNER_CENTER_RESOURCE = "https://api.partnercenter.microsoft.com"
USER_IMPERSONATION_SCOPE = f"{PARTNER_CENTER_RESOURCE}/user_impersonation"
APP_ONLY_SCOPE = f"{PARTNER_CENTER_RESOURCE}/.default"
AUTHORITY_HOST = "https://login.microsoftonline.com"
# Seconds for one call to the identity provider: a renewal holds the cache's row lock.
IDENTITY_TIMEOUT = 15

RECONNECT = (
    "Partner Center sign-in expired: a superuser must reconnect (manage.py partnercenter_connect)."
)
# Entra errors that mean the stored grant is no longer good: only a person can fix them.
_GRANT_ERRORS = frozenset({"invalid_grant", "interaction_required", "consent_required"})
_APP_CREDENTIAL_ERRORS = frozenset({"invalid_client", "unauthorized_client"})

# msal's `http_cache`: discovery documents and recent error answers, never tokens (msal's docs
# say so). Shared by the applications this process builds, so building one per acquisition costs
# no network call after the first.
HTTP_CACHE: dict[str, Any] = {}
# One msal call at a time per process: msal's applications built over the shared `HTTP_CACHE`
# each guard it with their own lock, and the database lock serialises renewals anyway.
PROCESS_LOCK = threading.Lock()


class SignInRequired(Unauthorized):
    """The stored Partner Center sign-in is missing or no longer accepted: a person must act."""

    lead = RECONNECT


class SignInRefused(Unauthorized):
    """Microsoft's sign-in refused what the portal presented (a refresh token, the app secret)."""

    lead = "Microsoft's sign-in refused the Partner Center credentials."


@dataclass(frozen=True)
class MsalConfig:
    """The partner's Entra app: where it lives, its id and its secret."""

    tenant_id: str
    client_id: str
    client_secret: str = field(repr=False)

    @property
    def authority(self) -> str:
        return f"{AUTHORITY_HOST}/{self.tenant_id}"

    @classmethod
    def from_settings(cls) -> MsalConfig:
        """The app from settings; `ImproperlyConfigured` naming whatever is missing."""
        values = {
            "PARTNER_CENTER_TENANT_ID": getattr(settings, "PARTNER_CENTER_TENANT_ID", ""),
            "PARTNER_CENTER_APP_ID": getattr(settings, "PARTNER_CENTER_APP_ID", ""),
            "PARTNER_CENTER_APP_SECRET": getattr(settings, "PARTNER_CENTER_APP_SECRET", ""),
        }
        missing = [name for name, value in values.items() if not value]
        if missing:
            raise ImproperlyConfigured(
                f"Live mode needs {', '.join(missing)} to sign in to Partner Center "
                "(or run with PARTNER_CENTER_MODE=sandbox)."
            )
        return cls(
            tenant_id=values["PARTNER_CENTER_TENANT_ID"],
            client_id=values["PARTNER_CENTER_APP_ID"],
            client_secret=values["PARTNER_CENTER_APP_SECRET"],
        )


def build_application(
    config: MsalConfig,
    cache: msal.TokenCache,
    *,
    http_cache: MutableMapping[str, Any] | None = None,
) -> msal.ConfidentialClientApplication:
    """msal's confidential client for the partner's app, over `cache`.

    Instance discovery is off: the authority is always login.microsoftonline.com/<tenant>, and
    the cache is only ever written through it, so msal has no aliases to look up.
    """
    try:
        return msal.ConfidentialClientApplication(
            config.client_id,
            authority=config.authority,
            client_credential=config.client_secret,
            token_cache=cache,
            http_cache=HTTP_CACHE if http_cache is None else http_cache,
            instance_discovery=False,
            timeout=IDENTITY_TIMEOUT,
        )
    except requests.RequestException as error:
        raise unreachable(error) from error
    except ValueError as error:
        # msal's tenant discovery failed: the tenant is unknown to Microsoft's sign-in.
        raise PartnerCenterError(
            f"Microsoft's sign-in does not know the tenant {config.tenant_id!r}: check "
            f"PARTNER_CENTER_TENANT_ID ({error})"
        ) from None


def unreachable(error: Exception) -> Unavailable:
    return Unavailable(f"Microsoft's sign-in service could not be reached ({type(error).__name__})")


def short_description(description: str) -> str:
    """Entra's error description without its trace, correlation and time lines."""
    first = re.split(r"\s*(?:\r?\n|Trace ID:)", description or "", maxsplit=1)[0]
    return first.strip()[:300]


def error_from_result(result: dict[str, Any], *, grant_kind: type[Unauthorized]) -> Exception:
    """The exception for msal's error answer `result` (it carries no token, only codes)."""
    error = str(result.get("error") or "unknown_error")
    description = short_description(str(result.get("error_description") or ""))
    if error in _GRANT_ERRORS:
        return grant_kind(description, code=error)
    if error in _APP_CREDENTIAL_ERRORS:
        return SignInRefused(
            "The app id or secret (PARTNER_CENTER_APP_ID, PARTNER_CENTER_APP_SECRET) was refused"
            + (f": {description}" if description else ""),
            code=error,
        )
    if error in {"temporarily_unavailable", "server_error"}:
        return Unavailable(description or "Microsoft's sign-in is not answering", code=error)
    return grant_kind(description or error, code=error)


# --- Log redaction -----------------------------------------------------------------------------
# A JWT (three base64url parts, the first starting with eyJ) or an Entra refresh token (long,
# dotted base64url starting with 0. or 1.): whatever the message, these never reach a log line.
class RedactSecrets(logging.Filter):
    """Masks token-shaped text in a record before any handler formats it.

    msal already masks the tokens in the events it logs at debug level; this guards what it
    might log in a future version, or in an error description that echoes what it was sent.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def _install_redaction() -> None:
    # A logger's filters see only records logged to that very logger, not its children's, so
    # the filter goes on each msal logger that exists once msal is imported.
    redact = RedactSecrets()
    names = [
        "msal",
        *(name for name in logging.root.manager.loggerDict if name.startswith("msal.")),
    ]
    for name in names:
        target = logging.getLogger(name)
        if not any(isinstance(existing, RedactSecrets) for existing in target.filters):
            target.addFilter(redact)


_install_redaction()


__all__ = [
    "APP_ONLY_SCOPE",
    "HTTP_CACHE",
    "PROCESS_LOCK",
    "RECONNECT",
    "USER_IMPERSONATION_SCOPE",
    "MsalConfig",
    "RedactSecrets",
    "SignInRefused",
    "SignInRequired",
    "build_application",
    "error_from_result",
    "short_description",
    "unreachable",
]
