"""A saved bulk upload or an action on selected users: the job its worker runs, and one row
per user it creates or acts on.

Imported by `users/models.py` so Django finds the models under the `users` app. Logic lives in
`jobs.py` (create, cancel, retry), `lease.py` (which worker holds a job), `job_selectors.py`
(what the screens read), `worker.py` (the task body) and `passwords.py` (download, erase,
reset); these classes only describe the data.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class BulkJob(models.Model):
    """A validated upload a staff member saved (who, when, which customer, the ticket, the
    Location and licenses for all its users), or an action on users selected in the list
    (`kind`: manage licenses, reset passwords, delete); and the worker's lease.

    Counts are derived from the rows when a job is read (`job_selectors.with_counts`), so
    they are never out of step.
    """

    SCHEDULED = "scheduled"  # waits for `run_at`
    HELD = "held"  # found more than PORTAL_SCHEDULE_GRACE late: waits for a person
    QUEUED = "queued"
    RUNNING = "running"
    CANCEL_REQUESTED = "cancel_requested"
    CANCELLED = "cancelled"
    FINISHED = "finished"
    STATES = [
        (SCHEDULED, "Scheduled"),
        (HELD, "Held: missed its time"),
        (QUEUED, "Queued"),
        (RUNNING, "Running"),
        (CANCEL_REQUESTED, "Cancelling"),
        (CANCELLED, "Cancelled"),
        (FINISHED, "Finished"),
    ]
    ACTIVE_STATES = (QUEUED, RUNNING, CANCEL_REQUESTED)
    DONE_STATES = (CANCELLED, FINISHED)
    WAITING_STATES = (SCHEDULED, HELD)  # not started: no task, no lease, nothing sent

    UPLOAD = "upload"  # create the users of a CSV file
    LICENSES = "licenses"  # assign and remove licenses of selected users
    RESET = "reset"  # new temporary passwords for selected users
    DELETE = "delete"  # delete selected users
    OFFBOARD = "offboard"  # a leaver: licenses, admin roles, password, then delete
    KINDS = [
        (UPLOAD, "Upload users"),
        (LICENSES, "Manage licenses"),
        (RESET, "Reset passwords"),
        (DELETE, "Delete users"),
        (OFFBOARD, "Offboard"),
    ]

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=10, choices=KINDS, default=UPLOAD)
    # The draft it was saved from (an upload), or the one-time id of the form that made it (an
    # action): a second Save of the same draft or form finds this job.
    draft_public_id = models.UUIDField(unique=True, null=True, editable=False)
    customer_id = models.CharField(max_length=64, db_index=True)
    customer_name = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="bulk_jobs",
    )
    created_by_username = models.CharField(max_length=150)
    ticket = models.CharField(max_length=100, blank=True)
    file_name = models.CharField(max_length=255)
    usage_location = models.CharField(max_length=2)
    # [{"id": sku id, "name": product name}] assigned to every user; empty for none.
    skus = models.JSONField(default=list, blank=True)
    # Manage licenses: the same, removed from every user.
    remove_skus = models.JSONField(default=list, blank=True)
    # Made by someone who may not act on protected accounts (a Helpdesk agent's reset): each
    # row reads its user's admin roles live first and leaves a protected account alone.
    skip_protected = models.BooleanField(default=False)

    state = models.CharField(max_length=20, choices=STATES, default=QUEUED)
    # A scheduled change: when to run (UTC) and the time zone it was chosen in, to show it so;
    # why it was held or cancelled without running.
    run_at = models.DateTimeField(null=True, blank=True)
    run_time_zone = models.CharField(max_length=64, blank=True)
    schedule_note = models.TextField(blank=True)
    # The worker that holds the job, until `lease_expires_at`; it renews the lease while it
    # works. An expired lease means the worker died: maintenance clears it and re-enqueues.
    lease_owner = models.CharField(max_length=64, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    task_id = models.CharField(max_length=64, blank=True)  # the last enqueued task's result id
    enqueued_at = models.DateTimeField(null=True, blank=True)
    recoveries = models.PositiveIntegerField(default=0)

    created_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    cancel_requested_at = models.DateTimeField(null=True, blank=True)
    passwords_reset_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["state", "lease_expires_at"], name="bulk_job_state_lease"),
            models.Index(fields=["state", "run_at"], name="bulk_job_state_run_at"),
        ]
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.file_name} for {self.customer_name or self.customer_id} ({self.state})"

    @property
    def is_done(self) -> bool:
        return self.state in self.DONE_STATES

    @property
    def is_waiting(self) -> bool:
        """Scheduled for later, or held after missing its time: nothing has run."""
        return self.state in self.WAITING_STATES

    @property
    def is_upload(self) -> bool:
        return self.kind == self.UPLOAD

    @property
    def file_stem(self) -> str:
        """The start of its downloads' file names: the uploaded file's, or the action's."""
        if self.is_upload:
            return self.file_name.rsplit(".", 1)[0] or "upload"
        return f"{self.kind}-{self.created_at:%Y%m%d-%H%M}"


class BulkRow(models.Model):
    """One user of a job. Its request id and encrypted temporary password are written before
    its call, so a worker that dies mid-call leaves enough to finish it without a duplicate:
    the same request id again, or a lookup of the username. An action's row knows its user
    (`user_id`) from the start and ends DONE instead of CREATED."""

    PENDING = "pending"  # not started
    WORKING = "working"  # request id and password stored; the call may be in flight
    CREATED = "created"
    FAILED = "failed"  # a definite error: nothing was created
    UNKNOWN = "unknown"  # no answer after the retries: may or may not have been created
    CANCELLED = "cancelled"  # the job was cancelled before this row started
    DONE = "done"  # an action on a selected user was carried out
    STATES = [
        (PENDING, "Pending"),
        (WORKING, "Working"),
        (CREATED, "Created"),
        (FAILED, "Failed"),
        (UNKNOWN, "Unknown"),
        (CANCELLED, "Cancelled"),
        (DONE, "Done"),
    ]
    FINAL_STATES = (CREATED, FAILED, UNKNOWN, CANCELLED, DONE)
    SUCCEEDED_STATES = (CREATED, DONE)

    # Licence assignment after the create ("" when the job assigns none).
    LICENSE_PENDING = "pending"
    LICENSE_ASSIGNED = "assigned"
    LICENSE_FAILED = "failed"
    LICENSE_UNKNOWN = "unknown"

    # A password reset for the whole upload ("" when none was asked for).
    RESET_PENDING = "pending"
    RESET_DONE = "done"
    RESET_FAILED = "failed"

    job = models.ForeignKey(BulkJob, on_delete=models.CASCADE, related_name="rows")
    number = models.PositiveIntegerField()  # the row number in the uploaded file
    first_name = models.CharField(max_length=64, blank=True)
    last_name = models.CharField(max_length=64, blank=True)
    display_name = models.CharField(max_length=64)
    email = models.CharField(max_length=254)  # the username (userPrincipalName)

    state = models.CharField(max_length=12, choices=STATES, default=PENDING)
    request_id = models.CharField(max_length=64, blank=True)  # the create's MS-RequestId
    user_id = models.CharField(max_length=64, blank=True)
    adopted = models.BooleanField(default=False)  # found by lookup after an unknown outcome
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)

    license_state = models.CharField(max_length=12, blank=True)
    license_request_id = models.CharField(max_length=64, blank=True)
    license_error = models.TextField(blank=True)

    reset_state = models.CharField(max_length=12, blank=True)
    reset_request_id = models.CharField(max_length=64, blank=True)

    # Fernet ciphertext (portal.crypto), never the password; blank once erased.
    password_encrypted = models.TextField(blank=True)
    password_available_at = models.DateTimeField(null=True, blank=True)
    password_downloaded_at = models.DateTimeField(null=True, blank=True)
    password_erased_at = models.DateTimeField(null=True, blank=True)

    status_update = models.TextField(blank=True)
    # An offboarding's steps done so far and what each removed ({"licenses": [{"id", "name"}],
    # "roles": [...], "reset": true}), so a retry carries on and a restore can give them back.
    progress = models.JSONField(default=dict, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["job", "number"], name="bulk_row_unique_number")
        ]
        indexes = [models.Index(fields=["job", "state"], name="bulk_row_job_state")]
        ordering = ["job", "number"]

    def __str__(self) -> str:
        return f"Row {self.number}: {self.email} ({self.state})"

    @property
    def succeeded(self) -> bool:
        """Created (an upload's row) or done (an action's)."""
        return self.state in self.SUCCEEDED_STATES
