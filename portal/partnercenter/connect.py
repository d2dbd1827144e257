"""Connect: the authorization code flow (with MFA) that stores live mode's Partner Center sign-in.

A superuser connects the portal once from the connection page: `connection_start` begins msal's
authorization code flow (PKCE, state and nonce kept by msal in the flow, which the view keeps in
the session) with a fresh sign-in and a request for multi-factor authentication;
`connection_finish` redeems the code Entra sends back and stores msal's token cache, encrypted,
as the sign-in every web and worker process shares (`store_sign_in`).

MFA: Partner Center requires it on every App+User call. Entra names how the user signed in in
the `amr` claim; a sign-in whose tokens say it was made without MFA is refused and not stored.
When no token shows the claim (Entra leaves it out of some v2 id tokens), the sign-in is stored
and the caller is told that MFA could not be confirmed.
"""

from __future__ import annotations

import base64
import binascii
import json
import warnings
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any

import msal
import requests

from portal.partnercenter.msal_auth import (
    USER_IMPERSONATION_SCOPE,
    Connection,
    MsalConfig,
    SignInRefused,
    build_application,
    error_from_result,
    store_sign_in,
    unreachable,
)

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
    if not list(cache.search(msal.TokenCache.CredentialType.REFRESH_TOKEN)):
        raise SignInRefused(
            "Microsoft's sign-in returned no refresh token (is offline_access allowed?).",
            code="no_refresh_token",
        )
    accounts = app.get_accounts()
    connection = store_sign_in(cache, result, accounts[0] if accounts else {}, config)
    return Connected(connection=connection, mfa_confirmed=mfa is True)
