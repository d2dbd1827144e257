"""Small formatting filters the customer and user pages share."""

from __future__ import annotations

from datetime import datetime, timedelta

from django import template
from django.utils import timezone
from django.utils.timesince import timesince
from django_countries import countries

register = template.Library()


@register.filter
def country_name(code: str | None) -> str:
    """`US` → `United States`; an unknown code is shown as it is, an empty one as nothing."""
    if not code:
        return ""
    return countries.name(code.upper()) or code


@register.filter
def age(moment: datetime | None) -> str:
    """How long ago `moment` was, for "Updated …": "less than a minute ago", "5 minutes ago"."""
    if moment is None:
        return "never"
    if timezone.now() - moment < timedelta(minutes=1):
        return "less than a minute ago"
    return f"{timesince(moment)} ago"
