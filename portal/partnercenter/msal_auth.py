"""Live mode's Partner Center tokens: msal, with its token cache encrypted in the database.

The portal signs in as the partner's Entra app (`PARTNER_CENTER_APP_ID`/`_SECRET` in
`PARTNER_CENTER_TENANT_ID`, see `msal_app.py`) on behalf of a partner user (App+User, the "secure
application model"): every user-management endpoint needs that. The user's sign-in is stored
once (`connect.py`: the connection page, or `manage.py partnercenter_connect`); from then on msal
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

Nothing here logs a token or a secret (see `RedactSecrets` in `msal_app.py`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import MutableMapping
from typing import Any

import msal
import requests
from django.db import transaction
from django.utils import timezone

from portal import crypto
from portal.models import PartnerCenterTokenCache
from portal.partnercenter.msal_app import (
    APP_ONLY_SCOPE,
    PROCESS_LOCK,
    USER_IMPERSONATION_SCOPE,
    MsalConfig,
    SignInRefused,
    SignInRequired,
    build_application,
    error_from_result,
    unreachable,
)

logger = logging.getLogger(__name__)

# msal treats an access token with less than this left as expired (application.py); the fast
# path agrees, so it never hands out a token msal itself would renew.
EXPIRY_MARGIN_SECONDS = 5 * 60


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
        with PROCESS_LOCK:
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
        with PROCESS_LOCK:
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


__all__ = ["MsalAppOnlyTokenProvider", "MsalTokenProvider"]
