"""Writes around the audit log: its CSV export (itself audited) and retention pruning."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Max
from django.utils import timezone

from portal.audit.records import Action, Actor, audit_record
from portal.audit.selectors import AuditFilter, audit_export_rows, audit_records_matching
from portal.csvsafe import csv_stream
from portal.models import AuditRecord


@dataclass(frozen=True)
class AuditExport:
    records: int
    chunks: Iterator[bytes]  # the CSV, made as it is sent


def audit_export(
    *,
    actor: Actor,
    filters: AuditFilter,
    action_labels: Mapping[str, str],
    customer_ids: frozenset[str] | None = None,
) -> AuditExport:
    """Every record the filters match (about `customer_ids` only, when given) as a formula-safe
    CSV stream, and how many; audited.

    The export is data leaving the portal, so it leaves a record of its own (`AUDIT_EXPORT`,
    naming the filters). The file holds the records up to that moment, the export's own record
    not among them, and is read from the database in chunks as it is sent: memory stays the
    same for a year of bulk rows as for ten records.
    """
    matching = audit_records_matching(filters=filters, customer_ids=customer_ids)
    last = matching.aggregate(last=Max("pk"))["last"] or 0
    records = matching.filter(pk__lte=last)
    count = records.count()
    described = ", ".join(f"{key}={value}" for key, value in filters.as_params().items())
    audit_record(
        actor=actor,
        action=Action.AUDIT_EXPORT,
        succeeded=True,
        ticket=filters.ticket,
        changes={"records": count, "filters": described or "none"},
        message=f"Exported {count} audit record{'s' if count != 1 else ''}.",
    )
    rows = audit_export_rows(records.iterator(chunk_size=2000), action_labels=action_labels)
    return AuditExport(count, csv_stream(rows))


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
