"""Template helpers of the user lifecycle screens: ticket links and the `?ticket=` pre-fill."""

from __future__ import annotations

from typing import Any

from django import template

from portal.tickets import ticket_from_link, ticket_url

register = template.Library()


@register.filter
def ticket_link(ticket: str) -> str:
    """The ticket's address in the partner's ticket system, or "" when none is configured."""
    return ticket_url(ticket) or ""


@register.simple_tag(takes_context=True)
def linked_ticket(context: dict[str, Any]) -> str:
    """The page's `?ticket=` (validated), for pre-filling a form that is not a Django form."""
    request = context.get("request")
    return ticket_from_link(request) if request is not None else ""
