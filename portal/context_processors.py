"""Template context every portal page needs: the staff member's role, capabilities, nav section."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from portal.staff import access

# Which left-navigation entry a URL belongs to, by URL namespace or full view name.
_SECTION_BY_VIEW = {
    "customers:dashboard": "dashboard",
    "audit:log": "audit",
    "users:scheduled": "scheduled",
}
_SECTION_BY_NAMESPACE = {"customers": "customers", "users": "customers", "audit": "audit"}


def portal(request: HttpRequest) -> dict[str, Any]:
    """`portal_role`, `can.<capability>` (buttons only, never a guard), `nav_section`."""
    user = getattr(request, "user", None)
    match = getattr(request, "resolver_match", None)
    section = ""
    if match is not None:
        section = _SECTION_BY_VIEW.get(match.view_name) or _SECTION_BY_NAMESPACE.get(
            match.namespace, ""
        )
    return {
        "portal_role": access.role_of(user),
        "can": access.template_capabilities(user),
        "nav_section": section,
        "sandbox_mode": settings.SANDBOX_ENABLED,
    }
