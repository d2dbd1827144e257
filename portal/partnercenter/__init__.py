"""The one door to Partner Center.

    from portal.partnercenter import CustomerUser, PasswordProfile, partner_center

    pc = partner_center()                          # web request: waits out 429s for a few seconds
    users = pc.customers.by_id(customer_id).users
    page = users.list(size=100)                    # Page[CustomerUser], page.continuation_token
    user = users.create(
        CustomerUser(display_name="Jane Doe", user_principal_name="jane@contoso.onmicrosoft.com",
                     password_profile=PasswordProfile("S3cret!pass", force_change_password=True)),
        request_id=form_request_id,
    )
    users.by_id(user.id).restore()

Views and services never build URLs or read JSON: they call this package and catch
`PartnerCenterError` (or one of its kinds) to show a message.
"""

from __future__ import annotations

import requests
from django.conf import settings

from portal.partnercenter.auth import SandboxTokenProvider, TokenProvider
from portal.partnercenter.client import ChangeWithheld, PartnerCenterClient
from portal.partnercenter.errors import (
    AlreadyExists,
    Forbidden,
    InvalidInput,
    NotFound,
    PartnerCenterError,
    Throttled,
    Unauthorized,
    Unavailable,
)
from portal.partnercenter.licenses import (
    License,
    LicenseAssignment,
    LicenseGroupId,
    LicenseUpdate,
    LicenseWarning,
    ProductSku,
    ServicePlan,
    SubscribedSku,
)
from portal.partnercenter.resources import (
    USER_ACTIVE,
    USER_INACTIVE,
    CompanyProfile,
    Customer,
    CustomerUser,
    DirectoryRole,
    PasswordProfile,
    UserMember,
)
from portal.partnercenter.retry import (
    WEB_THROTTLE_WAIT_CAP,
    WORKER_THROTTLE_WAIT_CAP,
    Pacer,
    RetryPolicy,
)
from portal.partnercenter.transport import SANDBOX_API_ROOT, sandbox_session
from portal.partnercenter.wire import Link, Page, Sort


def partner_center(
    *,
    throttle_wait_cap: float | None = None,
    correlation_id: str | None = None,
    pacer: Pacer | None = None,
    what_if: bool = False,
) -> PartnerCenterClient:
    """A client configured from settings: the in-process sandbox in sandbox mode, Partner Center
    itself (`PARTNER_CENTER_BASE_URL`) in live mode.

    `throttle_wait_cap` is how long, in seconds, the calls may wait out throttling before raising
    `Throttled`: the default suits a web request (`WEB_THROTTLE_WAIT_CAP`); a background job
    passes `WORKER_THROTTLE_WAIT_CAP`. Make one client per web request or job: its
    `correlation_id` ties that unit's calls together in Partner Center's logs. A `pacer` makes
    every call wait for its turn in a shared rate (the directory's background budget). A
    `what_if` client sends no change (see `ChangeWithheld`).
    """
    cap = WEB_THROTTLE_WAIT_CAP if throttle_wait_cap is None else throttle_wait_cap
    policy = RetryPolicy(throttle_wait_cap=cap, pacer=pacer)
    if settings.SANDBOX_ENABLED:
        return PartnerCenterClient(
            api_root=SANDBOX_API_ROOT,
            token_provider=SandboxTokenProvider(),
            session=sandbox_session(),
            policy=policy,
            correlation_id=correlation_id,
            what_if=what_if,
        )
    return PartnerCenterClient(
        api_root=f"{settings.PARTNER_CENTER_BASE_URL.rstrip('/')}/v1",
        token_provider=_live_token_provider(),
        app_token_provider=_live_app_token_provider(),
        session=requests.Session(),
        policy=policy,
        correlation_id=correlation_id,
        what_if=what_if,
    )


def _live_token_provider() -> TokenProvider:
    # Imported here: msal_auth needs the portal's models, which load after this package.
    from portal.partnercenter.msal_auth import MsalTokenProvider

    return MsalTokenProvider()


def _live_app_token_provider() -> TokenProvider:
    from portal.partnercenter.msal_auth import MsalAppOnlyTokenProvider

    return MsalAppOnlyTokenProvider()


__all__ = [
    "USER_ACTIVE",
    "USER_INACTIVE",
    "WEB_THROTTLE_WAIT_CAP",
    "WORKER_THROTTLE_WAIT_CAP",
    "AlreadyExists",
    "ChangeWithheld",
    "CompanyProfile",
    "Customer",
    "CustomerUser",
    "DirectoryRole",
    "Forbidden",
    "InvalidInput",
    "License",
    "LicenseAssignment",
    "LicenseGroupId",
    "LicenseUpdate",
    "LicenseWarning",
    "Link",
    "NotFound",
    "Pacer",
    "Page",
    "PartnerCenterClient",
    "PartnerCenterError",
    "PasswordProfile",
    "ProductSku",
    "RetryPolicy",
    "SandboxTokenProvider",
    "ServicePlan",
    "Sort",
    "SubscribedSku",
    "Throttled",
    "TokenProvider",
    "Unauthorized",
    "Unavailable",
    "UserMember",
    "partner_center",
]
