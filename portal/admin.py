"""The portal's models in Django's admin (superusers only, `portal.admin_site`).

Audit records are read-only here as everywhere: no add, change or delete permission, for
superusers too, so neither the buttons nor the admin's URLs (change form POST, delete page, the
"delete selected" action) can alter one. Retention (`portal.audit.services.audit_prune`) is the
only thing that removes records.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.http import HttpRequest

from portal.audit.records import Action, Actor, audit_record
from portal.models import AuditRecord, EntraAccount
from portal.staff.second_factor import second_factor_reset


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    """Shows records; offers no way to add, change or delete one."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AuditRecord)
class AuditRecordAdmin(ReadOnlyAdmin):
    list_display = [
        "at",
        "staff_username",
        "action",
        "outcome",
        "customer_name",
        "target_username",
        "ticket",
    ]
    list_filter = ["action", "outcome", "via", "at"]
    search_fields = [
        "staff_username",
        "customer_id",
        "customer_name",
        "target_user_id",
        "target_username",
        "ticket",
        "ms_request_id",
        "ms_correlation_id",
    ]
    date_hierarchy = "at"
    ordering = ["-at", "-id"]
    list_select_related = False


@admin.register(EntraAccount)
class EntraAccountAdmin(admin.ModelAdmin[EntraAccount]):
    """Which staff accounts sign in with Microsoft; made and kept current by their sign-ins.

    Not editable; deletable, so that deleting such a staff account in the admin is not refused.
    """

    list_display = ["user", "object_id", "tenant_id", "last_sign_in_at"]
    search_fields = ["user__username", "object_id"]
    list_select_related = ["user"]
    readonly_fields = ["user", "object_id", "tenant_id", "last_sign_in_at"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.action(description="Reset the second factor (they set up an authenticator app again)")
def reset_second_factor(
    modeladmin: admin.ModelAdmin[User], request: HttpRequest, queryset: QuerySet[User]
) -> None:
    """A superuser's reset of a lost phone: the app and recovery codes go, audited per person."""
    for user in queryset:
        second_factor_reset(user=user)
        audit_record(
            actor=Actor.from_request(request),
            action=Action.SECOND_FACTOR_RESET,
            succeeded=True,
            changes={"staff": user.get_username()},
            message=f"Reset the second factor of {user.get_username()}.",
        )
    messages.success(request, f"Reset the second factor of {queryset.count()} staff member(s).")


class StaffUserAdmin(UserAdmin):  # type: ignore[type-arg]
    actions = [reset_second_factor]


admin.site.unregister(User)
admin.site.register(User, StaffUserAdmin)
