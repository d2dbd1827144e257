"""Small formatting filters the customer and user pages share."""

from __future__ import annotations

from django import template
from django_countries import countries

register = template.Library()


@register.filter
def country_name(code: str | None) -> str:
    """`US` → `United States`; an unknown code is shown as it is, an empty one as nothing."""
    if not code:
        return ""
    return countries.name(code.upper()) or code
