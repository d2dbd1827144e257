"""The portal's models in Django's admin (superusers only, `portal.admin_site`).

Audit records are read-only here as everywhere: no add, change or delete permission, for
superusers too, so neither the buttons nor the admin's URLs (change form POST, delete page, the
"delete selected" action) can alter one. Retention (`portal.audit.services.audit_prune`) is the
only thing that removes records.

Customer scopes are chosen from the directory's customers; a staff member's roles on scopes are
edited on their page, and "Who can reach a customer" lists everyone with a role on one.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import FilteredSelectMultiple
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html_join

from customers.directory.customer_queries import customers_matching
from portal.audit.records import Action, Actor, audit_record
from portal.models import AuditRecord, CustomerScope, EntraAccount, ScopeCustomer, StaffGrant
from portal.staff.access import staff_reaching
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


class StaffGrantInline(admin.TabularInline[StaffGrant, User]):
    model = StaffGrant
    fk_name = "staff"
    extra = 0
    fields = ["role", "scope", "from_entra"]
    readonly_fields = ["from_entra"]
    verbose_name_plural = (
        "Roles on customer scopes (a role group above gives its role on every customer)"
    )


class StaffUserAdmin(UserAdmin):  # type: ignore[type-arg]
    actions = [reset_second_factor]
    inlines = [StaffGrantInline]


# --- Customer scopes ----------------------------------------------------------------------------


class CustomerScopeForm(forms.ModelForm[CustomerScope]):
    """A scope with its customers picked from the directory; a member the directory no longer
    lists stays (by id) until someone unticks it."""

    customers = forms.MultipleChoiceField(
        required=False,
        widget=FilteredSelectMultiple("customers", is_stacked=False),
        help_text="Kept by Partner Center id: renaming a customer changes nothing.",
    )

    class Meta:
        model = CustomerScope
        fields = ["name", "all_customers", "description"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        names = {
            customer.tenant_id: f"{customer.company_name} ({customer.domain})"
            for customer in customers_matching("")
        }
        current: dict[str, str] = {}
        if self.instance.pk:
            current = dict(self.instance.members.values_list("customer_id", "customer_name"))
            self.initial["customers"] = list(current)
        for customer_id, name in current.items():
            names.setdefault(customer_id, f"{name or customer_id} (no longer listed)")
        field = self.fields["customers"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = sorted(names.items(), key=lambda item: str(item[1]).casefold())
        self.names = names

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("all_customers") and not data.get("customers"):
            raise forms.ValidationError("Choose the scope's customers, or tick All customers.")
        return data

    def members_save(self, scope: CustomerScope) -> None:
        wanted = set() if scope.all_customers else set(self.cleaned_data["customers"])
        with transaction.atomic():
            scope.members.exclude(customer_id__in=wanted).delete()
            have = set(scope.members.values_list("customer_id", flat=True))
            ScopeCustomer.objects.bulk_create(
                ScopeCustomer(
                    scope=scope,
                    customer_id=customer_id,
                    customer_name=self.names.get(customer_id, "").rsplit(" (", 1)[0],
                )
                for customer_id in sorted(wanted - have)
            )


@admin.register(CustomerScope)
class CustomerScopeAdmin(admin.ModelAdmin[CustomerScope]):
    form = CustomerScopeForm
    list_display = ["name", "reaches", "staff"]
    search_fields = ["name", "members__customer_name", "members__customer_id"]
    readonly_fields = ["staff"]
    change_list_template = "admin/portal/customerscope/change_list.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[CustomerScope]:
        return (
            super()
            .get_queryset(request)
            .annotate(customer_count=Count("members", distinct=True))
            .prefetch_related("grants__staff")
        )

    @admin.display(description="Customers")
    def reaches(self, scope: CustomerScope) -> str:
        if scope.all_customers:
            return "All customers"
        count: int = getattr(scope, "customer_count", None) or scope.members.count()
        return f"{count} customer{'s' if count != 1 else ''}"

    @admin.display(description="Staff with a role on it")
    def staff(self, scope: CustomerScope) -> str:
        grants = sorted(scope.grants.all(), key=lambda grant: grant.staff.get_username())
        return (
            format_html_join(
                ", ", "{} ({})", ((grant.staff.get_username(), grant.role) for grant in grants)
            )
            or "—"
        )

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        form.members_save(form.instance)

    def get_urls(self) -> list[URLPattern]:
        reach = path(
            "reach/",
            self.admin_site.admin_view(self.reach_view),
            name="portal_customerscope_reach",
        )
        return [reach, *super().get_urls()]

    def reach_view(self, request: HttpRequest) -> HttpResponse:
        """Who can reach a customer: every active staff member with a role on it, and which."""
        customers = list(customers_matching(""))
        chosen = request.GET.get("customer", "").strip().lower()
        customer = next((row for row in customers if row.tenant_id == chosen), None)
        context = {
            **self.admin_site.each_context(request),
            "title": "Who can reach a customer",
            "opts": self.model._meta,
            "customers": customers,
            "customer": customer,
            "reaching": staff_reaching(customer.tenant_id) if customer else [],
            "scopes_url": reverse("admin:portal_customerscope_changelist"),
        }
        return TemplateResponse(request, "admin/portal/customer_reach.html", context)


admin.site.unregister(User)
admin.site.register(User, StaffUserAdmin)
