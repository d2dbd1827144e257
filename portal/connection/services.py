"""Connecting the portal to Partner Center: the state of its sign-in and the banner that says
when it is missing or failing. Connect itself (auth code + MFA) is the SDK's
(`portal.partnercenter.connect`): only the SDK speaks to Microsoft.

When Entra later rejects the stored refresh token, `MsalTokenProvider` records why in
`PartnerCenterTokenCache.last_error`; `connection_banner` turns that into the banner every staff
member sees, with Reconnect for superusers.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings

from portal.models import PartnerCenterTokenCache

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ConnectionStatus:
    """What the connection page shows; no token, no secret."""

    mode: str
    tenant_id: str
    app_id: str
    connected: bool
    connected_as: str
    connected_at: datetime | None
    last_success_at: datetime | None
    last_error: str
    last_error_at: datetime | None

    @property
    def failing(self) -> bool:
        return bool(self.last_error)


def connection_status() -> ConnectionStatus:
    """The mode, the partner tenant and app, and the stored sign-in's state."""
    row = PartnerCenterTokenCache.objects.filter(pk=PartnerCenterTokenCache.SINGLETON_ID).first()
    return ConnectionStatus(
        mode=settings.PARTNER_CENTER_MODE,
        tenant_id=settings.PARTNER_CENTER_TENANT_ID,
        app_id=settings.PARTNER_CENTER_APP_ID,
        connected=row is not None and bool(row.encrypted_cache),
        connected_as=row.connected_as if row else "",
        connected_at=row.connected_at if row else None,
        last_success_at=row.last_success_at if row else None,
        last_error=row.last_error if row else "",
        last_error_at=row.last_error_at if row else None,
    )


@dataclass(frozen=True)
class Banner:
    message: str
    reconnect: bool  # the viewer may reconnect (a superuser)


def connection_banner(*, user: Any) -> Banner | None:
    """The banner for a signed-in staff member when live mode's Partner Center sign-in is missing
    or failing; None otherwise (and always in sandbox mode, without a query)."""
    if settings.SANDBOX_ENABLED or user is None or not user.is_authenticated:
        return None
    row = PartnerCenterTokenCache.objects.filter(pk=PartnerCenterTokenCache.SINGLETON_ID).first()
    reconnect = bool(user.is_superuser)
    if row is None or not row.encrypted_cache:
        return Banner("The portal is not connected to Partner Center yet.", reconnect)
    if row.last_error:
        return Banner(
            "Partner Center sign-in is failing, so Partner Center cannot be reached: "
            f"{row.last_error}",
            reconnect,
        )
    return None
