"""The portal's own data (the sandbox's lives in `portal.sandbox`, on its own database alias)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models


class PartnerCenterTokenCache(models.Model):
    """The msal token cache for the Partner Center sign-in, shared by every web and worker process.

    There is one row (`SINGLETON_ID`). `encrypted_cache` is msal's serialized
    `SerializableTokenCache` encrypted with `portal.crypto` (it holds the refresh token, which is
    as good as the partner's sign-in): it is never stored in plain text. Writers lock the row
    (`portal.partnercenter.msal_auth`), so two processes renewing at once cannot lose a rotated
    refresh token. The remaining fields describe the connection for people, and hold no secret.
    """

    SINGLETON_ID = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON_ID)
    encrypted_cache = models.TextField(
        blank=True, help_text="msal's token cache, encrypted; empty: never connected."
    )
    connected_as = models.CharField(
        max_length=254, blank=True, help_text="The signed-in partner user (from the id token)."
    )
    connected_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    last_success_at = models.DateTimeField(
        null=True, blank=True, help_text="When the identity provider last issued a token."
    )
    last_error = models.TextField(
        blank=True, help_text="Why getting a token last failed (never a token or secret)."
    )
    last_error_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "Partner Center token cache"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(id=1), name="partnercenter_token_cache_single_row"
            )
        ]

    def __str__(self) -> str:
        return f"Partner Center sign-in ({self.connected_as or 'not connected'})"


class AuditRecord(models.Model):
    """One attempt at an action through the portal or its commands, successful or not.

    Who (the staff member, kept by name too, so a deleted account still reads), when, from where,
    for which customer and user, what changed (before → after, never a password or token), the
    ticket it was done for, the outcome, and Partner Center's request and correlation ids so a
    support case can be traced end to end. Records are never edited or deleted through the portal
    or the admin; only the retention setting prunes them.
    """

    SUCCEEDED = "succeeded"
    FAILED = "failed"
    OUTCOMES = [(SUCCEEDED, "Succeeded"), (FAILED, "Failed")]

    at = models.DateTimeField(db_index=True)
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    staff_username = models.CharField(max_length=150)
    via = models.CharField(max_length=20, default="web")  # web, command, task
    client_ip = models.GenericIPAddressField(null=True, blank=True)
    action = models.CharField(max_length=40, db_index=True)
    outcome = models.CharField(max_length=10, choices=OUTCOMES)
    customer_id = models.CharField(max_length=64, blank=True, db_index=True)
    customer_name = models.CharField(max_length=200, blank=True)
    target_user_id = models.CharField(max_length=64, blank=True, db_index=True)
    target_username = models.CharField(max_length=254, blank=True, db_index=True)
    ticket = models.CharField(max_length=100, blank=True, db_index=True)
    changes = models.JSONField(default=dict, blank=True)
    message = models.TextField(blank=True)
    ms_request_id = models.CharField(max_length=64, blank=True)
    ms_correlation_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["staff_username", "at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.staff_username} {self.action} {self.outcome}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("Audit records are written once and never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ValueError("Audit records are never deleted one by one; retention prunes them.")


class EntraAccount(models.Model):
    """A staff account that signs in with Microsoft: which Entra user (tenant and object id) it is.

    The object id is the stable identifier (a user's username can be renamed in Entra); the
    Django username follows the Entra username so that the audit log reads as a name. Such an
    account never has a usable local password and gets its role from its Entra groups at each
    sign-in (`portal.staff.entra`).
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="entra_account"
    )
    tenant_id = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    last_sign_in_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "Microsoft sign-in"
        constraints = [
            models.UniqueConstraint(
                fields=["tenant_id", "object_id"], name="entra_account_one_per_entra_user"
            )
        ]

    def __str__(self) -> str:
        return f"{self.object_id} in {self.tenant_id}"


class DemoAccount(models.Model):
    """The sandbox's demo sign-in (`manage.py portal_demo_user`), marked as such when made: in
    live mode it can never sign in, and it is deactivated at start-up (`portal.demo`), while a
    real superuser that happens to be called "admin" is left alone."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="demo_account"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "sandbox demo account"

    def __str__(self) -> str:
        return f"demo account {self.user_id}"


class StaffSignOut(models.Model):
    """When a staff member last chose "Sign out everywhere": every session of theirs signed in
    before then ends at its next request (`portal.staff.sessions`)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="signed_out_everywhere"
    )
    at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.user_id} signed out everywhere at {self.at:%Y-%m-%d %H:%M}"


class RecoveryCode(models.Model):
    """One of a staff member's one-time recovery codes (`portal.staff.second_factor`): kept as a
    salted SHA-256 digest, never the code; `used_at` once it has signed someone in."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recovery_codes"
    )
    digest = models.CharField(max_length=100)  # "<salt>$<sha256 hex of salt + code>"
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"recovery code of {self.user_id}{' (used)' if self.used_at else ''}"


class Heartbeat(models.Model):
    """A long-running process saying it is alive: each task worker and maintenance loop writes
    its row every few seconds (`portal.heartbeat`); `/healthz?full` lists them."""

    process = models.CharField(max_length=160, unique=True)  # host:pid
    role = models.CharField(max_length=20)  # worker, directory, maintenance
    host = models.CharField(max_length=120)
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.role} {self.process}"


class CustomerScope(models.Model):
    """A named set of the partner's customers that staff grants point at (DESIGN.md section 3).

    "All customers" (made by a migration) reaches every customer, today's and future ones; any
    other scope lists its customers by Partner Center id, so renaming a customer changes nothing.
    Superusers manage scopes in the admin.
    """

    name = models.CharField(max_length=100, unique=True)
    all_customers = models.BooleanField(
        default=False,
        help_text="Every customer of the partner, including those added later; the list below "
        "is then ignored.",
    )
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "customer scope"

    def __str__(self) -> str:
        return self.name


class ScopeCustomer(models.Model):
    """One customer of a scope, by its Partner Center id (lower case); the company name is as it
    was when added, to read by."""

    scope = models.ForeignKey(CustomerScope, on_delete=models.CASCADE, related_name="members")
    customer_id = models.CharField(max_length=64)
    customer_name = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = "customer"
        constraints = [
            models.UniqueConstraint(
                fields=["scope", "customer_id"], name="scope_customer_once_per_scope"
            )
        ]

    def __str__(self) -> str:
        return self.customer_name or self.customer_id


# The staff roles, spelled as their Django groups (`portal.staff.access.Role`; a test holds the
# two equal). Not imported from there: the access module reads these models.
STAFF_ROLES = ("Admin agent", "Helpdesk agent", "Sales agent")


class StaffGrant(models.Model):
    """A role on a scope for one staff member: "Admin agent on Team North". Membership of a role
    group is the same role on every customer; grants add roles on some. Microsoft sign-in writes
    its own grants (`from_entra`) from the groups at each sign-in and leaves the others alone."""

    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="portal_grants"
    )
    role = models.CharField(max_length=30, choices=[(role, role) for role in STAFF_ROLES])
    scope = models.ForeignKey(CustomerScope, on_delete=models.PROTECT, related_name="grants")
    from_entra = models.BooleanField(
        default=False, help_text="Set by Microsoft sign-in from a group; replaced at each sign-in."
    )

    class Meta:
        verbose_name = "role on a customer scope"
        constraints = [
            models.UniqueConstraint(
                fields=["staff", "role", "scope"], name="staff_grant_once_per_role_and_scope"
            )
        ]

    def __str__(self) -> str:
        return f"{self.role} on {self.scope}"
