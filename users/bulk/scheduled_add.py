"""Add user, At…: a new starter scheduled for a time, made as a one-row upload that waits (the
same checks as a CSV row now — username free and not reserved, a domain of the customer — and
the same job, passwords and guarantees when it runs). Its temporary password is generated when
it runs and handed to the person who scheduled it like an upload's: encrypted until they
download it once, erased after PORTAL_BULK_PASSWORD_TTL_HOURS."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from customers.directory.models import DirectoryCustomer
from portal.audit.records import Actor
from portal.csvsafe import csv_bytes
from users.bulk.jobs import BulkJobRefused, bulk_job_create
from users.bulk.models import BulkJob
from users.bulk.reading import COLUMNS
from users.bulk.services import bulk_draft_create, bulk_upload_validate
from users.bulk.when import Schedule


@dataclass(frozen=True)
class Starter:
    first_name: str
    last_name: str
    display_name: str
    username: str
    usage_location: str
    sku_ids: Sequence[str]


def starter_schedule(
    *,
    customer: DirectoryCustomer,
    starter: Starter,
    actor: Actor,
    ticket: str,
    schedule: Schedule,
    form_id: uuid.UUID,
) -> BulkJob:
    """The scheduled job that creates `starter` at its time. The form's one-time id names it,
    so the same form sent twice finds the first job. Raises BulkJobRefused with the reason."""
    existing = BulkJob.objects.filter(draft_public_id=form_id).first()
    if existing is not None:
        return existing
    if actor.user is None:
        raise ValueError("A scheduled add needs the staff member who makes it.")
    row = [starter.first_name, starter.last_name, starter.display_name, starter.username, ""]
    validation = bulk_upload_validate(
        customer=customer,
        file_name=f"{starter.username}.csv",
        data=csv_bytes([list(COLUMNS), row]),
    )
    if not validation.ok:
        errors = [message for result in validation.rows for message in result.error_list()]
        raise BulkJobRefused(" ".join(errors or validation.file_errors))
    draft = bulk_draft_create(validation=validation, created_by=actor.user, public_id=form_id)
    return bulk_job_create(
        draft=draft,
        customer=customer,
        usage_location=starter.usage_location,
        sku_ids=starter.sku_ids,
        actor=actor,
        ticket=ticket,
        schedule=schedule,
    )
