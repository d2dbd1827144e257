"""The sandbox's own data: a partner's customers, their users, roles and licenses.

It keeps no password: only when each was last set.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models.functions import Lower


class Customer(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)  # the customer's tenant id
    commerce_id = models.UUIDField(default=uuid.uuid4)
    company_name = models.CharField(max_length=200)
    email = models.CharField(max_length=200, blank=True)
    relationship_to_partner = models.CharField(max_length=40, default="reseller")
    # False: the partner has no delegated administration rights, so every call that reads or
    # changes the customer's directory answers 403.
    allow_delegated_access = models.BooleanField(default=True)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(Lower("company_name"), name="sandbox_customer_name_lower")]

    def __str__(self) -> str:
        return self.company_name


class Domain(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="domains")
    name = models.CharField(max_length=255)  # stored lower-case
    is_initial = models.BooleanField(default=False)  # the customer's *.onmicrosoft.com domain

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["name"], name="sandbox_domain_unique"),
            models.UniqueConstraint(
                fields=["customer"],
                condition=models.Q(is_initial=True),
                name="sandbox_domain_one_initial",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CustomerUser(models.Model):
    ACTIVE = "active"
    INACTIVE = "inactive"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="users")
    user_principal_name = models.CharField(max_length=113)
    first_name = models.CharField(max_length=64, blank=True)
    last_name = models.CharField(max_length=64, blank=True)
    display_name = models.CharField(max_length=256)
    usage_location = models.CharField(max_length=2, blank=True)
    immutable_id = models.CharField(max_length=256, blank=True)
    phone_number = models.CharField(max_length=64, blank=True)
    state = models.CharField(max_length=8, default=ACTIVE)
    soft_deletion_time = models.DateTimeField(null=True, blank=True)
    # No password is ever stored, only when one was last set.
    password_last_set_at = models.DateTimeField()
    force_change_password = models.BooleanField(default=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            # As in Entra: a username is unique among a tenant's *active* users, so a new user may
            # take the username of a deleted one (and restoring that one then conflicts).
            models.UniqueConstraint(
                "customer",
                Lower("user_principal_name"),
                condition=models.Q(state="active"),
                name="sandbox_user_upn_unique_active",
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "state", "display_name", "id"]),
            models.Index(fields=["customer", "state", "user_principal_name", "id"]),
            models.Index(fields=["customer", "state", "soft_deletion_time"]),
        ]

    def __str__(self) -> str:
        return self.user_principal_name


class DirectoryRole(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="roles")
    role_id = models.UUIDField()  # the Entra role template id, as Partner Center reports it
    name = models.CharField(max_length=200)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["customer", "role_id"], name="sandbox_role_unique")
        ]

    def __str__(self) -> str:
        return self.name


class RoleMember(models.Model):
    role = models.ForeignKey(DirectoryRole, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(CustomerUser, on_delete=models.CASCADE, related_name="role_members")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["role", "user"], name="sandbox_role_member_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.role}"


class SubscribedSku(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="skus")
    sku_id = models.UUIDField()
    name = models.CharField(max_length=200)
    sku_part_number = models.CharField(max_length=100)
    license_group = models.CharField(max_length=10, default="group1")
    active_units = models.PositiveIntegerField()
    suspended_units = models.PositiveIntegerField(default=0)
    warning_units = models.PositiveIntegerField(default=0)
    service_plans = models.JSONField(default=list)  # [{"id", "serviceName", "displayName"}]

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["customer", "sku_id"], name="sandbox_sku_unique")
        ]

    def __str__(self) -> str:
        return self.name


class LicenseAssignment(models.Model):
    user = models.ForeignKey(CustomerUser, on_delete=models.CASCADE, related_name="licenses")
    sku = models.ForeignKey(SubscribedSku, on_delete=models.CASCADE, related_name="assignments")
    excluded_plans = models.JSONField(default=list)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "sku"], name="sandbox_license_unique")
        ]

    def __str__(self) -> str:
        return f"{self.sku} for {self.user}"


class IdempotentResponse(models.Model):
    """The answer to a successful change, kept so that a repeat of its MS-RequestId replays it.

    A row is claimed (`status` null) before the change runs, which serialises concurrent repeats;
    it is deleted again if the change fails, so a retry simply runs again. Bodies never keep a
    password.
    """

    request_id = models.CharField(max_length=100, unique=True)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    status = models.PositiveSmallIntegerField(null=True)
    body = models.BinaryField(default=b"")
    created_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.method} {self.path} ({self.request_id})"


class FaultSettings(models.Model):
    """Faults the sandbox injects, changeable while it runs (`manage.py sandbox_faults`, the admin).

    One row (pk=1); every process reads it, so a test or an operator can change the behaviour of
    a running portal without restarting it.
    """

    DUPLICATE_409 = 409
    DUPLICATE_400 = 400

    latency_ms = models.PositiveIntegerField(
        default=0, help_text="Added to every call, slept outside any database transaction."
    )
    error_rate = models.FloatField(
        default=0.0, help_text="Share of calls (0–1) that answer 500/503 before changing anything."
    )
    lost_response_rate = models.FloatField(
        default=0.0,
        help_text="Share of changes (0–1) that are committed and then answered 504.",
    )
    throttle_rate = models.FloatField(
        default=0.0, help_text="Share of calls (0–1) answered 429 at random."
    )
    throttle_capacity = models.PositiveIntegerField(
        default=0, help_text="Per-customer token bucket size; 0 turns the bucket off."
    )
    throttle_refill_per_second = models.FloatField(default=1.0)
    retry_after_seconds = models.PositiveIntegerField(
        default=2, help_text="Retry-After of the random 429s."
    )
    duplicate_status = models.PositiveSmallIntegerField(
        default=DUPLICATE_409,
        choices=[(DUPLICATE_409, "409 Conflict"), (DUPLICATE_400, "400 with the conflict text")],
        help_text="How a duplicate username is answered (Partner Center's real status is unknown).",
    )
    # The next two default to what production does; false gives the docs' samples' other form.
    next_link_with_v1 = models.BooleanField(
        default=True,
        help_text="Write /v1 at the start of links.next uris, as production does since 2021.",
    )
    emit_bom = models.BooleanField(
        default=True,
        help_text="Start every JSON body with a UTF-8 byte-order mark, as the docs' samples do.",
    )
    random_seed = models.BigIntegerField(
        null=True, blank=True, help_text="Makes the random faults repeatable."
    )

    class Meta:
        verbose_name = "fault settings"
        verbose_name_plural = "fault settings"

    def __str__(self) -> str:
        return "Fault settings"

    @classmethod
    def current(cls) -> FaultSettings:
        settings, _ = cls.objects.get_or_create(pk=1)
        return settings


class ThrottleBucket(models.Model):
    """A customer's token bucket for throttling (see FaultSettings.throttle_capacity)."""

    key = models.CharField(max_length=100, unique=True)
    tokens = models.FloatField()
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.key
