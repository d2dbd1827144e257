"""Finishing a rotation of `PORTAL_ENCRYPTION_KEY`: every stored secret re-encrypted with the
first key, so the older keys can be dropped (`manage.py portal_rotate_keys`).

The secrets the portal keeps encrypted are the msal token cache (`PartnerCenterTokenCache`) and
bulk uploads' temporary passwords not yet downloaded or erased (`BulkRow.password_encrypted`).
Each value is re-encrypted in its own conditional update, so the command is safe to run twice or
while the portal runs: a value changed meanwhile is left to the next run.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from django.db import models

from portal import crypto
from portal.models import PartnerCenterTokenCache


@dataclass
class RotationReport:
    reencrypted: dict[str, int] = field(default_factory=dict)
    on_older_keys: dict[str, int] = field(default_factory=dict)  # what --check finds
    unreadable: dict[str, int] = field(default_factory=dict)

    @property
    def done(self) -> bool:
        return not any(self.on_older_keys.values()) and not any(self.unreadable.values())


def _encrypted() -> tuple[tuple[str, type[models.Model], str], ...]:
    """(label, model, field): every column that holds a value of `portal.crypto`."""
    # Imported here: the portal package sits below the apps that use it.
    from users.bulk.models import BulkRow

    return (
        ("Partner Center token cache", PartnerCenterTokenCache, "encrypted_cache"),
        ("bulk upload passwords", BulkRow, "password_encrypted"),
    )


def _values(model: type[models.Model], column: str) -> Iterator[tuple[int, str]]:
    rows = model._default_manager.exclude(**{column: ""}).values_list("pk", column)
    yield from rows.iterator(chunk_size=500)


def keys_rotate(*, check_only: bool = False) -> RotationReport:
    """Re-encrypt every stored secret that still needs an older key with the first one; with
    `check_only`, change nothing and count them. A value no key opens is counted, not touched."""
    report = RotationReport()
    for label, model, column in _encrypted():
        older = unreadable = changed = 0
        for pk, value in _values(model, column):
            if crypto.uses_first_key(value):
                continue
            try:
                fresh = crypto.reencrypt(value)
            except crypto.DecryptionError:
                unreadable += 1
                continue
            older += 1
            if not check_only:
                manager = model._default_manager
                changed += manager.filter(pk=pk, **{column: value}).update(**{column: fresh})
        report.on_older_keys[label] = older - changed
        report.reencrypted[label] = changed
        report.unreadable[label] = unreadable
    return report
