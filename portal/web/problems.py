"""A Partner Center failure as a page shows it: one helper every view uses, one template include.

Views catch `PartnerCenterError`, call `partner_center_problem(...)` and render their page with
`problem` in the context and `status=problem.status`; the page includes
`portal/partner_center_error.html`, which says what happened and the correlation id to quote to
Microsoft support.

The status is the failure's own (403, 404, 503) for a normal request. An htmx request gets 200,
because htmx does not swap an error answer: the message would be lost to a generic one.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse

from portal.partnercenter import Forbidden, NotFound, PartnerCenterError, Throttled, Unavailable


@dataclass(frozen=True)
class Problem:
    """What to tell the person: the message, Partner Center's correlation id, how to answer."""

    message: str
    correlation_id: str
    status: int
    kind: str  # forbidden, not_found, throttled, unavailable, error
    retry_after: int | None = None

    @property
    def may_retry(self) -> bool:
        """Whether trying again can help (not for a missing object or a missing relationship)."""
        return self.kind not in {"forbidden", "not_found"}

    @property
    def with_id(self) -> str:
        """The message with the correlation id, for a one-line flash message."""
        if self.correlation_id:
            return f"{self.message} (Correlation id: {self.correlation_id})"
        return self.message

    def apply_headers(self, response: HttpResponse) -> HttpResponse:
        if self.retry_after is not None and response.status_code == 503:
            response["Retry-After"] = str(self.retry_after)
        return response


def no_delegated_access_message(company_name: str) -> str:
    company = company_name or "this customer"
    return (
        f"The partner has no delegated admin access to {company}: ask the customer to approve a "
        "delegated admin relationship in Partner Center."
    )


def partner_center_problem(
    request: HttpRequest,
    error: PartnerCenterError,
    *,
    company_name: str = "",
    not_found: str = "",
) -> Problem:
    """The message for `error` on a page about `company_name`.

    `not_found` words a 404 for the object the page is about ("This user no longer exists").
    """
    kind, status, message = "error", 502, str(error)
    retry_after: int | None = None
    if isinstance(error, Forbidden):
        kind, status, message = "forbidden", 403, no_delegated_access_message(company_name)
    elif isinstance(error, NotFound):
        kind, status, message = "not_found", 404, not_found or str(error)
    elif isinstance(error, Throttled):
        kind, status = "throttled", 503
        if error.retry_after is not None:
            retry_after = max(1, round(error.retry_after))
    elif isinstance(error, Unavailable):
        kind, status = "unavailable", 503
    if getattr(request, "htmx", False):
        status = 200
    return Problem(
        message=message,
        correlation_id=error.correlation_id or "",
        status=status,
        kind=kind,
        retry_after=retry_after,
    )
