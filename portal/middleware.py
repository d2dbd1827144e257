"""Middleware for signed-out htmx requests."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest
from django.http.response import HttpResponseBase, HttpResponseRedirectBase
from django.shortcuts import resolve_url
from django_htmx.http import HttpResponseClientRedirect


class HtmxLoginRedirectMiddleware:
    """Turn "sign in first" redirects of htmx requests into a full-page `HX-Redirect`.

    Without this, htmx follows the 302 inside XMLHttpRequest and swaps the whole sign-in page
    into whatever fragment asked, e.g. a table body. The sign-in page's `next` is the page the
    browser shows (`HX-Current-URL`), not the fragment URL, which is useless as a page.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        htmx = getattr(request, "htmx", None)
        if not htmx or not isinstance(response, HttpResponseRedirectBase):
            return response
        login_path = urlsplit(resolve_url(settings.LOGIN_URL)).path
        if urlsplit(response.url).path != login_path:
            return response
        next_page = htmx.current_url_abs_path or "/"
        return HttpResponseClientRedirect(redirect_to_login(next_page).url)
