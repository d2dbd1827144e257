"""Django's admin, for superusers only.

Staff accounts, their roles (groups) and the Partner Center connection are a superuser's business
(DESIGN.md section 3). Django lets any `is_staff` account in and relies on model permissions; here
a staff member who is not a superuser cannot enter the admin at all, whatever permissions a group
was given by mistake.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest


class SuperuserAdminSite(admin.AdminSite):
    site_header = "Partner Portal administration"
    site_title = "Partner Portal administration"

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(user.is_active and user.is_staff and user.is_superuser)


class PortalAdminConfig(AdminConfig):
    """Django's admin app with `SuperuserAdminSite` as `admin.site`.

    Lives here, not in portal/apps.py, because a second AppConfig there would make Django unsure
    which one is the portal app's default.
    """

    default_site = "portal.admin_site.SuperuserAdminSite"
