"""Live mode's Partner Center sign-in: msal, with its token cache encrypted in the database.

The portal signs in as the partner's Entra app (`PARTNER_CENTER_APP_ID`/`_SECRET` in
`PARTNER_CENTER_TENANT_ID`) on behalf of a partner user (App+User, the "secure application
model"): every user-management endpoint needs that. The user's refresh token is imported once
(`manage.py partnercenter_connect`, which calls `connect_with_refresh_token`); from then on msal
renews access tokens from the refresh token it keeps in its `SerializableTokenCache`.

One cache for every process. The cache lives in the single `PartnerCenterTokenCache` row,
encrypted with `portal.crypto`. Each acquisition reads it afresh, so a web process sees the
tokens a worker renewed a second ago:

- Fast path, no lock: if the stored cache holds an access token with more than msal's own
  margin (five minutes) left, that token is returned. Nothing is written.
- Otherwise (or `force_refresh`), under a row lock (`SELECT ... FOR UPDATE` on PostgreSQL; on
  SQLite the settings' IMMEDIATE transactions take the database's write lock): read the cache
  again, let `acquire_token_silent` renew it, and write it back, encrypted, only if msal changed
  it (`has_state_changed`). A second process waiting on the lock then reads the renewed cache and
  finds a fresh access token in it, so two processes never redeem the same refresh token at once
  and a rotated refresh token is never overwritten by an older cache.

The lock is held across one call to the identity provider (bounded by `IDENTITY_TIMEOUT`).
Call Partner Center outside a database transaction: inside one, the renewed cache is written in
the caller's transaction, stays locked until it ends, and is lost if it rolls back (Entra keeps
an earlier refresh token valid, so that costs a renewal, not the connection).

App-only tokens (`MsalAppOnlyTokenProvider`) are for the few calls that accept them (customers,
domains); they hold no user's grant, are cheap to get again, and stay in each process's memory.

Nothing here logs a token or a secret; msal's own debug log masks them in the events it writes,
and `RedactSecrets` (installed on msal's loggers below) masks anything shaped like a token that
reaches them anyway.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from typing import Any

import msal
import requests
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone

from portal import crypto
from portal.log_redaction import redact
from portal.models import PartnerCenterTokenCache
from portal.partnercenter.errors import PartnerCenterError, Unauthorized, Unavailable

logger = logging.getLogger(__name__)

PARTNER_CENTER_RESOURCE = "https://api.partnercenter.microsoft.com"
USER_IMPERSONATION_SCOPE = f"{PARTNER_CENTER_RESOURCE}/user_impersonation"
APP_ONLY_SCOPE = f"{PARTNER_CENTER_RESOURCE}/.default"
AUTHORITY_HOST = "https://login.microsoftonline.com"
# Seconds for one call to the identity provider: a renewal holds the cache's row lock.
IDENTITY_TIMEOUT = 15
# msal treats an access token with less than this left as expired (application.py); the fast
# path agrees, so it never hands out a token msal itself would renew.
EXPIRY_MARGIN_SECONDS = 5 * 60

RECONNECT = (
    "Partner Center sign-in expired: a superuser must reconnect (manage.py partnercenter_connect)."
)
# Entra errors that mean the stored grant is no longer good: only a person can fix them.
_GRANT_ERRORS = frozenset({"invalid_grant", "interaction_required", "consent_required"})
_APP_CREDENTIAL_ERRORS = frozenset({"invalid_client", "unauthorized_client"})

# msal's `http_cache`: discovery documents and recent error answers, never tokens (msal's docs
# say so). Shared by the applications this process builds, so building one per acquisition costs
# no network call after the first.
_HTTP_CACHE: dict[str, Any] = {}
# One msal call at a time per process: msal's applications built over the shared `_HTTP_CACHE`
# each guard it with their own lock, and the database lock serialises renewals anyway.
_PROCESS_LOCK = threading.Lock()


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
            http_cache=_HTTP_CACHE if http_cache is None else http_cache,
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


def _load_cache(row: PartnerCenterTokenCache | None) -> msal.SerializableTokenCache:
    cache = msal.SerializableTokenCache()
    if row is not None and row.encrypted_cache:
        try:
            cache.deserialize(crypto.decrypt(row.encrypted_cache))
        except crypto.DecryptionError as error:
            raise SignInRequired(str(error), code="cache_unreadable") from None
    return cache


def _fresh_access_token(cache: msal.TokenCache, client_id: str, scope: str) -> str | None:
    """An access token in `cache` that msal would hand out without renewing it, if any."""
    now = time.time()
    for entry in cache.search(
        msal.TokenCache.CredentialType.ACCESS_TOKEN, target=[scope], query={"client_id": client_id}
    ):
        if int(entry["expires_on"]) - now < EXPIRY_MARGIN_SECONDS:
            continue
        if "refresh_on" in entry and int(entry["refresh_on"]) < now:
            continue  # msal renews an ageing token early; let it, under the lock
        return str(entry["secret"])
    return None


class MsalTokenProvider:
    """App+User tokens for Partner Center from the shared, encrypted msal cache.

    Implements `portal.partnercenter.auth.TokenProvider`. Raises `SignInRequired` (an
    `Unauthorized`) when no sign-in is stored or Entra no longer accepts it, `Unavailable` when
    Microsoft's sign-in cannot be reached.
    """

    def __init__(
        self,
        config: MsalConfig | None = None,
        *,
        scope: str = USER_IMPERSONATION_SCOPE,
        http_cache: MutableMapping[str, Any] | None = None,
    ) -> None:
        self.config = config or MsalConfig.from_settings()
        self.scope = scope
        self._http_cache = http_cache

    def access_token(self, *, force_refresh: bool = False) -> str:
        if not force_refresh:
            row = PartnerCenterTokenCache.objects.filter(
                pk=PartnerCenterTokenCache.SINGLETON_ID
            ).first()
            token = _fresh_access_token(_load_cache(row), self.config.client_id, self.scope)
            if token is not None:
                return token
        with _PROCESS_LOCK:
            return self._renew(force_refresh=force_refresh)

    def _renew(self, *, force_refresh: bool) -> str:
        with transaction.atomic():
            row = (
                PartnerCenterTokenCache.objects.select_for_update()
                .filter(pk=PartnerCenterTokenCache.SINGLETON_ID)
                .first()
            )
            if row is None or not row.encrypted_cache:
                raise SignInRequired("No Partner Center sign-in is stored.", code="not_connected")
            # Read again under the lock: another process may have renewed it meanwhile.
            cache = _load_cache(row)
            if not force_refresh:
                cached = _fresh_access_token(cache, self.config.client_id, self.scope)
                if cached is not None:
                    return cached
            token, failure = self._silent_token(cache, force_refresh=force_refresh)
            _record_renewal(row, cache, failure)
        if failure is not None:
            logger.warning("Partner Center sign-in: no token: %s", failure)
            raise failure
        logger.info("Partner Center sign-in: access token renewed")
        return token

    def _silent_token(
        self, cache: msal.SerializableTokenCache, *, force_refresh: bool
    ) -> tuple[str, Exception | None]:
        """An access token from the stored sign-in (msal renews it with the refresh token when it
        must), or why there is none."""
        app = build_application(self.config, cache, http_cache=self._http_cache)
        accounts = app.get_accounts()
        if not accounts:
            return "", SignInRequired("The stored sign-in holds no account.", code="no_account")
        try:
            result = app.acquire_token_silent_with_error(
                [self.scope], account=accounts[0], force_refresh=force_refresh
            )
        except requests.RequestException as error:
            return "", unreachable(error)
        if not result:
            return "", SignInRequired(
                "The stored sign-in holds no refresh token.", code="no_refresh_token"
            )
        if "error" in result:
            return "", error_from_result(result, grant_kind=SignInRequired)
        return str(result["access_token"]), None


def _record_renewal(
    row: PartnerCenterTokenCache, cache: msal.SerializableTokenCache, failure: Exception | None
) -> None:
    """Keep what msal changed in the cache, and whether the sign-in works, on the stored row."""
    now = timezone.now()
    fields: list[str] = []
    if cache.has_state_changed:
        row.encrypted_cache = crypto.encrypt(cache.serialize())
        fields.append("encrypted_cache")
    if failure is None:
        if fields:  # msal went to the identity provider and got a new token
            row.last_success_at = now
            fields.append("last_success_at")
        if row.last_error:
            row.last_error, row.last_error_at = "", None
            fields += ["last_error", "last_error_at"]
    else:
        row.last_error, row.last_error_at = str(failure), now
        fields += ["last_error", "last_error_at"]
    if fields:
        row.save(update_fields=[*fields, "updated_at"])


# App-only tokens: one in-memory cache per process (see the module docstring).
_APP_ONLY_CACHE = msal.TokenCache()


class MsalAppOnlyTokenProvider:
    """App-only tokens (client credentials) for the calls Partner Center allows without a user:
    customers, customer by id, custom domains, domain availability. Every user, role and license
    endpoint refuses them (403)."""

    def __init__(
        self,
        config: MsalConfig | None = None,
        *,
        cache: msal.TokenCache | None = None,
        http_cache: MutableMapping[str, Any] | None = None,
    ) -> None:
        self.config = config or MsalConfig.from_settings()
        self._cache = _APP_ONLY_CACHE if cache is None else cache
        self._http_cache = http_cache

    def access_token(self, *, force_refresh: bool = False) -> str:
        with _PROCESS_LOCK:
            app = build_application(self.config, self._cache, http_cache=self._http_cache)
            if force_refresh:
                # msal refuses force_refresh for client credentials; forgetting the cached token
                # has the same effect.
                app.remove_tokens_for_client()
            try:
                result = app.acquire_token_for_client(scopes=[APP_ONLY_SCOPE])
            except requests.RequestException as error:
                raise unreachable(error) from error
        if not result or "error" in result:
            raise error_from_result(result or {}, grant_kind=SignInRefused)
        return str(result["access_token"])


@dataclass(frozen=True)
class Connection:
    """Who the portal now signs in as (from the id token's claims; no token)."""

    username: str
    name: str
    tenant_id: str


def connect_with_refresh_token(
    refresh_token: str,
    *,
    config: MsalConfig | None = None,
    http_cache: MutableMapping[str, Any] | None = None,
) -> Connection:
    """Redeem a refresh token obtained elsewhere and store the resulting cache as the sign-in.

    Replaces whatever sign-in was stored. Raises `SignInRefused` if Entra refuses the token.
    """
    config = config or MsalConfig.from_settings()
    cache = msal.SerializableTokenCache()
    with _PROCESS_LOCK:
        app = build_application(config, cache, http_cache=http_cache)
        try:
            result = app.acquire_token_by_refresh_token(
                refresh_token, scopes=[USER_IMPERSONATION_SCOPE]
            )
        except requests.RequestException as error:
            raise unreachable(error) from error
        if "error" in result:
            raise error_from_result(result, grant_kind=SignInRefused)
        accounts = app.get_accounts()
    if not accounts:
        raise SignInRefused(
            "The identity provider's answer named no account (no client_info or id token).",
            code="no_account",
        )
    if not list(cache.search(msal.TokenCache.CredentialType.REFRESH_TOKEN)):
        raise SignInRefused(
            "The identity provider returned no refresh token (is offline_access allowed?).",
            code="no_refresh_token",
        )
    return store_sign_in(cache, result, accounts[0], config)


def store_sign_in(
    cache: msal.SerializableTokenCache,
    result: dict[str, Any],
    account: dict[str, Any],
    config: MsalConfig,
) -> Connection:
    """Keep a new sign-in's token cache (encrypted) as the one every process uses, and say who."""
    claims: dict[str, Any] = result.get("id_token_claims") or {}
    connection = Connection(
        username=str(claims.get("preferred_username") or account.get("username") or ""),
        name=str(claims.get("name") or ""),
        tenant_id=str(claims.get("tid") or account.get("realm") or config.tenant_id),
    )
    now = timezone.now()
    with transaction.atomic():
        row, _ = PartnerCenterTokenCache.objects.select_for_update().get_or_create(
            pk=PartnerCenterTokenCache.SINGLETON_ID
        )
        row.encrypted_cache = crypto.encrypt(cache.serialize())
        row.connected_as = connection.username
        row.connected_at = now
        row.last_success_at = now
        row.last_error, row.last_error_at = "", None
        row.save()
    logger.info("Partner Center sign-in connected as %s", connection.username or "(no username)")
    return connection


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
    "RECONNECT",
    "USER_IMPERSONATION_SCOPE",
    "Connection",
    "MsalAppOnlyTokenProvider",
    "MsalConfig",
    "MsalTokenProvider",
    "RedactSecrets",
    "SignInRefused",
    "SignInRequired",
    "build_application",
    "connect_with_refresh_token",
]
