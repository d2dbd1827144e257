"""Upload users: the CSV template, Validate, the file back annotated, the Location step.

Nothing here writes to Partner Center. A file that validates becomes a draft and the page offers
its next step: Location, licenses and ticket (the bulk jobs step's fields,
`users/bulk/jobs/save_fields.html`), posted to `users:bulk_save` (`users/bulk/job_views.py`),
which turns the draft into a job.

Admin agents only (`Capability.BULK_UPLOAD`); others get the 403 page.
"""

from __future__ import annotations

from typing import Any, Final
from uuid import UUID

from django.contrib.auth.models import User
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from customers.directory.customer_queries import domains_of, skus_of
from customers.directory.models import DirectoryCustomer
from customers.pages import customer_or_404, customer_problem_page, sync_problem
from customers.services import CustomerRow, customer_users_open
from portal.audit.records import Actor, AuditContext
from portal.partnercenter import PartnerCenterError
from portal.staff.access import Capability, require_capability
from portal.tickets import ticket_from_link
from portal.web.clients import partner_center_for
from portal.web.http import HtmxHttpRequest, csv_attachment
from users.bulk.forms import BulkUploadForm
from users.bulk.job_forms import BulkSaveForm, license_choices
from users.bulk.jobs import bulk_license_options
from users.bulk.passwords import PASSWORDS_WARNING
from users.bulk.reading import COLUMNS, too_big
from users.bulk.results import results_table
from users.bulk.services import (
    bulk_annotated_export,
    bulk_draft_create,
    bulk_template_csv,
    bulk_upload_refused,
    bulk_upload_validate,
)
from users.bulk.uploads import (
    BoundedUploadHandler,
    bulk_upload_keep,
    bulk_upload_kept,
    request_size,
    upload_bytes,
)
from users.forms import WhenForm

# A request announcing more than this is answered without reading its body. Below it, a request
# over 2 MB is read to its end (so the browser gets the answer) but nothing of it is kept.
MAX_UNREAD_BYTES: Final = 20 * 1024 * 1024

TEMPLATE_FILE_NAME: Final = "upload-users-template.csv"
STILL_READING: Final = (
    "The customer's users are being read from Partner Center for the first time, and validation "
    "needs them to check every email. Choose the file and select Validate again in a moment."
)
NOT_KEPT: Final = (
    "That file is no longer kept: the portal keeps a checked file for an hour, for whoever "
    "uploaded it. Choose the file and select Validate again to get it back with its errors."
)


@csrf_exempt  # checked by `_bulk_upload`, once the upload handler is in place (Django's docs)
@require_http_methods(["GET", "POST"])
@require_capability(Capability.BULK_UPLOAD)
def bulk_upload(request: HtmxHttpRequest, customer_id: UUID) -> HttpResponse:
    """Upload users: the instructions and the file input; POST validates the chosen file."""
    if request.method == "POST":
        size = request_size(request)
        if size > MAX_UNREAD_BYTES:
            # Refused without reading its body: nothing of it is held and no worker is kept
            # reading. Nothing changes, so this needs no CSRF check.
            return _upload_page(request, customer_id, refused_size=size, status=413)
        # Replaces Django's handlers, which keep a whole upload in memory or a temporary file:
        # this one keeps at most 1 MB + 1 byte of one file, and stops keeping anything once the
        # request's files pass 2 MB. It must be set before anything reads request.POST, which
        # the CSRF check does.
        request.upload_handlers = [BoundedUploadHandler(request)]
    return _bulk_upload(request, customer_id)


@csrf_protect
def _bulk_upload(request: HtmxHttpRequest, customer_id: UUID) -> HttpResponse:
    return _upload_page(request, customer_id)


def _upload_page(
    request: HtmxHttpRequest, customer_id: UUID, *, refused_size: int = 0, status: int = 200
) -> HttpResponse:
    pc = partner_center_for(request)
    try:
        customer = customer_or_404(pc=pc, customer_id=customer_id)
    except PartnerCenterError as error:
        return _problem_page(request, customer_id, error)
    mirror = customer_users_open(customer.mirror)
    if not mirror.mirrored and mirror.sync_state == DirectoryCustomer.SYNC_FAILED:
        problem = sync_problem(request, mirror)
        failed = {**_page_context(customer), "problem": problem}
        return _render(request, failed, status=problem.status)
    context = _page_context(customer)
    posted = request.method == "POST" and not refused_size  # a refused body is never read
    form = BulkUploadForm(request.POST, request.FILES) if posted else None
    handler = request.upload_handlers[0]  # done by now (request.POST above)
    if isinstance(handler, BoundedUploadHandler) and handler.request_too_big:
        refused_size = request_size(request) or handler.total
    if refused_size:
        context["validation"] = bulk_upload_refused(
            customer_id=customer.id,
            file_name=(handler.file_name or "")
            if isinstance(handler, BoundedUploadHandler)
            else "",
            message=too_big(refused_size),
        )
    elif form is not None:
        context["form"] = form
        if not mirror.mirrored:
            context["notice"] = STILL_READING
        elif form.is_valid():
            context.update(_validated(request, customer, mirror, form.cleaned_data["file"]))
    return _render(request, context, status=status)


def _validated(
    request: HtmxHttpRequest, customer: CustomerRow, mirror: DirectoryCustomer, upload: Any
) -> dict[str, Any]:
    """Validate the upload; a valid file becomes a draft, a faulty one is kept for its download."""
    validation = bulk_upload_validate(
        customer=mirror, file_name=upload.name or "", data=upload_bytes(upload), size=upload.size
    )
    context: dict[str, Any] = {"validation": validation, "table": results_table(validation)}
    staff = _staff(request)
    if validation.ok:
        draft = bulk_draft_create(validation=validation, created_by=staff)
        options = bulk_license_options(skus=skus_of(mirror), users=len(draft.rows))
        save_form = BulkSaveForm(
            initial={"draft": draft.public_id, "ticket": ticket_from_link(request)},
            license_options=options,
        )
        context.update(
            draft=draft,
            save_form=save_form,
            license_options=license_choices(save_form, options),
            passwords_warning=PASSWORDS_WARNING,
            when_form=WhenForm(),
        )
    if validation.readable and (not validation.ok or validation.summary.warnings):
        token = bulk_upload_keep(
            staff=staff,
            customer_id=customer.id,
            file_name=validation.file_name,
            data=upload_bytes(upload),
        )
        context["annotated_url"] = reverse("users:bulk_annotated", args=[customer.id, token])
    return context


@require_GET
@require_capability(Capability.BULK_UPLOAD)
def bulk_template(request: HtmxHttpRequest, customer_id: UUID) -> HttpResponseBase:
    """The CSV template: the five columns, UTF-8 with a byte-order mark, as an attachment."""
    return csv_attachment(bulk_template_csv(), TEMPLATE_FILE_NAME)


@require_POST
@require_capability(Capability.BULK_UPLOAD)
def bulk_annotated(request: HtmxHttpRequest, customer_id: UUID, token: str) -> HttpResponseBase:
    """The checked file back, each row's errors and warnings in its Status update.

    The upload's bytes were kept for an hour at Validate (`users/bulk/uploads.py` says why) and
    are validated again here, against the customer as it is now.
    """
    pc = partner_center_for(request)
    try:
        customer = customer_or_404(pc=pc, customer_id=customer_id)
    except PartnerCenterError as error:
        return _problem_page(request, customer_id, error)
    kept = bulk_upload_kept(token=token, staff=_staff(request), customer_id=customer.id)
    if kept is None:
        context = _page_context(customer)
        context["notice"] = NOT_KEPT
        return _render(request, context, status=404)
    validation = bulk_upload_validate(
        customer=customer.mirror, file_name=kept.file_name, data=kept.data
    )
    stem = validation.file_name.rsplit(".", 1)[0] or "users"
    audit = AuditContext(Actor.from_request(request), customer.id, customer.company_name)
    content = bulk_annotated_export(validation=validation, audit=audit)
    return csv_attachment(content, f"{stem}-checked.csv")


# --- Rendering ----------------------------------------------------------------------------------


def _page_context(customer: CustomerRow) -> dict[str, Any]:
    mirror = customer.mirror
    return {
        "customer": customer,
        "company_name": customer.company_name,
        "domains": domains_of(mirror) if mirror.mirrored else (),
        "loading": not mirror.mirrored,
        "retry_url": reverse("users:bulk_upload", args=[customer.id]),
        "form": BulkUploadForm(),
        "columns": ", ".join(COLUMNS),
    }


def _render(
    request: HtmxHttpRequest, context: dict[str, Any], *, status: int = 200
) -> HttpResponse:
    # htmx swaps the upload section only (the form and what it found), so it gets 200 too:
    # htmx does not swap an error answer.
    if request.htmx:
        return render(request, "users/bulk/upload.html#upload", context)
    return render(request, "users/bulk/upload.html", context, status=status)


def _problem_page(
    request: HtmxHttpRequest, customer_id: UUID, error: PartnerCenterError
) -> HttpResponse:
    """The upload page (htmx: its upload section) saying what failed; Try again opens the
    upload page (this request may have been a POST)."""
    template = "users/bulk/upload.html#upload" if request.htmx else "users/bulk/upload.html"
    retry_url = reverse("users:bulk_upload", args=[customer_id])
    return customer_problem_page(request, template, customer_id, error, retry_url=retry_url)


def _staff(request: HtmxHttpRequest) -> User:
    # `require_capability` has let only a signed-in staff member with a role through.
    assert isinstance(request.user, User)
    return request.user
