"""Idempotency by MS-RequestId (partner-center-api.md §6).

A change is claimed by inserting its request id before it runs, in a transaction of its own, so a
concurrent repeat sees the claim and waits instead of running the change a second time. The
answer is written into the claim in the SAME transaction as the change: either both are
committed or neither, so a process that dies half-way leaves no change without its answer. A
failed change releases its claim, so a retry simply runs again.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction

from portal.sandbox import clock
from portal.sandbox.api.wire import Answer, invalid
from portal.sandbox.models import IdempotentResponse

KEEP_FOR = timedelta(hours=24)
# A claim older than this without an answer belongs to a process that died: take it over.
STALE_CLAIM = timedelta(seconds=60)
POLL_SECONDS = 0.02


@dataclass(frozen=True)
class Claim:
    request_id: str
    method: str
    path: str


def claim_or_replay(claim: Claim) -> Answer | None:
    """Claim the request id, or return the stored answer of an earlier run of the same request.

    Waits while another process holds an unanswered claim on the same id.
    """
    while True:
        now = clock.now()
        try:
            with transaction.atomic(using="sandbox"):
                IdempotentResponse.objects.filter(
                    request_id=claim.request_id, created_at__lt=now - KEEP_FOR
                ).delete()
                IdempotentResponse.objects.create(
                    request_id=claim.request_id,
                    method=claim.method,
                    path=claim.path,
                    created_at=now,
                )
            return None
        except IntegrityError:
            pass
        stored = IdempotentResponse.objects.filter(request_id=claim.request_id).first()
        if stored is None:  # released by a failed run meanwhile: claim it again
            continue
        if stored.method != claim.method or stored.path.lower() != claim.path.lower():
            raise invalid(
                f"The MS-RequestId {claim.request_id} was already used for another request "
                f"({stored.method} {stored.path})."
            )
        if stored.status is not None:
            body = json.loads(bytes(stored.body)) if stored.body else None
            return Answer(stored.status, body)
        if stored.created_at < now - STALE_CLAIM:
            taken = IdempotentResponse.objects.filter(
                pk=stored.pk, status__isnull=True, created_at=stored.created_at
            ).update(created_at=now)
            if taken:
                return None
        time.sleep(POLL_SECONDS)


def record(claim: Claim, answer: Answer) -> None:
    """Store a successful answer; call inside the change's own transaction."""
    IdempotentResponse.objects.filter(request_id=claim.request_id).update(
        status=answer.status, body=json.dumps(_without_passwords(answer.body)).encode()
    )


def release(claim: Claim) -> None:
    """Forget a claim whose change failed, so that a retry runs again."""
    IdempotentResponse.objects.filter(request_id=claim.request_id, status__isnull=True).delete()


def _without_passwords(body: Any) -> Any:
    # A replayed create answers with the user but never with its password: the store keeps none.
    if isinstance(body, dict):
        return {
            key: _without_passwords(value)
            for key, value in body.items()
            if key.lower() != "password"
        }
    if isinstance(body, list):
        return [_without_passwords(item) for item in body]
    return body
