"""Connect: the two ways live mode's Partner Center sign-in is stored for every process.

From the connection page, a superuser runs the authorization code flow (with MFA):
`connection_start` begins msal's flow (PKCE, state and nonce kept by msal in the flow, which the
view keeps in the session) with a fresh sign-in and a request for multi-factor authentication;
`connection_finish` redeems the code Entra sends back. Or `manage.py partnercenter_connect`
imports a refresh token obtained elsewhere (`connect_with_refresh_token`). Either way msal's
token cache is stored, encrypted, as the sign-in every web and worker process shares
(`store_sign_in`); `msal_auth.py` renews tokens from it.

MFA: Partner Center requires it on every App+User call. Entra names how the user signed in in
the `amr` claim; a sign-in whose tokens say it was made without MFA is refused and not stored.
When no token shows the claim (Entra leaves it out of some v2 id tokens), the sign-in is stored
and the caller is told that MFA could not be confirmed.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import warnings
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any

import msal
import requests
from django.db import transaction
from django.utils import timezone

from portal import crypto
from portal.models import PartnerCenterTokenCache
from portal.partnercenter.msal_app import (
    PROCESS_LOCK,
    USER_IMPERSONATION_SCOPE,
    MsalConfig,
    SignInRefused,
    build_application,
    error_from_result,
    unreachable,
)

logger = logging.getLogger(__name__)

# Asks Entra for a multi-factor sign-in (OpenID Connect claims request for `amr`).
MFA_CLAIMS = json.dumps({"access_token": {"amr": {"essential": True, "values": ["mfa"]}}})


def connection_start(
    *,
    redirect_uri: str,
    config: MsalConfig | None = None,
    http_cache: MutableMapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Begin the authorization code flow; returns msal's flow (its `auth_uri` is where to send
    the browser). Keep the flow server-side until `connection_finish`: it holds the PKCE
    verifier, state and nonce."""
    config = config or MsalConfig.from_settings()
    app = build_application(config, msal.TokenCache(), http_cache=http_cache)
    try:
        # The code comes back in the query string, not by form_post (which msal recommends):
        # Entra's cross-site POST would arrive without the SameSite=Lax session cookie that
        # holds the flow. The code is single-use and bound to this flow by PKCE and `state`,
        # and the access log never writes query strings.
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "response_mode='form_post' is recommended")
            flow: dict[str, Any] = app.initiate_auth_code_flow(
                [USER_IMPERSONATION_SCOPE],
                redirect_uri=redirect_uri,
                prompt="login",  # a fresh interactive sign-in, not a session Entra remembers
                claims_challenge=MFA_CLAIMS,
                response_mode="query",
            )
    except requests.RequestException as error:
        raise unreachable(error) from error
    return flow


def _unverified_claims(jwt: str) -> dict[str, Any]:
    """A JWT's payload, read without checking its signature: only to see how the user signed in
    (Partner Center itself checks the token). Empty when it is not a readable JWT."""
    try:
        payload = jwt.split(".")[1]
        decoded = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError, binascii.Error):
        return {}
    return decoded if isinstance(decoded, dict) else {}


def _mfa_shown(result: Mapping[str, Any]) -> bool | None:
    """True or False when a token names the sign-in's methods (`amr`), None when none does."""
    for claims in (
        result.get("id_token_claims") or {},
        _unverified_claims(str(result.get("access_token") or "")),
    ):
        methods = claims.get("amr")
        if isinstance(methods, list):
            return "mfa" in methods
    return None


def _refuse_without_refresh_token(cache: msal.SerializableTokenCache) -> None:
    """SignInRefused when a new sign-in left no refresh token: it could not be renewed, so it is
    not worth storing."""
    if not list(cache.search(msal.TokenCache.CredentialType.REFRESH_TOKEN)):
        raise SignInRefused(
            "Microsoft's sign-in returned no refresh token (is offline_access allowed?).",
            code="no_refresh_token",
        )


@dataclass(frozen=True)
class Connected:
    connection: Connection
    mfa_confirmed: bool


def connection_finish(
    *,
    flow: dict[str, Any],
    auth_response: Mapping[str, str],
    config: MsalConfig | None = None,
    http_cache: MutableMapping[str, Any] | None = None,
) -> Connected:
    """Redeem Entra's answer to `connection_start` and store the sign-in for every process.

    Raises `SignInRefused` when Entra refused, the answer does not belong to this flow, the
    sign-in was made without MFA, or no refresh token came back; nothing is stored then.
    """
    config = config or MsalConfig.from_settings()
    cache = msal.SerializableTokenCache()
    app = build_application(config, cache, http_cache=http_cache)
    try:
        result = app.acquire_token_by_auth_code_flow(dict(flow), dict(auth_response))
    except ValueError:
        # msal: a state mismatch, or an answer to another flow (a replay, a second tab).
        raise SignInRefused(
            "The answer from Microsoft's sign-in does not belong to this Connect: start again.",
            code="state_mismatch",
        ) from None
    except requests.RequestException as error:
        raise unreachable(error) from error
    if "error" in result:
        raise error_from_result(result, grant_kind=SignInRefused)
    mfa = _mfa_shown(result)
    if mfa is False:
        raise SignInRefused(
            "The sign-in was made without multi-factor authentication, which Partner Center "
            "requires: sign in again with MFA.",
            code="mfa_required",
        )
    _refuse_without_refresh_token(cache)
    accounts = app.get_accounts()
    connection = store_sign_in(cache, result, accounts[0] if accounts else {}, config)
    return Connected(connection=connection, mfa_confirmed=mfa is True)


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
    with PROCESS_LOCK:
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
    _refuse_without_refresh_token(cache)
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


__all__ = [
    "Connected",
    "Connection",
    "connect_with_refresh_token",
    "connection_finish",
    "connection_start",
    "store_sign_in",
]
