"""One row of a bulk job: its user created (or adopted), its licenses assigned, its password reset.

Every row is claimed with a conditional UPDATE that also checks the job's lease, and its
request id and encrypted temporary password are committed before its create call. So when a
worker dies mid-job, the next one (after `bulk_jobs_recover`) knows exactly which rows were
never started, and re-sends each row that was mid-call with the same request id and password:
Partner Center answers the first attempt's result, or "already exists", in which case the user
is looked up and adopted when it is the one that was sent. No row is lost and none is created
twice. `worker.py` hands the rows out.
"""

from __future__ import annotations

import threading
import uuid

from customers.directory.text import ascii_lower
from customers.directory.writes import directory_user_licenses, directory_user_write
from portal.audit.records import Action
from portal.crypto import decrypt, encrypt
from portal.partnercenter import (
    AlreadyExists,
    CustomerUser,
    LicenseUpdate,
    PartnerCenterClient,
    PartnerCenterError,
    PasswordProfile,
)
from portal.passwords import generate_password
from users.bulk.jobs import UNKNOWN_STATUS, job_audit
from users.bulk.lease import Clock, bulk_row_claim
from users.bulk.models import BulkJob, BulkRow


class RowWork:
    """The calls one job makes for its rows, under `owner`'s lease; thread-safe."""

    def __init__(self, job: BulkJob, pc: PartnerCenterClient, owner: str, clock: Clock) -> None:
        self.job = job
        self.pc = pc
        self.owner = owner
        self.clock = clock
        self._lookup_lock = threading.Lock()
        self._known_users: dict[str, CustomerUser] = {}

    def process(self, row_id: int) -> None:
        """Do what the row needs: create its user and assign its licenses, or reset its
        password; each step's request id is committed before its call."""
        row = BulkRow.objects.get(pk=row_id)
        if row.state in (BulkRow.PENDING, BulkRow.WORKING):
            claimed = self._claim(row)
            if claimed is None:
                return
            if not claimed.user_id and not self._create(claimed):
                return
            if self.job.skus and claimed.license_state != BulkRow.LICENSE_ASSIGNED:
                self._assign_licenses(claimed)
            self._finish_row(claimed)
        elif row.reset_state == BulkRow.RESET_PENDING and row.user_id:
            self._reset_password(row)

    def _claim(self, row: BulkRow) -> BulkRow | None:
        """Claim the row; a row without its user yet gets a request id and a password to
        create it with."""
        changes: dict[str, object] = {}
        if self.job.skus and row.license_state in ("", BulkRow.LICENSE_PENDING):
            changes["license_state"] = BulkRow.LICENSE_PENDING
        return bulk_row_claim(
            row=row,
            owner=self.owner,
            now=self.clock(),
            send=not row.user_id,
            password=not row.user_id,
            changes=changes,
        )

    def _create(self, row: BulkRow) -> bool:
        """Create the row's user; True when it exists now (created or adopted)."""
        # A row sent before (attempts counts this one) may have been created by that attempt.
        resent = row.attempts > 1
        wanted = CustomerUser(
            display_name=row.display_name,
            user_principal_name=row.email,
            first_name=row.first_name or None,
            last_name=row.last_name or None,
            usage_location=self.job.usage_location,
            password_profile=PasswordProfile(decrypt(row.password_encrypted), True),
        )
        users = self.pc.customers.by_id(self.job.customer_id).users
        try:
            created = users.create(wanted, request_id=row.request_id)
        except AlreadyExists as error:
            if not (resent or error.outcome_unknown):
                self._fail(row, error, f"Not created: {row.email} is already taken.")
                return False
            found = self._look_up(row.email)
            if found is None or not _matches(found, row):
                self._fail(
                    row,
                    error,
                    f"Not created: {row.email} is already the username of another user.",
                )
                return False
            created, row.adopted = found, True
        except PartnerCenterError as error:
            if error.outcome_unknown:
                self._unknown(row, error)
            else:
                self._fail(row, error, f"Not created: {error}")
            return False
        row.user_id = created.id or ""
        BulkRow.objects.filter(pk=row.pk).update(user_id=row.user_id, adopted=row.adopted)
        # The users list shows it as soon as its row is done, with no Partner Center call.
        directory_user_write(tenant_id=self.job.customer_id, user=created)
        return True

    def _look_up(self, username: str) -> CustomerUser | None:
        """The active user with this username, read live (Partner Center has no user search:
        one listing per run, read again when a later conflict is not in it)."""
        key = ascii_lower(username)
        with self._lookup_lock:
            if key not in self._known_users:
                users = self.pc.customers.by_id(self.job.customer_id).users.iter_all()
                self._known_users = {
                    ascii_lower(user.user_principal_name or ""): user for user in users
                }
            return self._known_users.get(key)

    def _assign_licenses(self, row: BulkRow) -> None:
        # Same id when resuming a call that may have been made; a new one for a new attempt.
        request_id = row.license_request_id or str(uuid.uuid4())
        BulkRow.objects.filter(pk=row.pk).update(
            license_state=BulkRow.LICENSE_PENDING, license_request_id=request_id
        )
        row.license_request_id = request_id
        sku_ids = [str(sku["id"]) for sku in self.job.skus]
        operations = self.pc.customers.by_id(self.job.customer_id).users.by_id(row.user_id)
        try:
            operations.license_updates.create(LicenseUpdate.assign(*sku_ids), request_id=request_id)
        except PartnerCenterError as error:
            row.license_state = (
                BulkRow.LICENSE_UNKNOWN if error.outcome_unknown else BulkRow.LICENSE_FAILED
            )
            row.license_error = str(error)
            return
        row.license_state, row.license_error = BulkRow.LICENSE_ASSIGNED, ""
        directory_user_licenses(
            tenant_id=self.job.customer_id, user_id=row.user_id, sku_ids=sku_ids
        )

    def _finish_row(self, row: BulkRow) -> None:
        now = self.clock()
        row.state = BulkRow.CREATED
        row.status_update = _created_status(row, self.job)
        row.error = ""
        row.finished_at = now
        fields = ["state", "status_update", "error", "finished_at"]
        fields += ["license_state", "license_error", "license_request_id"]
        if row.password_encrypted and row.password_available_at is None:
            row.password_available_at = now
            fields.append("password_available_at")
        row.save(update_fields=fields)
        audit = job_audit(self.job).calling(self.pc).about(user_id=row.user_id, username=row.email)
        audit.record(
            Action.BULK_ROW,
            succeeded=True,
            changes=_row_changes(row, self.job),
            message=f"Row {row.number}: {row.status_update}",
            request_id=row.request_id,
        )

    def _fail(self, row: BulkRow, error: PartnerCenterError, status: str) -> None:
        """A definite error: nothing was created. The password was never set: erase it."""
        now = self.clock()
        BulkRow.objects.filter(pk=row.pk).update(
            state=BulkRow.FAILED,
            error=error.details(),
            status_update=status,
            password_encrypted="",
            password_erased_at=now,
            finished_at=now,
        )
        self._audit_failure(row, error, status)

    def _unknown(self, row: BulkRow, error: PartnerCenterError) -> None:
        """No answer: keep the request id and password, so a retry repeats the same request."""
        BulkRow.objects.filter(pk=row.pk).update(
            state=BulkRow.UNKNOWN,
            error=error.details(),
            status_update=UNKNOWN_STATUS,
            finished_at=self.clock(),
        )
        self._audit_failure(row, error, UNKNOWN_STATUS)

    def _audit_failure(self, row: BulkRow, error: PartnerCenterError, status: str) -> None:
        audit = job_audit(self.job).calling(self.pc).about(user_id="", username=row.email)
        audit.record(
            Action.BULK_ROW,
            succeeded=False,
            changes=_row_changes(row, self.job),
            message=f"Row {row.number}: {status}",
            error=error,
            request_id=row.request_id,
        )

    # --- Reset passwords for this upload ---------------------------------------------------------

    def _reset_password(self, row: BulkRow) -> None:
        """Give a created user a new temporary password (Reset passwords for this upload). As
        with a create, the request id and encrypted password are stored before the call."""
        changes: dict[str, object] = {"reset_state": BulkRow.RESET_PENDING}
        if not row.reset_request_id or not row.password_encrypted:
            changes |= {
                "reset_request_id": str(uuid.uuid4()),
                "password_encrypted": encrypt(generate_password()),
                "password_available_at": None,
                "password_downloaded_at": None,
                "password_erased_at": None,
            }
        claimed = BulkRow.objects.filter(
            pk=row.pk, reset_state=BulkRow.RESET_PENDING, job__lease_owner=self.owner
        ).update(**changes)
        if not claimed:
            return
        row.refresh_from_db()
        audit = job_audit(self.job).calling(self.pc).about(user_id=row.user_id, username=row.email)
        operations = self.pc.customers.by_id(self.job.customer_id).users.by_id(row.user_id)
        try:
            operations.reset_password(
                decrypt(row.password_encrypted), request_id=row.reset_request_id
            )
        except PartnerCenterError as error:
            now = self.clock()
            BulkRow.objects.filter(pk=row.pk).update(
                reset_state=BulkRow.RESET_FAILED,
                password_encrypted="",
                password_erased_at=now,
            )
            audit.record(Action.USER_RESET_PASSWORD, succeeded=False, error=error)
            return
        BulkRow.objects.filter(pk=row.pk).update(
            reset_state=BulkRow.RESET_DONE, password_available_at=self.clock()
        )
        audit.record(
            Action.USER_RESET_PASSWORD,
            succeeded=True,
            changes={"must_change_at_next_sign_in": True},
            request_id=row.reset_request_id,
            message="Reset passwords for a bulk upload.",
        )


def _matches(user: CustomerUser, row: BulkRow) -> bool:
    """Whether a user found by username is the one this row sent (then it is adopted)."""
    return (
        ascii_lower(user.user_principal_name or "") == ascii_lower(row.email)
        and (user.display_name or "") == row.display_name
        and (user.first_name or "") == row.first_name
        and (user.last_name or "") == row.last_name
    )


def _created_status(row: BulkRow, job: BulkJob) -> str:
    created = "Created (found after a lost answer)" if row.adopted else "Created"
    names = ", ".join(str(sku["name"]) for sku in job.skus)
    if not job.skus:
        return f"{created}."
    if row.license_state == BulkRow.LICENSE_ASSIGNED:
        return f"{created}, with {names}."
    if row.license_state == BulkRow.LICENSE_UNKNOWN:
        return (
            f"{created}, but it is not known whether {names} was assigned (no answer). Retry "
            "failed rows to find out."
        )
    return f"{created}, but {names} was not assigned: {row.license_error}"


def _row_changes(row: BulkRow, job: BulkJob) -> dict[str, object]:
    changes: dict[str, object] = {
        "row": row.number,
        "user_principal_name": ["", row.email],
        "display_name": ["", row.display_name],
        "usage_location": ["", job.usage_location],
    }
    if row.first_name:
        changes["first_name"] = ["", row.first_name]
    if row.last_name:
        changes["last_name"] = ["", row.last_name]
    if job.skus:
        changes["licences"] = [str(sku["name"]) for sku in job.skus]
        changes["licences_assigned"] = row.license_state == BulkRow.LICENSE_ASSIGNED
    if row.adopted:
        changes["adopted"] = True
    return changes
