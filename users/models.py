"""The users app's own records (customer users themselves live in Partner Center)."""

from __future__ import annotations

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
