"""The users app's own records (customer users themselves live in Partner Center)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class CreatedUser(models.Model):
    """Which Add user form created which user: a form's one-time id is its create call's
    MS-RequestId, so a resubmitted form (reload, back, double click) is recognised and answered
    "already created" instead of creating a second user. No password is kept."""

    request_id = models.CharField(max_length=64, unique=True)
    customer_id = models.CharField(max_length=64)
    user_id = models.CharField(max_length=64)
    user_principal_name = models.CharField(max_length=254)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.user_principal_name} ({self.request_id})"


class BulkDraft(models.Model):
    """A bulk upload that validated, kept so the next step (Location, licences, Save) needs
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
