"""The portal's URLs; the sandbox's REST API is mounted at /sandbox/v1/ in sandbox mode only."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path

from portal.audit import views as audit_views
from portal.staff import views as staff_views

urlpatterns: list[URLPattern | URLResolver] = [
    path("admin/", admin.site.urls),
    path("sign-in/", staff_views.PortalSignInView.as_view(), name="login"),
    path("sign-in/microsoft/", staff_views.entra_sign_in, name="entra_sign_in"),
    path("sign-in/microsoft/callback/", staff_views.entra_callback, name="entra_callback"),
    path("sign-out/", staff_views.SignOutView.as_view(), name="logout"),
    path("account/password/", staff_views.ChangePasswordView.as_view(), name="password_change"),
    path("partner-center/connection/", include("portal.connection.urls")),
    path("audit/", audit_views.audit_log, name="audit_log"),
    path("audit/export/", audit_views.audit_log_export, name="audit_log_export"),
    path("", include("customers.urls")),
    path("", include("users.urls")),
]

if settings.SANDBOX_ENABLED:
    urlpatterns.append(path("sandbox/v1/", include("portal.sandbox.urls")))
