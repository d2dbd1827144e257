"""The users app's own records (customer users themselves live in Partner Center)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class OneTimeRequest(models.Model):
    """A form that must act once — Add user, Reset password — and what became of it.

    Each rendering of such a form carries a new one-time id, which is its call's MS-RequestId.
    The row is written before the call (`sent_at`) and completed after Partner Center's answer
    (`done_at`), so a resubmitted form (reload, back, double click) is recognised: a done one
    changes nothing and says so; a sent one that was never confirmed is re-sent with the same id,
    which Partner Center answers from its first execution. No password is kept.
    """

    CREATE = "user_create"
    RESET_PASSWORD = "user_reset_password"  # noqa: S105 (an action's name)
    ACTIONS = [(CREATE, "Add user"), (RESET_PASSWORD, "Reset password")]

    request_id = models.CharField(max_length=64, unique=True)
    action = models.CharField(max_length=32, choices=ACTIONS, default=CREATE)
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    customer_id = models.CharField(max_length=64)
    user_id = models.CharField(max_length=64, blank=True)
    user_principal_name = models.CharField(max_length=254)
    sent_at = models.DateTimeField(default=timezone.now)
    done_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.action} {self.user_principal_name} ({self.request_id})"


class BulkDraft(models.Model):
    """A bulk upload that validated, kept so the next step (Location, licenses, Save) needs
    nothing from the browser but `public_id`. Rows hold names and emails only (normalised: one
    dict per user with `row`, `first_name`, `last_name`, `display_name`, `email`), no password.
    A draft lives a day (`expires_at`); reads ignore expired drafts and `bulk_drafts_prune`
    deletes them."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="bulk_drafts"
    )
    customer_id = models.CharField(max_length=64)
    file_name = models.CharField(max_length=255)
    rows = models.JSONField()
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.file_name} ({len(self.rows)} users, {self.public_id})"


# Bulk jobs live in their own module; imported here so Django finds them under this app.
from users.bulk.models import BulkJob, BulkRow  # noqa: E402, F401
