"""A bulk upload's temporary passwords: downloaded once, then erased; erased anyway after a day.

Each created row's password is kept encrypted (`portal.crypto`) from before its create call
until it is downloaded or expires (`PORTAL_BULK_PASSWORD_TTL_HOURS`). The download is a POST by
the staff member who uploaded, once the job has finished; it returns every password not
downloaded yet and erases them in the same transaction, so asking again gets nothing. Passwords
that arrive later (Retry failed rows) make a new download. When a download was lost, Reset
passwords for this upload gives every created user a new one, once per upload.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from portal.audit.records import Action, Actor
from portal.crypto import decrypt
from portal.csvsafe import csv_bytes
from users.bulk.job_selectors import password_ttl
from users.bulk.jobs import job_audit
from users.bulk.lease import bulk_job_enqueue
from users.bulk.models import BulkJob, BulkRow

PASSWORD_COLUMNS = ("Display name", "Username", "Temporary password", "Status update")
# Said wherever a step may show or make passwords (Save, the job page, Reset passwords).
PASSWORDS_WARNING: Final = (
    "The temporary passwords won't be available later: download them now. They are erased "
    "after 24 hours."
)


class PasswordsRefused(Exception):
    """No passwords for this request; `str(error)` says why, in words for the page."""


@dataclass(frozen=True)
class PasswordsFile:
    """The CSV to send once (`Cache-Control: no-store`), and how many passwords it holds."""

    file_name: str
    content: bytes = field(repr=False)
    count: int


def _waiting(job: BulkJob) -> Q:
    return Q(
        job=job,
        password_available_at__isnull=False,
        password_downloaded_at__isnull=True,
        password_encrypted__gt="",
    )


def bulk_passwords_waiting(*, job: BulkJob) -> int:
    """How many passwords of this job wait to be downloaded."""
    return BulkRow.objects.filter(_waiting(job)).count()


def bulk_passwords_download(
    *, job: BulkJob, staff: User, actor: Actor, now: datetime | None = None
) -> PasswordsFile:
    """Every password of the job not downloaded yet, as a CSV; they are erased as they go.

    Only the staff member who uploaded, only once the job has finished. Raises
    PasswordsRefused when there is nothing (left) to download, saying what to do instead.
    """
    now = now or timezone.now()
    if job.created_by_id is None or staff.pk != job.created_by_id:
        raise PasswordsRefused(
            "Only the staff member who uploaded these users can download their passwords."
            if job.is_upload
            else "Only the staff member who reset these passwords can download them."
        )
    with transaction.atomic():
        job = BulkJob.objects.select_for_update().get(pk=job.pk)
        if not job.is_done:
            raise PasswordsRefused("The passwords can be downloaded once the upload has finished.")
        rows = list(BulkRow.objects.filter(_waiting(job)).order_by("number"))
        if not rows:
            raise PasswordsRefused(_nothing_to_download(job))
        # Conditional: of two simultaneous downloads, only one gets each password.
        erased = BulkRow.objects.filter(
            pk__in=[row.pk for row in rows], password_downloaded_at__isnull=True
        ).update(password_encrypted="", password_downloaded_at=now, password_erased_at=now)
        if erased != len(rows):
            raise PasswordsRefused("These passwords were just downloaded by another request.")
        lines = [list(PASSWORD_COLUMNS)]
        lines += [
            [row.display_name, row.email, decrypt(row.password_encrypted), row.status_update]
            for row in rows
        ]
        job_audit(job, actor).record(
            Action.BULK_PASSWORDS_DOWNLOAD,
            succeeded=True,
            changes={"users": len(rows), "rows": [row.number for row in rows]},
            message=f"Downloaded {len(rows)} temporary password{'' if len(rows) == 1 else 's'}.",
        )
    return PasswordsFile(f"{job.file_stem}-passwords.csv", csv_bytes(lines), len(rows))


def _nothing_to_download(job: BulkJob) -> str:
    rows = BulkRow.objects.filter(job=job, state__in=BulkRow.SUCCEEDED_STATES)
    if rows.filter(password_downloaded_at__isnull=False).exists():
        return (
            "These passwords were already downloaded: they are given once. If the download was "
            "lost, use Reset passwords for this upload."
        )
    if rows.filter(password_erased_at__isnull=False).exists():
        return (
            "These passwords were erased because they were not downloaded in time. Use Reset "
            "passwords for this upload."
        )
    return "This upload created no users, so there are no passwords."


def bulk_passwords_erase_expired(*, now: datetime | None = None) -> int:
    """Erase passwords kept longer than the TTL (maintenance calls this); returns how many.

    Counted from when the password became downloadable, or, for a row that never finished
    (unknown outcome), from when it was started.
    """
    cutoff = (now or timezone.now()) - password_ttl()
    expired = BulkRow.objects.filter(password_encrypted__gt="").filter(
        Q(password_available_at__lt=cutoff)
        | Q(password_available_at__isnull=True, started_at__lt=cutoff)
    )
    return expired.exclude(state=BulkRow.WORKING).update(
        password_encrypted="", password_erased_at=now or timezone.now()
    )


def bulk_passwords_reset(
    *, job: BulkJob, staff: User, actor: Actor, now: datetime | None = None
) -> int:
    """Reset passwords for this upload: each created user gets a new temporary password, set
    by the worker, ready for a new download when it is done. Once per upload, by the uploader,
    when no password waits to be downloaded. Returns how many users."""
    now = now or timezone.now()
    if job.created_by_id is None or staff.pk != job.created_by_id:
        raise PasswordsRefused(
            "Only the staff member who uploaded these users can reset their passwords."
        )
    if not job.is_upload:
        raise PasswordsRefused("Reset a user's password again on their page.")
    with transaction.atomic():
        job = BulkJob.objects.select_for_update().get(pk=job.pk)
        if not job.is_done:
            raise PasswordsRefused("Wait for the upload to finish.")
        if job.passwords_reset_at is not None:
            raise PasswordsRefused(
                "The passwords of this upload were already reset once. Reset a user's "
                "password on their page."
            )
        if BulkRow.objects.filter(_waiting(job)).exists():
            raise PasswordsRefused("Download the passwords that are waiting first.")
        count = BulkRow.objects.filter(job=job, state=BulkRow.CREATED).update(
            reset_state=BulkRow.RESET_PENDING, reset_request_id=""
        )
        if not count:
            raise PasswordsRefused("This upload created no users.")
        BulkJob.objects.filter(pk=job.pk).update(
            passwords_reset_at=now, state=BulkJob.QUEUED, finished_at=None
        )
        job.refresh_from_db()
        job_audit(job, actor).record(
            Action.BULK_UPLOAD,
            succeeded=True,
            changes={"users_reset": count},
            message=f"Reset passwords for this upload ({count} users).",
        )
        bulk_job_enqueue(job, now=now)
    return count
