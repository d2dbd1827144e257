"""The portal's own data (the sandbox's lives in `portal.sandbox`, on its own database alias)."""

from __future__ import annotations

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
