"""Upload users, after Validate: Save, the job page, its passwords.

- Save (`users:bulk_save`): Location and licenses for all the draft's users and a ticket; a valid
  POST turns the draft into a job (`bulk_job_create`) and goes to the job page.
- The job page (`users:bulk_job`): while the job runs, a progress bar that htmx polls every 2s
  (286 stops it and swaps in the results); a plain request refreshes itself with a `Refresh`
  header instead. Once done: every row's Status update, Retry failed rows, the results CSV and
  the temporary passwords (a POST, for the staff member who uploaded, once).

The job page needs nothing from Partner Center: the job carries its customer's name, so a page
polled every 2s costs one small query and keeps working while Partner Center is down.

Admin agents only (`Capability.BULK_UPLOAD`); the passwords only for whoever uploaded.
"""

from __future__ import annotations

from typing import Any, Final
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.models import User
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseStopPolling

from customers.directory.customer_queries import skus_of
from customers.pages import customer_or_404, shows_problems
from customers.services import CustomerRow
from portal.audit.records import Actor
from portal.staff.access import (
    Capability,
    check_capability,
    has_capability,
    require_capability,
)
from portal.tickets import ticket_from_link
from portal.web.clients import partner_center_for
from portal.web.http import HtmxHttpRequest, csv_attachment
from users.bulk.job_forms import BulkSaveForm, license_choices
from users.bulk.job_selectors import (
    bulk_job_for_draft,
    bulk_job_get,
    bulk_job_passwords_history,
    bulk_job_rows,
    bulk_job_summary,
)
from users.bulk.jobs import (
    JOB_CAPABILITY,
    BulkJobRefused,
    bulk_job_cancel,
    bulk_job_create,
    bulk_job_results_export,
    bulk_job_retry_failed,
    bulk_license_options,
)
from users.bulk.models import BulkJob
from users.bulk.passwords import (
    PASSWORDS_WARNING,
    PasswordsRefused,
    bulk_passwords_download,
    bulk_passwords_reset,
)
from users.bulk.schedule import scheduled_job_cancel, scheduled_job_run_now
from users.bulk.services import bulk_draft_get
from users.bulk.when import due_text
from users.forms import WhenForm
from users.models import BulkDraft

# Seconds between two looks at a running job, with htmx and without (the Refresh header).
POLL_SECONDS: Final = 2
DRAFT_GONE: Final = (
    "This upload is no longer kept (a validated file is kept for a day, for whoever uploaded "
    "it). Upload the file again."
)
# --- Save ---------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@require_capability(Capability.BULK_UPLOAD)
@shows_problems("users/bulk/jobs/save.html")
def bulk_save(request: HtmxHttpRequest, customer_id: UUID) -> HttpResponse:
    """Save: a draft's Location, licenses and ticket; a valid POST makes the job.

    A draft already saved (a reload, the back button, a double click) goes to its job.
    """
    draft_id = (request.POST if request.method == "POST" else request.GET).get("draft", "")
    saved = bulk_job_for_draft(draft_public_id=draft_id)
    if saved is not None and saved.customer_id == str(customer_id):
        return redirect(_job_url(saved))
    customer = customer_or_404(pc=partner_center_for(request), customer_id=customer_id)
    draft = bulk_draft_get(public_id=draft_id, customer_id=customer.id, created_by=_staff(request))
    if draft is None:
        return _save_page(request, customer, None, None, None, notice=DRAFT_GONE, status=404)
    options = bulk_license_options(skus=skus_of(customer.mirror), users=len(draft.rows))
    if request.method == "GET":
        initial = {"draft": draft.public_id, "ticket": ticket_from_link(request)}
        form = BulkSaveForm(initial=initial, license_options=options)
        return _save_page(request, customer, draft, form, WhenForm(), options=options)
    form = BulkSaveForm(request.POST, license_options=options)
    when = WhenForm(request.POST, locations=[request.POST.get("usage_location", "")])
    if form.is_valid() and when.is_valid():
        try:
            job = bulk_job_create(
                draft=draft,
                customer=customer.mirror,
                usage_location=form.cleaned_data["usage_location"],
                sku_ids=form.cleaned_data["skus"],
                ticket=form.cleaned_data["ticket"],
                actor=Actor.from_request(request),
                schedule=when.cleaned_data["schedule"],
            )
        except BulkJobRefused as refused:
            form.add_error(None, str(refused))
        else:
            return redirect(_job_url(job))
    return _save_page(request, customer, draft, form, when, options=options)


def _save_page(
    request: HtmxHttpRequest,
    customer: CustomerRow,
    draft: BulkDraft | None,
    form: BulkSaveForm | None,
    when: WhenForm | None,
    *,
    options: list[Any] | None = None,
    notice: str = "",
    status: int = 200,
) -> HttpResponse:
    context = {
        "customer": customer,
        "company_name": customer.company_name,
        "draft": draft,
        "form": form,
        "when_form": when,
        "license_options": license_choices(form, options or []),
        "notice": notice,
        "passwords_warning": PASSWORDS_WARNING,
    }
    return render(request, "users/bulk/jobs/save.html", context, status=status)


# --- The job page ---------------------------------------------------------------------------------


@require_GET
@require_capability(Capability.VIEW)
def bulk_job(request: HtmxHttpRequest, customer_id: UUID, job_id: UUID) -> HttpResponse:
    """The job: progress while it runs (polled), then every row's Status update and what to do.

    htmx polls `#bulk-job-status` every 2s and gets that part only: 200 while the job runs,
    286 once it is done (htmx swaps the results in and stops). A plain request gets the page,
    with `Refresh: 2` while the job runs.
    """
    job = _job_or_404(request, customer_id, job_id)
    context = _job_context(request, job)
    template = "users/bulk/jobs/job.html" if job.is_upload else "users/bulk/jobs/action_job.html"
    if request.htmx and request.htmx.target == "bulk-job-status":
        response = render(request, f"{template}#status", context)
        if not context["active"]:
            response.status_code = HttpResponseStopPolling.status_code
        return response
    response = render(request, template, context)
    if context["active"]:
        response["Refresh"] = str(POLL_SECONDS)
    return response


@require_POST
@require_capability(Capability.VIEW)
def bulk_job_cancel_view(request: HtmxHttpRequest, customer_id: UUID, job_id: UUID) -> HttpResponse:
    """Cancel: a scheduled change that has not started sends nothing; otherwise users not yet
    started are not created (or acted on), and those already started finish."""
    job = _job_or_404(request, customer_id, job_id)
    if scheduled_job_cancel(job=job, actor=Actor.from_request(request)):
        messages.info(request, "Cancelled before it ran: nothing was sent to Partner Center.")
        return redirect(_job_url(job))
    try:
        job = bulk_job_cancel(job=job, actor=Actor.from_request(request))
    except BulkJobRefused as refused:
        messages.warning(request, str(refused))
    else:
        messages.info(
            request,
            "Cancelled: users not yet started will not be created. Users already being created "
            "finish first."
            if job.is_upload
            else "Cancelled: users not yet started are left as they are.",
        )
    return redirect(_job_url(job))


@require_POST
@require_capability(Capability.VIEW)
def bulk_job_run_now(request: HtmxHttpRequest, customer_id: UUID, job_id: UUID) -> HttpResponse:
    """Run now: a scheduled change before its time, or one held after missing it."""
    job = _job_or_404(request, customer_id, job_id)
    if scheduled_job_run_now(job=job, actor=Actor.from_request(request)):
        messages.info(request, "Started: it runs in the background now.")
    elif job.state == BulkJob.CANCELLED:
        messages.warning(request, job.schedule_note or "This change was cancelled.")
    else:
        messages.warning(request, "This change has already started.")
    return redirect(_job_url(job))


@require_POST
@require_capability(Capability.VIEW)
def bulk_job_retry(request: HtmxHttpRequest, customer_id: UUID, job_id: UUID) -> HttpResponse:
    """Retry failed rows (and licenses that failed after a create), in the background."""
    job = _job_or_404(request, customer_id, job_id)
    try:
        count = bulk_job_retry_failed(job=job, actor=Actor.from_request(request))
    except BulkJobRefused as refused:
        messages.warning(request, str(refused))
    else:
        messages.info(request, f"Retrying {count} row{'' if count == 1 else 's'}.")
    return redirect(_job_url(job))


@require_POST
@require_capability(Capability.VIEW)
def bulk_job_results(request: HtmxHttpRequest, customer_id: UUID, job_id: UUID) -> HttpResponseBase:
    """Download the results: the upload's rows with each one's Status update (no password).

    A POST: the download is audited under the staff member's name."""
    job = _job_or_404(request, customer_id, job_id)
    content = bulk_job_results_export(job=job, actor=Actor.from_request(request))
    return csv_attachment(content, f"{job.file_stem}-results.csv")


@require_POST
@require_capability(Capability.VIEW)
def bulk_job_passwords(
    request: HtmxHttpRequest, customer_id: UUID, job_id: UUID
) -> HttpResponseBase:
    """Download temporary passwords: once, by the uploader; they are erased as they are sent.

    A POST, so no link prefetcher or crawler can use the one download up. A refusal (a second
    download, another staff member, a job still running) goes back to the job page and says why.
    """
    job = _job_or_404(request, customer_id, job_id)
    try:
        file = bulk_passwords_download(
            job=job, staff=_staff(request), actor=Actor.from_request(request)
        )
    except PasswordsRefused as refused:
        messages.error(request, str(refused))
        return redirect(_job_url(job))
    return csv_attachment(file.content, file.file_name)


@require_http_methods(["GET", "POST"])
@require_capability(Capability.VIEW)
def bulk_job_passwords_reset(
    request: HtmxHttpRequest, customer_id: UUID, job_id: UUID
) -> HttpResponse:
    """Reset passwords for this upload: GET asks for confirmation, POST does it (once)."""
    job = _job_or_404(request, customer_id, job_id)
    if request.method == "GET":
        context = {**_job_context(request, job), "passwords_warning": PASSWORDS_WARNING}
        return render(request, "users/bulk/jobs/reset_confirm.html", context)
    try:
        count = bulk_passwords_reset(
            job=job, staff=_staff(request), actor=Actor.from_request(request)
        )
    except PasswordsRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(
            request,
            f"New temporary passwords are being set for {count} user{'' if count == 1 else 's'}. "
            "Download them here once that has finished.",
        )
    return redirect(_job_url(job))


# --- Helpers ------------------------------------------------------------------------------------


def _job_or_404(request: HtmxHttpRequest, customer_id: UUID, job_id: UUID) -> BulkJob:
    """The job of this customer, or 404; 403 unless the staff member's role may do what the
    job does (an upload: Admin agents; a reset of selected users: Helpdesk agents too). Whoever
    may, may see every such job; only the passwords are its maker's
    (`bulk_passwords_download` checks that)."""
    if not any(has_capability(request.user, able) for able in JOB_CAPABILITY.values()):
        check_capability(request.user, Capability.BULK_UPLOAD)  # refused before the lookup
    job = bulk_job_get(public_id=job_id, customer_id=str(customer_id))
    if job is None:
        raise Http404("No such job for this customer.")
    check_capability(request.user, JOB_CAPABILITY[job.kind])
    return job


def _job_context(request: HtmxHttpRequest, job: BulkJob) -> dict[str, Any]:
    summary = bulk_job_summary(job=job)
    active = not job.is_done and not job.is_waiting  # a waiting job is not polled
    is_uploader = job.created_by_id is not None and job.created_by_id == request.user.pk
    context: dict[str, Any] = {
        "job": job,
        "summary": summary,
        "counts": summary.counts,
        "active": active,
        "job_url": _job_url(job),
        "due": due_text(job),
        "customer_id": job.customer_id,
        "company_name": job.customer_name or "Customer",
        "is_uploader": is_uploader,
        "poll_seconds": POLL_SECONDS,
        "passwords_warning": PASSWORDS_WARNING,
    }
    if not active:
        context["rows"] = bulk_job_rows(job=job)
        context.update(bulk_job_passwords_history(job=job))
    return context


def _job_url(job: BulkJob) -> str:
    return reverse("users:bulk_job", args=[job.customer_id, job.public_id])


def _staff(request: HtmxHttpRequest) -> User:
    # `require_capability` has let only a signed-in staff member with a role through.
    assert isinstance(request.user, User)
    return request.user
