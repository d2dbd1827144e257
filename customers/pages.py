"""What every page about one customer opens with: the customer (or 404), its tabs, and what to
say when it was never read. Used by the customers app's views and by the users app's."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import cache, wraps
from typing import Any, Final, TypeVar, cast
from uuid import UUID

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import get_script_prefix, get_urlconf, reverse
from django_htmx.http import HttpResponseStopPolling

from customers.directory.customer_queries import customer_get
from customers.directory.models import DirectoryCustomer
from customers.services import CustomerRow, customer_open
from portal.partnercenter import PartnerCenterClient, PartnerCenterError
from portal.web.http import HtmxHttpRequest
from portal.web.problems import Problem, partner_center_problem
from portal.web.ui import Tab

_View = TypeVar("_View", bound=Callable[..., HttpResponse])


def customer_or_404(*, pc: PartnerCenterClient, customer_id: UUID | str) -> CustomerRow:
    """The customer from the directory's customers list, or 404 (raises PartnerCenterError when
    the list had to be read from Partner Center and that failed).

    Whether the person may see it at all was decided before the view ran: `require_capability`
    enters the customer the URL names, a 404 outside the person's customer scope.
    """
    customer = customer_open(pc=pc, customer_id=str(customer_id))
    if customer is None:
        raise Http404("The partner has no such customer.")
    return customer


# --- Links ----------------------------------------------------------------------------------

_ANY_ID: Final = "00000000-0000-0000-0000-000000000000"
_ANY_USER: Final = "11111111-1111-1111-1111-111111111111"


@cache
def _link_pattern(name: str, args: tuple[str, ...], prefix: str, urlconf: str | None) -> str:
    # Keyed by what reverse() reads besides the name and arguments (the script prefix, the
    # URLconf); the arguments are placeholders the callers replace.
    return reverse(name, args=args)


def user_url(customer_id: UUID | str, user_id: str) -> str:
    """A user's page, `reverse("users:detail", ...)` at the cost of two string replaces: a list
    links to fifty users."""
    pattern = _link_pattern(
        "users:detail", (_ANY_ID, _ANY_USER), get_script_prefix(), get_urlconf()
    )
    return pattern.replace(_ANY_ID, str(customer_id), 1).replace(_ANY_USER, user_id, 1)


def customer_url(name: str, customer_id: UUID | str) -> str:
    """`reverse(name, args=[customer_id])` for a URL whose only argument is the customer, at the
    cost of a string replace: a page links to its customer a dozen times, and each reverse()
    costs more than the rest of a link's rendering."""
    pattern = _link_pattern(name, (_ANY_ID,), get_script_prefix(), get_urlconf())
    return pattern.replace(_ANY_ID, str(customer_id), 1)


@dataclass(frozen=True, slots=True)
class CustomerLinks:
    """The links of a customer's pages, for templates: `{{ links.export }}`."""

    users: str
    deleted: str
    loading: str
    refresh: str
    export: str
    add_user: str
    bulk_upload: str
    selected: str

    @classmethod
    def of(cls, customer_id: UUID | str) -> CustomerLinks:
        return cls(
            users=customer_url("customers:users", customer_id),
            deleted=customer_url("customers:deleted", customer_id),
            loading=customer_url("customers:loading", customer_id),
            refresh=customer_url("customers:refresh", customer_id),
            export=customer_url("customers:export", customer_id),
            add_user=customer_url("users:add", customer_id),
            bulk_upload=customer_url("users:bulk_upload", customer_id),
            selected=customer_url("users:selected", customer_id),
        )


def customer_tabs(*, customer: CustomerRow, current: str, links: CustomerLinks) -> list[Tab]:
    """Users and licenses, Deleted users (N): N from the mirror, once there is one."""
    mirror = customer.mirror
    deleted = f"Deleted users ({mirror.deleted_count})" if mirror.mirrored else "Deleted users"
    return [
        Tab("Users and licenses", links.users, current=current == "users"),
        Tab(deleted, links.deleted, current=current == "deleted"),
    ]


def sync_problem(request: HtmxHttpRequest, mirror: DirectoryCustomer) -> Problem:
    """What to say when a customer was never read and its sync failed (no delegated access,
    most often): the message recorded with the failure, with its correlation id."""
    no_access = mirror.access == DirectoryCustomer.ACCESS_NONE
    return Problem(
        message=mirror.sync_error or "Reading the users failed.",
        correlation_id=mirror.sync_correlation_id,
        status=200 if request.htmx else (403 if no_access else 502),
        kind="forbidden" if no_access else "error",
    )


# --- When Partner Center fails -------------------------------------------------------------------

Template = str | Callable[[HtmxHttpRequest], str]


def shows_problems(
    template: Template, *, not_found: str = "", stop_polling: bool = False
) -> Callable[[_View], _View]:
    """The one way a page about a customer shows a Partner Center failure: a `PartnerCenterError`
    that escapes the view is answered with `template` (or `template(request)`) holding the
    problem — what happened, the correlation id, Try again — with the failure's status and
    Retry-After (`portal.web.problems`). Failures a view handles itself (a form's error, a
    flash after a POST) never reach it.

    `not_found` words a 404 for what the page is about; `stop_polling` answers a polling htmx
    request with 286 so it stops asking.
    """

    def decorate(view: _View) -> _View:
        @wraps(view)
        def wrapper(request: HtmxHttpRequest, customer_id: UUID, **kwargs: Any) -> HttpResponse:
            try:
                return view(request, customer_id, **kwargs)
            except PartnerCenterError as error:
                name = template(request) if callable(template) else template
                return customer_problem_page(
                    request,
                    name,
                    customer_id,
                    error,
                    not_found=not_found,
                    stop_polling=stop_polling,
                )

        return cast("_View", wrapper)

    return decorate


def customer_problem_page(
    request: HtmxHttpRequest,
    template: str,
    customer_id: UUID | str,
    error: PartnerCenterError,
    *,
    not_found: str = "",
    stop_polling: bool = False,
    retry_url: str = "",
) -> HttpResponse:
    """`template` showing `error` on a page about the customer: its name when the directory
    knows it (no Partner Center call: it may be what failed), and Try again (`retry_url`, this
    page by default)."""
    mirror = customer_get(str(customer_id))
    company = mirror.company_name if mirror else ""
    problem = partner_center_problem(request, error, company_name=company, not_found=not_found)
    context = {
        "customer_id": str(customer_id),
        "customer": CustomerRow.of(mirror) if mirror else None,
        "links": CustomerLinks.of(customer_id),
        "company_name": company or "Customer",
        "problem": problem,
        "retry_url": retry_url or request.get_full_path(),
    }
    status = problem.status
    if stop_polling and request.htmx:
        status = HttpResponseStopPolling.status_code
    return problem.apply_headers(render(request, template, context, status=status))


# --- Restore's answer, shown on the Deleted users tab -------------------------------------------


@dataclass(frozen=True)
class RestoreLine:
    user_id: str
    username: str
    restored: bool
    reason: str = ""
    correlation_id: str = ""
    given_back: str = ""  # an offboarded user's licenses and roles given back, in words


@dataclass(frozen=True)
class RestoreReport:
    """What a Restore did, per user: the Deleted users tab shows it once after the redirect."""

    lines: list[RestoreLine]
    ticket: str

    @property
    def restored(self) -> int:
        return sum(line.restored for line in self.lines)


def _report_key(customer_id: str) -> str:
    return f"restore-report:{customer_id}"


def restore_report_keep(request: HttpRequest, customer_id: str, report: RestoreReport) -> None:
    """Keep the report in the session for the tab the browser is sent to (names and reasons
    only: nothing secret)."""
    request.session[_report_key(customer_id)] = {
        "ticket": report.ticket,
        "lines": [asdict(line) for line in report.lines],
    }


def restore_report_take(request: HttpRequest, customer_id: str) -> RestoreReport | None:
    """The report kept for this customer's tab, once: a reload shows the tab alone."""
    kept = request.session.pop(_report_key(customer_id), None)
    if not isinstance(kept, dict):
        return None
    lines = [RestoreLine(**line) for line in kept.get("lines", [])]
    return RestoreReport(lines=lines, ticket=str(kept.get("ticket", "")))
