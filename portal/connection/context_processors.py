"""The Partner Center connection banner on every page (live mode, sign-in missing or failing)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from portal.connection.services import connection_banner


def partner_center_banner(request: HttpRequest) -> dict[str, Any]:
    """`partner_center_banner`: a `Banner` (message, whether Reconnect shows) or None."""
    return {"partner_center_banner": connection_banner(user=getattr(request, "user", None))}
