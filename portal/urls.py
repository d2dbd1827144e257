"""The portal's URLs, each app's in its namespace; the sandbox's REST API is mounted at
/sandbox/v1/ in sandbox mode only."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path

urlpatterns: list[URLPattern | URLResolver] = [
    path("admin/", admin.site.urls),
    path("", include("portal.staff.urls")),
    path("partner-center/connection/", include("portal.connection.urls")),
    path("audit/", include("portal.audit.urls")),
    path("", include("customers.urls")),
    path("", include("users.urls")),
]

if settings.SANDBOX_ENABLED:
    urlpatterns.append(path("sandbox/v1/", include("portal.sandbox.urls")))
