"""Writes around the audit log: its CSV export (itself audited) and retention pruning."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from portal.audit import Action, Actor, audit_record
from portal.audit_selectors import AuditFilter, audit_export_rows, audit_records_matching
from portal.csvsafe import csv_bytes
from portal.models import AuditRecord


def audit_export(
    *, actor: Actor, filters: AuditFilter, action_labels: Mapping[str, str]
) -> tuple[bytes, int]:
    """Every record the filters match as a formula-safe CSV, and how many; the export is audited.

    The export is data leaving the portal, so it leaves a record of its own (`AUDIT_EXPORT`,
    naming the filters), written after the file is made: it is not in the file it describes.
    """
    count = 0

    def counted(records: Iterable[AuditRecord]) -> Iterator[AuditRecord]:
        nonlocal count
        for record in records:
            count += 1
            yield record

    # Streamed from the database in chunks: a year of bulk rows need not fit in memory twice.
    records = audit_records_matching(filters=filters).iterator(chunk_size=2000)
    data = csv_bytes(audit_export_rows(counted(records), action_labels=action_labels))
    described = ", ".join(f"{key}={value}" for key, value in filters.as_params().items())
    audit_record(
        actor=actor,
        action=Action.AUDIT_EXPORT,
        succeeded=True,
        ticket=filters.ticket,
        changes={"records": count, "filters": described or "none"},
        message=f"Exported {count} audit record{'s' if count != 1 else ''}.",
    )
    return data, count


def audit_prune(*, now: datetime | None = None) -> int:
    """Delete audit records older than `PORTAL_AUDIT_RETENTION_DAYS` (0: keep all); how many.

    The only way records are ever deleted: a queryset delete, which bypasses the model's own
    `delete()` (that refuses, so nothing deletes records one by one).
    """
    days: int = settings.PORTAL_AUDIT_RETENTION_DAYS
    if days <= 0:
        return 0
    cutoff = (now or timezone.now()) - timedelta(days=days)
    deleted, _ = AuditRecord.objects.filter(at__lt=cutoff).delete()
    return deleted
