"""What can go wrong talking to Partner Center, as a few exceptions a caller can act on.

Every error carries Partner Center's `code` (always a string: the wire sends it as a number or a
string), its `description`, and the `MS-RequestId`/`MS-CorrelationId` of the call, so a message
on screen or in the audit log can be traced on Partner Center's side. `str(error)` is a sentence
for a person; `error.details()` adds the identifiers for logs.

`outcome_unknown` is set on a failed *change* when some attempt of it may have taken effect (the
answer was lost, or the service failed mid-way): repeat it with the same `request_id` (Partner
Center deduplicates by it) or look the result up — never send it again under a new id.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

# How Entra (and so Partner Center) words a duplicate username; the status it comes with is not
# known for certain (400 from Graph, 409 from the SDK's mapping), so the text decides too.
_UPN_CONFLICT = re.compile(
    r"same value for property userPrincipalName already exists", re.IGNORECASE
)


class PartnerCenterError(Exception):
    """Partner Center answered with an error, or could not be reached."""

    lead: ClassVar[str] = "Partner Center could not complete the request."
    show_description: ClassVar[bool] = True

    def __init__(
        self,
        description: str = "",
        *,
        status: int | None = None,
        code: str | None = None,
        request_id: str | None = None,
        correlation_id: str | None = None,
        data: list[str] | None = None,
        source: str | None = None,
        outcome_unknown: bool = False,
    ) -> None:
        self.description = description
        self.status = status
        self.code = code
        self.request_id = request_id
        self.correlation_id = correlation_id
        self.data = data or []
        self.source = source
        self.outcome_unknown = outcome_unknown
        super().__init__(self.message)

    def headline(self) -> str:
        """What happened, in words for the person who asked."""
        return self.lead

    @property
    def message(self) -> str:
        headline = self.headline()
        parts = [headline]
        if self.show_description and self.description and self.description not in headline:
            parts.append(self.description.rstrip(".") + ".")
        if self.outcome_unknown:
            parts.append(
                "The change may or may not have been made: repeating it with the same request id "
                "is safe, repeating it as a new request is not."
            )
        return " ".join(parts)

    def __str__(self) -> str:
        return self.message

    def details(self) -> str:
        """The message plus status, code and identifiers, for logs and the audit log."""
        return (
            f"{self.message} [status={self.status} code={self.code} "
            f"request_id={self.request_id} correlation_id={self.correlation_id}]"
        )


class NotFound(PartnerCenterError):
    """404: no such customer (code 60003) or user (60002, also a user purged after 30 days)."""

    lead = "Partner Center has no such object."


class AlreadyExists(PartnerCenterError):
    """409, or 400 with Entra's userPrincipalName conflict text: the username is taken."""

    lead = "It already exists in Partner Center."


class InvalidInput(PartnerCenterError):
    """400: Partner Center rejected what was sent (code 3000 for most validation failures)."""

    lead = "Partner Center rejected the request."


class Unauthorized(PartnerCenterError):
    """401 even after a fresh token: the portal's Partner Center sign-in is not accepted."""

    lead = (
        "Partner Center did not accept the portal's sign-in: an administrator must reconnect "
        "the Partner Center account."
    )


class Forbidden(PartnerCenterError):
    """403: no delegated access to the customer, or a missing role."""

    lead = (
        "The partner is not allowed to do this for this customer (no delegated admin access, "
        "or a missing role)."
    )


class Throttled(PartnerCenterError):
    """429 for longer than the caller was willing to wait; `retry_after` is in seconds."""

    show_description = False  # the gateway's text repeats the wait, in its own numbers

    def __init__(self, description: str = "", *, retry_after: float | None = None, **kwargs: Any):
        self.retry_after = retry_after
        super().__init__(description, **kwargs)

    def headline(self) -> str:
        if self.retry_after is None:
            return "Partner Center is busy. Try again shortly."
        seconds = max(1, round(self.retry_after))
        return f"Partner Center is busy. Try again in {seconds} second{'s' if seconds > 1 else ''}."


class Unavailable(PartnerCenterError):
    """5xx, 408 or no answer at all, after the bounded retries."""

    lead = "Partner Center is not answering right now."


@dataclass(frozen=True)
class Fault:
    """The parts of an error body: an ApiFault, a gateway body, or anything else."""

    code: str | None = None
    description: str = ""
    data: list[str] = field(default_factory=list)
    source: str | None = None


def read_fault(content: bytes, reason: str = "") -> Fault:
    """Partner Center's error envelope `{code, description, data, source}`, tolerating the
    gateway's `{statusCode, message}`, a BOM, and bodies that are not JSON at all."""
    text = content.decode("utf-8-sig", errors="replace").strip()
    try:
        body = json.loads(text) if text else None
    except ValueError:
        body = None
    if not isinstance(body, Mapping):
        # HTML from a proxy, plain text, nothing: show a little of it rather than nothing.
        snippet = " ".join(text.split())[:200] if text and not text.startswith("<") else ""
        return Fault(description=snippet or reason)
    fields = {str(key).lower(): value for key, value in body.items()}
    code = fields.get("code", fields.get("statuscode"))
    description = fields.get("description") or fields.get("message") or reason
    data = fields.get("data")
    source = fields.get("source")
    return Fault(
        code=None if code is None else str(code),
        description=str(description),
        data=[str(item) for item in data] if isinstance(data, list) else [],
        source=None if source is None else str(source),
    )


def is_username_conflict(fault: Fault) -> bool:
    return bool(_UPN_CONFLICT.search(" ".join([fault.description, *fault.data])))


_BY_STATUS: dict[int, type[PartnerCenterError]] = {
    400: InvalidInput,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    408: Unavailable,
    409: AlreadyExists,
    429: Throttled,
}


def error_for(
    status: int,
    fault: Fault,
    *,
    request_id: str | None,
    correlation_id: str | None,
    retry_after: float | None = None,
    outcome_unknown: bool = False,
) -> PartnerCenterError:
    """The exception for an error answer with HTTP `status`."""
    kind = _BY_STATUS.get(status)
    if kind is None:
        kind = Unavailable if status >= 500 else PartnerCenterError
    if kind is InvalidInput and is_username_conflict(fault):
        kind = AlreadyExists
    common: dict[str, Any] = {
        "status": status,
        "code": fault.code,
        "request_id": request_id,
        "correlation_id": correlation_id,
        "data": fault.data,
        "source": fault.source,
        "outcome_unknown": outcome_unknown,
    }
    if kind is Throttled:
        return Throttled(fault.description, retry_after=retry_after, **common)
    return kind(fault.description, **common)


__all__ = [
    "AlreadyExists",
    "Forbidden",
    "InvalidInput",
    "NotFound",
    "PartnerCenterError",
    "Throttled",
    "Unauthorized",
    "Unavailable",
]
