"""Request types for views (django-htmx's documented typing pattern)."""

from __future__ import annotations

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails


class HtmxHttpRequest(HttpRequest):
    """A request that went through `HtmxMiddleware`, so `request.htmx` is typed."""

    htmx: HtmxDetails
