"""One-time forms: each rendering of Add user or Reset password carries its own id, sent to
Partner Center as the request id, so a resubmitted form never does a thing twice.

The record is written before the call and marked done after it; a second submit of a done form
finds it and says what the first did."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from portal.audit.records import AuditContext
from users.models import OneTimeRequest


def one_time_sent(
    *, request_id: str, action: str, audit: AuditContext, username: str, user_id: str = ""
) -> tuple[OneTimeRequest, bool]:
    """The form's record, written before its call; True when this is the id's first use.

    A first use means no earlier call can have been answered under this id, so an answer Partner
    Center replays can only be of this call's own retries (`first_use` in the SDK).
    """
    try:
        with transaction.atomic():
            record = OneTimeRequest.objects.create(
                request_id=request_id,
                action=action,
                staff=audit.actor.user if audit.actor.user and audit.actor.user.pk else None,
                customer_id=audit.customer_id,
                user_id=user_id,
                user_principal_name=username,
            )
        return record, True
    except IntegrityError:
        return OneTimeRequest.objects.get(request_id=request_id), False


def one_time_done(record: OneTimeRequest, *, user_id: str, username: str) -> bool:
    """Mark the form done; False when another submit of the same form finished first."""
    finished = OneTimeRequest.objects.filter(pk=record.pk, done_at__isnull=True).update(
        done_at=timezone.now(), user_id=user_id, user_principal_name=username
    )
    return finished == 1


def one_time_done_before(request_id: str, action: str) -> OneTimeRequest | None:
    """The form's record when it was used and finished before (its answer is not repeated)."""
    return OneTimeRequest.objects.filter(
        request_id=request_id, action=action, done_at__isnull=False
    ).first()
