"""Views get their Partner Center client here, so its calls carry the request's id.

`partner_center_for(request)` is `partner_center()` with `correlation_id` set to the request's id
(`portal.request_context`): the id in the portal's access log line, in the response's
`X-Request-ID` and in Partner Center's `MS-CorrelationId` is the same, and a support case can be
followed from the browser to Microsoft and back.
"""

from __future__ import annotations

from django.http import HttpRequest

from portal.partnercenter import PartnerCenterClient, partner_center


def partner_center_for(
    request: HttpRequest, *, throttle_wait_cap: float | None = None
) -> PartnerCenterClient:
    """A client for this web request: its calls share the request's id as MS-CorrelationId."""
    return partner_center(
        throttle_wait_cap=throttle_wait_cap,
        correlation_id=getattr(request, "request_id", None),
    )
