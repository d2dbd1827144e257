"""Ticket references: every change names the ticket it was done for (DESIGN.md section 3).

`PORTAL_TICKET_REQUIRED` makes the field required on every form that changes something;
`PORTAL_TICKET_URL_TEMPLATE` (e.g. `https://support.example.com/tickets/{ticket}`) turns ticket
ids into links to the partner's ticket system. A link like `?ticket=INC-1234` pre-fills the field.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from django import forms
from django.conf import settings
from django.http import HttpRequest

MAX_LENGTH = 64
# Ticket ids from common systems: INC0012345, INC-1234, #5521, SR:123/4. No spaces or quotes.
_TICKET = re.compile(r"^[A-Za-z0-9#][A-Za-z0-9#._:/-]*$")


def ticket_url(ticket: str) -> str | None:
    """The ticket's address in the partner's ticket system, when a template is configured."""
    template = settings.PORTAL_TICKET_URL_TEMPLATE
    if not ticket or not template:
        return None
    return template.replace("{ticket}", quote(ticket, safe=""))


def ticket_from_link(request: HttpRequest) -> str:
    """The `?ticket=` of the page's address, if it is a valid ticket id (for pre-filling)."""
    raw = request.GET.get("ticket", "").strip()
    return raw if len(raw) <= MAX_LENGTH and _TICKET.match(raw) else ""


class TicketField(forms.CharField):
    """The ticket reference on every form that changes something."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", "Ticket reference")
        kwargs.setdefault("max_length", MAX_LENGTH)
        kwargs.setdefault("required", settings.PORTAL_TICKET_REQUIRED)
        kwargs.setdefault(
            "help_text",
            "The ticket this change is for, e.g. INC-1234. It is written to the audit log.",
        )
        super().__init__(**kwargs)

    def clean(self, value: Any) -> str:
        ticket: str = super().clean(value)
        if ticket and not _TICKET.match(ticket):
            raise forms.ValidationError(
                "A ticket reference is letters, digits and # . _ : / - (no spaces), e.g. INC-1234.",
                code="invalid_ticket",
            )
        return ticket
