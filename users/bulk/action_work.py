"""One row of an action on selected users (`users/selected.py`): manage its licenses, reset its
password, or delete it. The same guarantees as an upload's row (`row_work.py`): the row is
claimed under the job's lease, its request id (and a reset's encrypted password) committed
before the call, so a worker that dies mid-call leaves the next one enough to repeat the same
request; an answer that never came leaves the row Unknown for Retry failed rows.

Every row is audited as the action on that user (with the job's ticket, and the job's id so the
dashboard shows the job as one line), and written through to the directory.
"""

from __future__ import annotations

from customers.directory.writes import directory_user_deleted, directory_user_licenses
from portal.audit.records import SELECTED_JOB, Action
from portal.crypto import decrypt
from portal.partnercenter import (
    LicenseAssignment,
    LicenseUpdate,
    NotFound,
    PartnerCenterClient,
    PartnerCenterError,
)
from portal.partnercenter.operations import UserOperations
from users.assignments import held_skus
from users.bulk.jobs import job_audit
from users.bulk.lease import Clock, bulk_row_claim
from users.bulk.models import BulkJob, BulkRow
from users.selected import SelectedAction, protected_reason
from users.selectors import user_is_protected

_ACTIONS: dict[str, Action] = {
    BulkJob.LICENSES: Action.USER_LICENSES_CHANGE,
    BulkJob.RESET: Action.USER_RESET_PASSWORD,
    BulkJob.DELETE: Action.USER_DELETE,
    BulkJob.OFFBOARD: Action.USER_OFFBOARD,
}


UNKNOWN_OUTCOME = (
    "Not known whether this was done: Partner Center did not answer. Retry failed rows to find "
    "out (it repeats the same request, so nothing is done twice)."
)


class _LeftOut(Exception):
    """The row's user is a protected account its job's maker may not act on."""


class ActionWork:
    """The calls an action job makes for its rows, under `owner`'s lease; thread-safe."""

    def __init__(self, job: BulkJob, pc: PartnerCenterClient, owner: str, clock: Clock) -> None:
        self.job = job
        self.pc = pc
        self.owner = owner
        self.clock = clock
        self.action = SelectedAction(job.kind)

    def process(self, row_id: int) -> None:
        row = BulkRow.objects.get(pk=row_id)
        if row.state not in (BulkRow.PENDING, BulkRow.WORKING):
            return
        claimed = self._claim(row)
        if claimed is None:
            return
        audit = (
            job_audit(self.job)
            .calling(self.pc)
            .about(user_id=claimed.user_id, username=claimed.email)
        )
        action = _ACTIONS[self.job.kind]
        job = {SELECTED_JOB: str(self.job.public_id)}
        operations = self.pc.customers.by_id(self.job.customer_id).users.by_id(claimed.user_id)
        try:
            if self.job.skip_protected and user_is_protected(
                pc=self.pc, customer_id=self.job.customer_id, user_id=claimed.user_id
            ):
                raise _LeftOut
            status, changes = self._act(claimed, operations)
        except _LeftOut:
            reason = protected_reason(self.action, "")
            self._end(claimed, BulkRow.FAILED, f"Left out: {reason}")
            audit.record(action, succeeded=False, changes=job, message=reason)
            return
        except PartnerCenterError as error:
            unknown = error.outcome_unknown
            status = self._failed_status(claimed, error)
            self._end(claimed, BulkRow.UNKNOWN if unknown else BulkRow.FAILED, status, error)
            audit.record(action, succeeded=False, changes=job, error=error)
            return
        self._end(claimed, BulkRow.DONE, status)
        audit.record(
            action,
            succeeded=True,
            changes={**job, **changes},
            request_id=claimed.request_id,
            message=f"{self.action.label} of selected users: {status}",
        )

    def _failed_status(self, row: BulkRow, error: PartnerCenterError) -> str:
        """The Status update of a row whose call failed."""
        return UNKNOWN_OUTCOME if error.outcome_unknown else f"Not done: {error}"

    def _claim(self, row: BulkRow) -> BulkRow | None:
        """Claim the row with its request id (and a reset's password)."""
        return bulk_row_claim(
            row=row,
            owner=self.owner,
            now=self.clock(),
            send=True,
            password=self.action is SelectedAction.RESET,
        )

    def _act(self, row: BulkRow, operations: UserOperations) -> tuple[str, dict[str, object]]:
        """Make the row's call; returns its Status update and the audit record's changes."""
        if self.action is SelectedAction.RESET:
            operations.reset_password(decrypt(row.password_encrypted), request_id=row.request_id)
            return "Password reset; they choose their own at next sign-in.", {
                "must_change_at_next_sign_in": True
            }
        if self.action is SelectedAction.DELETE:
            try:
                operations.delete(request_id=row.request_id)
            except NotFound:
                if row.attempts <= 1:
                    raise
                # Sent before, with no answer: that attempt deleted it.
                status = "Deleted (by an earlier attempt whose answer was lost)."
            else:
                status = "Deleted. It can be restored for 30 days."
            directory_user_deleted(tenant_id=self.job.customer_id, user_id=row.user_id)
            return status, {}
        return self._licenses(row, operations)

    def _licenses(self, row: BulkRow, operations: UserOperations) -> tuple[str, dict[str, object]]:
        """Assign and remove the job's licenses, read live first: a license the user holds
        already is not assigned again, one it does not hold is not removed."""
        held = held_skus(operations)
        names = {
            str(sku["id"]): str(sku["name"]) for sku in [*self.job.skus, *self.job.remove_skus]
        }
        assign = [str(sku["id"]) for sku in self.job.skus if sku["id"] not in held]
        remove = [str(sku["id"]) for sku in self.job.remove_skus if sku["id"] in held]
        if not assign and not remove:
            status = "Nothing to change: it already had the licenses chosen, and none to remove."
            directory_user_licenses(
                tenant_id=self.job.customer_id, user_id=row.user_id, sku_ids=held
            )
            return status, {}
        update = LicenseUpdate(
            licenses_to_assign=[LicenseAssignment(sku_id) for sku_id in assign],
            licenses_to_remove=remove,
        )
        operations.license_updates.create(update, request_id=row.request_id)
        directory_user_licenses(
            tenant_id=self.job.customer_id,
            user_id=row.user_id,
            sku_ids=(set(held) | set(assign)) - set(remove),
        )
        parts = []
        if assign:
            parts.append("Assigned " + ", ".join(names[sku_id] for sku_id in assign))
        if remove:
            parts.append("removed " + ", ".join(names[sku_id] for sku_id in remove))
        status = "; ".join(parts) + "."
        changes: dict[str, object] = {
            "assigned": [names[sku_id] for sku_id in assign],
            "removed": [names[sku_id] for sku_id in remove],
        }
        return status[0].upper() + status[1:], changes

    def _end(
        self, row: BulkRow, state: str, status: str, error: PartnerCenterError | None = None
    ) -> None:
        now = self.clock()
        changes: dict[str, object] = {
            "state": state,
            "status_update": status,
            "error": error.details() if error else "",
            "finished_at": now,
        }
        if self.action is SelectedAction.RESET:
            if state == BulkRow.DONE:
                changes["password_available_at"] = now
            elif state == BulkRow.FAILED:
                # Never set: nothing to hand out. (Unknown keeps it: a retry sends it again.)
                changes |= {"password_encrypted": "", "password_erased_at": now}
        BulkRow.objects.filter(pk=row.pk).update(**changes)
