"""The sandbox's REST API on its own, for the in-process transport.

`portal.partnercenter.transport` resolves every in-process request against this URLconf. It
mirrors Partner Center's layout (`/v1/customers/...`), so the client builds the same paths for the
sandbox in-process as for Partner Center itself, and its error pages are Partner Center's JSON
error envelope rather than the portal's HTML pages.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import URLResolver, include, path

urlpatterns: list[URLResolver] = [path("v1/", include("portal.sandbox.urls"))]


def _fault(status: int, description: str) -> HttpResponse:
    return JsonResponse({"code": status, "description": description}, status=status)


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return _fault(404, f"No such resource: {request.path}.")


def server_error(request: HttpRequest) -> HttpResponse:
    return _fault(500, "The sandbox failed to handle the request.")


handler404 = not_found
handler500 = server_error
