"""The sandbox in Django's admin (sandbox mode only): its fault settings, and a look at its data.

Customers and users are read-only here on purpose: the sandbox's data changes through its REST
API, like Partner Center's, so the portal's behaviour is exercised the way it is in production.
The one exception is a customer's delegated access, which a demo may want to switch off.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest

from portal.sandbox.models import Customer, CustomerUser, Domain, FaultSettings


class FaultSettingsAdmin(admin.ModelAdmin[FaultSettings]):
    fieldsets = [
        ("Latency and errors", {"fields": ["latency_ms", "error_rate", "lost_response_rate"]}),
        (
            "Throttling",
            {
                "fields": [
                    "throttle_rate",
                    "retry_after_seconds",
                    "throttle_capacity",
                    "throttle_refill_per_second",
                ]
            },
        ),
        (
            "Wire format",
            {"fields": ["duplicate_status", "next_link_with_v1", "emit_bom", "random_seed"]},
        ),
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # One row (pk=1), made on first use by FaultSettings.current().
        return not FaultSettings.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class DomainInline(admin.TabularInline[Domain, Customer]):
    model = Domain
    fields = ["name", "is_initial"]
    readonly_fields = ["name", "is_initial"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class CustomerAdmin(admin.ModelAdmin[Customer]):
    list_display = ["company_name", "id", "relationship_to_partner", "allow_delegated_access"]
    list_filter = ["allow_delegated_access"]
    search_fields = ["company_name", "domains__name"]
    ordering = ["company_name"]
    inlines = [DomainInline]
    readonly_fields = [
        "id",
        "commerce_id",
        "company_name",
        "email",
        "relationship_to_partner",
        "created_at",
    ]
    fields = [*readonly_fields, "allow_delegated_access"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


_USER_FIELDS = (
    "id",
    "customer",
    "user_principal_name",
    "first_name",
    "last_name",
    "display_name",
    "usage_location",
    "phone_number",
    "immutable_id",
    "state",
    "soft_deletion_time",
    "password_last_set_at",
    "force_change_password",
    "created_at",
)


class CustomerUserAdmin(admin.ModelAdmin[CustomerUser]):
    list_display = [
        "user_principal_name",
        "display_name",
        "customer",
        "state",
        "usage_location",
        "soft_deletion_time",
    ]
    list_filter = ["state", "customer"]
    list_select_related = ["customer"]
    search_fields = ["user_principal_name", "display_name"]
    ordering = ["customer__company_name", "user_principal_name"]
    # The sandbox keeps no password, so there is none to show; only when one was last set.
    fields = _USER_FIELDS
    readonly_fields = _USER_FIELDS

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# In live mode the sandbox's tables sit empty in the portal's database; showing them would only
# confuse.
if settings.SANDBOX_ENABLED:
    admin.site.register(FaultSettings, FaultSettingsAdmin)
    admin.site.register(Customer, CustomerAdmin)
    admin.site.register(CustomerUser, CustomerUserAdmin)
