"""The audit log's pages: the filtered, paged log and its CSV export."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from portal.audit.forms import AuditFilterForm
from portal.audit.records import ACTION_LABELS, Actor
from portal.audit.selectors import AuditFilter, audit_records_matching, audit_rows, staff_usernames
from portal.audit.services import audit_export
from portal.models import AuditRecord
from portal.staff.access import Capability, require_capability, visible_customers
from portal.web.http import HtmxHttpRequest, csv_attachment
from portal.web.paging import pager, with_query

AUDIT_PAGE_SIZE = 50


@require_capability(Capability.VIEW)
def audit_log(request: HtmxHttpRequest) -> HttpResponse:
    """The audit log, filtered by a GET form, 50 records a page, newest first."""
    form = AuditFilterForm(request.GET or None, action_labels=ACTION_LABELS)
    filters = form.to_filter() if form.is_bound and form.is_valid() else AuditFilter()
    audit_url = reverse("audit:log")
    if form.is_bound and not form.errors and "" in request.GET.values():
        # The form sends its empty fields too; the address to bookmark holds only the filters.
        page_number = request.GET.get("page", "")
        return redirect(with_query(audit_url, **filters.as_params(), page=page_number))
    records = (
        audit_records_matching(filters=filters, customer_ids=visible_customers(request.user))
        if not form.errors
        else AuditRecord.objects.none()
    )
    page = Paginator(records, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "filtered": bool(filters.as_params()),
        "page": page,
        "rows": audit_rows(page.object_list, action_labels=ACTION_LABELS),
        "pager": pager(
            page, lambda number: with_query(audit_url, **filters.as_params(), page=number)
        ),
        "export_filters": filters.as_params(),
        "time_zone": timezone.get_default_timezone_name(),
        "staff_usernames": staff_usernames(),
    }
    template = "portal/audit_log.html#results" if request.htmx else "portal/audit_log.html"
    return render(request, template, context, status=400 if form.errors else 200)


@require_POST
@require_capability(Capability.EXPORT)
def audit_log_export(request: HttpRequest) -> HttpResponseBase:
    """Export CSV: every record the filters match, formula-safe, streamed; the export is audited.

    A POST from the page's button: an export writes an audit record under the staff member's
    name, so a link elsewhere must not be able to make one.
    """
    form = AuditFilterForm(request.POST, action_labels=ACTION_LABELS)
    if not form.is_valid():
        return redirect(with_query(reverse("audit:log"), **_posted_filters(request)))
    export = audit_export(
        actor=Actor.from_request(request),
        filters=form.to_filter(),
        action_labels=ACTION_LABELS,
        # Only customers whose role allows exporting: a Sales agent elsewhere exports none.
        customer_ids=visible_customers(request.user, Capability.EXPORT),
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return csv_attachment(export.chunks, f"audit-log-{stamp}.csv")


def _posted_filters(request: HttpRequest) -> dict[str, str]:
    return {
        key: str(value)
        for key, value in request.POST.items()
        if key != "csrfmiddlewaretoken" and value
    }
