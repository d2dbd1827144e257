"""Sign in with Microsoft for staff: msal's authorization code flow against the partner's tenant.

`entra_sign_in_begin` starts the flow (the caller keeps the returned flow in the session and
sends the browser to its `auth_uri`); `entra_sign_in_complete` redeems Entra's answer, reads the
id token's claims (`oid`, `tid`, `preferred_username`, `name`, `groups`) and returns the staff
account, created on first sign-in. Its role groups, and its roles on customer scopes, are set from
`PORTAL_ENTRA_GROUP_ROLES` at every sign-in, so a role taken away in Entra is gone at the next one,
and a member of no mapped group has no role (the portal then shows its "no role" page).

No token is kept: msal gets a throwaway in-memory cache, and the tokens in its answer are dropped
as soon as the claims are read. Nothing here logs a token; errors carry Entra's code and the first
line of its description only.
"""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import msal
import requests
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.db import transaction
from django.utils import timezone

from portal.models import CustomerScope, EntraAccount, StaffGrant
from portal.staff.entra_settings import GUID

logger = logging.getLogger(__name__)

# msal recommends response_mode=form_post, but Entra's form would POST across sites, and the
# session cookie (SameSite=Lax) that holds the flow is not sent with such a POST. The answer comes
# back in the query string of a top-level GET instead, which Lax allows; state and PKCE bind it
# to this browser's sign-in either way. (Silenced where the flow starts, below.)
_FORM_POST_ADVICE = r"response_mode='form_post' is recommended"

AUTHORITY_HOST: Final = "https://login.microsoftonline.com"
IDENTITY_TIMEOUT: Final = 15
# The id token is all the portal needs: msal adds openid, profile and offline_access itself.
SCOPES: Final[list[str]] = []
# Discovery documents only (msal's docs: never tokens), shared by the apps this process builds.
_HTTP_CACHE: dict[str, Any] = {}

# What the sign-in page says for Entra's errors (the user's own choice, mostly).
_ENTRA_ERRORS: Final = {
    "access_denied": "Microsoft sign-in was cancelled or refused",
    "consent_required": "The portal's app has not been approved in your organisation yet",
    "interaction_required": "Microsoft needs you to sign in again",
    "login_required": "Microsoft needs you to sign in again",
}


# msal logs its token requests at debug level, masking tokens but not the authorization code
# and PKCE verifier it sends: together with the app's secret they would redeem a sign-in.
_AUTH_CODE = re.compile(r'("(?:code|code_verifier)"\s*:\s*)"[^"]*"')


class MaskAuthorizationCode(logging.Filter):
    """Masks the authorization code and PKCE verifier in msal's debug records."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = _AUTH_CODE.sub(r'\1"[redacted]"', message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


def _install_code_masking() -> None:
    # A logger's filters see only its own records, so each msal logger gets one.
    names = [
        "msal",
        *(name for name in logging.root.manager.loggerDict if name.startswith("msal.")),
    ]
    for name in names:
        target = logging.getLogger(name)
        if not any(isinstance(existing, MaskAuthorizationCode) for existing in target.filters):
            target.addFilter(MaskAuthorizationCode())


_install_code_masking()


class EntraSignInError(Exception):
    """Why a Microsoft sign-in did not sign anyone in, in words for the sign-in page."""


@dataclass(frozen=True)
class EntraConfig:
    tenant_id: str
    client_id: str
    client_secret: str = field(repr=False)
    group_roles: Mapping[str, str] = field(default_factory=dict)

    @property
    def authority(self) -> str:
        return f"{AUTHORITY_HOST}/{self.tenant_id}"

    @classmethod
    def from_settings(cls) -> EntraConfig:
        return cls(
            tenant_id=settings.PORTAL_ENTRA_TENANT_ID,
            client_id=settings.PORTAL_ENTRA_CLIENT_ID,
            client_secret=settings.PORTAL_ENTRA_CLIENT_SECRET,
            group_roles=dict(settings.PORTAL_ENTRA_GROUP_ROLES),
        )


def _application(config: EntraConfig) -> msal.ConfidentialClientApplication:
    try:
        return msal.ConfidentialClientApplication(
            config.client_id,
            authority=config.authority,
            client_credential=config.client_secret,
            # A fresh cache per sign-in, dropped with the application: no token outlives it.
            token_cache=msal.TokenCache(),
            http_cache=_HTTP_CACHE,
            instance_discovery=False,
            timeout=IDENTITY_TIMEOUT,
        )
    except requests.RequestException as error:
        raise EntraSignInError(_UNREACHABLE) from error
    except ValueError:
        raise EntraSignInError(
            "Microsoft's sign-in does not know the portal's tenant: an administrator should "
            "check PORTAL_ENTRA_TENANT_ID."
        ) from None


_UNREACHABLE: Final = "Microsoft's sign-in could not be reached. Try again in a minute."


def entra_sign_in_begin(*, redirect_uri: str, config: EntraConfig | None = None) -> dict[str, Any]:
    """Start a sign-in: msal's flow (state, nonce, PKCE verifier; no secret) for the session.

    Send the browser to `flow["auth_uri"]`; Entra sends it back to `redirect_uri`.
    """
    app = _application(config or EntraConfig.from_settings())
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", _FORM_POST_ADVICE, category=UserWarning)
            flow: dict[str, Any] = app.initiate_auth_code_flow(
                SCOPES, redirect_uri=redirect_uri, prompt="select_account"
            )
    except requests.RequestException as error:
        raise EntraSignInError(_UNREACHABLE) from error
    return flow


def entra_sign_in_complete(
    *,
    flow: Mapping[str, Any] | None,
    auth_response: Mapping[str, str],
    config: EntraConfig | None = None,
) -> User:
    """Redeem Entra's answer to the flow and return the signed-in staff account.

    Raises `EntraSignInError` (with words for the sign-in page) when there is no flow in the
    session, the answer does not belong to it (state), Entra reports an error, or the account
    may not sign in.
    """
    config = config or EntraConfig.from_settings()
    if not flow:
        raise EntraSignInError(
            "The Microsoft sign-in expired or was started in another browser. Sign in again."
        )
    app = _application(config)
    try:
        result = app.acquire_token_by_auth_code_flow(dict(flow), dict(auth_response))
    except ValueError:
        # msal: a state mismatch (a forged or replayed answer, or an older sign-in tab).
        raise EntraSignInError(
            "The answer from Microsoft did not match this browser's sign-in (it may come from "
            "an older sign-in tab). Sign in again."
        ) from None
    except RuntimeError:
        raise EntraSignInError(
            "The answer from Microsoft failed its replay check (nonce). Sign in again."
        ) from None
    except requests.RequestException as error:
        raise EntraSignInError(_UNREACHABLE) from error
    if "error" in result:
        raise EntraSignInError(_entra_error_message(result))
    # Only the claims go on; the tokens in `result` are dropped here.
    claims: dict[str, Any] = dict(result.get("id_token_claims") or {})
    del result
    return staff_user_from_entra(claims=claims, config=config)


def _entra_error_message(result: Mapping[str, Any]) -> str:
    code = str(result.get("error") or "unknown_error")
    description = str(result.get("error_description") or "")
    # Entra's descriptions end with trace and correlation lines; the first says what happened.
    first_line = description.replace("\r", "\n").split("\n", 1)[0].strip()[:300]
    lead = _ENTRA_ERRORS.get(code, "Microsoft sign-in failed")
    detail = f": {first_line}" if first_line else ""
    logger.warning("Sign in with Microsoft refused by Entra: %s %s", code, first_line)
    return f"{lead}{detail} ({code})."


def _name_parts(claims: Mapping[str, Any]) -> tuple[str, str]:
    given, family = str(claims.get("given_name") or ""), str(claims.get("family_name") or "")
    if given or family:
        return given[:150], family[:150]
    return str(claims.get("name") or "")[:150], ""


def _checked_identity(claims: Mapping[str, Any], config: EntraConfig) -> tuple[str, str]:
    """(tenant id, object id) of the account the claims name, once they are found to be for
    this portal's app and organisation, with the groups listed."""
    object_id = str(claims.get("oid") or "").lower()
    tenant_id = str(claims.get("tid") or "").lower()
    if not object_id or not tenant_id:
        raise EntraSignInError("Microsoft's answer named no account (no oid or tid claim).")
    if claims.get("aud") not in (None, config.client_id):
        raise EntraSignInError("Microsoft's answer was meant for another application.")
    if GUID.match(config.tenant_id.lower()) and tenant_id != config.tenant_id.lower():
        raise EntraSignInError("This Microsoft account belongs to another organisation.")
    if "groups" not in claims and "groups" in (claims.get("_claim_names") or {}):
        # Entra's "groups overage": over 200 groups, the token lists none. Guessing would be
        # wrong either way, so say what the administrator can change.
        raise EntraSignInError(
            "Your account is in too many groups for Microsoft to list them in the sign-in. "
            "An administrator can set the portal's app to send only the groups assigned to it."
        )
    return tenant_id, object_id


def staff_user_from_entra(*, claims: Mapping[str, Any], config: EntraConfig) -> User:
    """The staff account for these id-token claims, created or updated, its roles set.

    The Entra object id (`oid`, with the tenant) finds the account; its username follows
    `preferred_username`. The role groups become exactly those the `groups` claim maps to.
    """
    tenant_id, object_id = _checked_identity(claims, config)
    roles, scoped = _granted_roles(claims, config)
    username = str(claims.get("preferred_username") or f"entra-{object_id}").lower()[:150]
    first_name, last_name = _name_parts(claims)
    with transaction.atomic():
        account = _locked_account(tenant_id, object_id, username)
        user = account.user
        if not user.is_active:
            raise EntraSignInError(
                "Your portal account is deactivated. Ask a superuser to reactivate it."
            )
        user.username, user.first_name, user.last_name = username, first_name, last_name
        if "@" in username:
            user.email = username
        # Never a usable local password, even if someone gave it one in the admin.
        user.set_unusable_password()
        user.save(update_fields=["username", "first_name", "last_name", "email", "password"])
        user.groups.set([Group.objects.get_or_create(name=role)[0] for role in roles])
        _entra_grants_set(user, scoped)
        account.last_sign_in_at = timezone.now()
        account.save(update_fields=["last_sign_in_at"])
    logger.info(
        "Signed in with Microsoft: %s (object id %s), roles: %s",
        username,
        object_id,
        ", ".join([*roles, *(f"{role} on {scope}" for role, scope in scoped)]) or "none",
    )
    return user


def _granted_roles(
    claims: Mapping[str, Any], config: EntraConfig
) -> tuple[list[str], list[tuple[str, str]]]:
    """(roles on every customer, (role, scope) pairs) that the `groups` claim maps to."""
    groups = {str(group).lower() for group in claims.get("groups") or []}
    granted = {config.group_roles[group] for group in groups if group in config.group_roles}
    # "Admin agent" is the role on every customer (its group); "Admin agent@Team North" on a scope.
    roles = sorted(grant for grant in granted if "@" not in grant)
    scoped = sorted(
        (role, scope) for role, _, scope in (grant.partition("@") for grant in granted) if scope
    )
    return roles, scoped


def _locked_account(tenant_id: str, object_id: str, username: str) -> EntraAccount:
    """The Entra account of this object id, locked for the sign-in (created on the first one),
    once no other local account goes by `username`. Call inside a transaction."""
    account = (
        EntraAccount.objects.select_for_update()
        .select_related("user")
        .filter(tenant_id=tenant_id, object_id=object_id)
        .first()
    )
    taken = User.objects.filter(username=username)
    if account is not None:
        taken = taken.exclude(pk=account.user_id)
    if taken.exists():
        raise EntraSignInError(
            f"A local staff account is already named {username}, so the portal cannot tell "
            "you apart. Ask a superuser to rename or remove that account."
        )
    if account is None:
        account = EntraAccount.objects.create(
            user=User.objects.create_user(username), tenant_id=tenant_id, object_id=object_id
        )
    return account


def _entra_grants_set(user: User, scoped: list[tuple[str, str]]) -> None:
    """The account's roles on scopes become exactly those its groups map to; grants a superuser
    gave by hand stay. A scope the setting names but nobody made grants nothing (and says so)."""
    StaffGrant.objects.filter(staff=user, from_entra=True).delete()
    scopes = {
        scope.name: scope for scope in CustomerScope.objects.filter(name__in=[s for _, s in scoped])
    }
    for role, name in scoped:
        scope = scopes.get(name)
        if scope is None:
            logger.warning(
                "PORTAL_ENTRA_GROUP_ROLES names the scope %r, which does not exist: %s gets no "
                "role from it. Create the scope in the admin (Customer scopes).",
                name,
                user.get_username(),
            )
            continue
        StaffGrant.objects.get_or_create(
            staff=user, role=role, scope=scope, defaults={"from_entra": True}
        )
