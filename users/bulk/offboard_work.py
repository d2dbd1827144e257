"""One row of an offboarding: a leaver in one action. In order, each read live first: remove
every license, take away every admin role, reset the password (to one nobody is shown or kept),
then delete. Each step done is committed to the row's `progress` with what it removed, before
the next starts; the first failure stops the row, its Status update saying what was done and
what is left, and Retry failed rows carries on from there (a step done is not done again, and a
step repeated after a lost answer sends the same request id).

What it removed stays in the row, so restoring a mistaken leaver can give it back
(`users.restores`).
"""

from __future__ import annotations

import uuid
from typing import Any, Final

from customers.directory.writes import directory_user_deleted, directory_user_licenses
from portal.partnercenter import (
    LicenseUpdate,
    NotFound,
    PartnerCenterError,
)
from portal.partnercenter.operations import UserOperations
from portal.passwords import generate_password
from users.bulk.action_work import UNKNOWN_OUTCOME, ActionWork
from users.bulk.models import BulkRow

# The steps, in order, as a Status update names them.
STEPS: Final = {
    "licenses": "remove the licenses",
    "roles": "take away the admin roles",
    "reset": "reset the password",
    "delete": "delete the account",
}


def _request_id(row: BulkRow, step: str) -> str:
    """The step's own request id, the same on every attempt: a repeat after a lost answer is the
    same request."""
    return str(uuid.uuid5(uuid.UUID(row.request_id), step))


class OffboardWork(ActionWork):
    """The calls an offboarding makes for its rows; see the module's docstring."""

    def _act(self, row: BulkRow, operations: UserOperations) -> tuple[str, dict[str, object]]:
        progress: dict[str, Any] = dict(row.progress or {})
        if "licenses" not in progress:
            held = operations.licenses.list()
            if held:
                update = LicenseUpdate(
                    licenses_to_assign=[],
                    licenses_to_remove=[license.product_sku.id for license in held],
                )
                operations.license_updates.create(update, request_id=_request_id(row, "licenses"))
            directory_user_licenses(tenant_id=self.job.customer_id, user_id=row.user_id, sku_ids=[])
            removed = [{"id": item.product_sku.id, "name": item.product_sku.name} for item in held]
            progress["licenses"] = removed
            self._save(row, progress)
        if "roles" not in progress:
            roles = self.pc.customers.by_id(self.job.customer_id).directory_roles
            taken: list[dict[str, str]] = list(progress.get("roles_taken", []))
            for role in operations.directory_roles.list():
                roles.by_id(role.id).user_members.remove(
                    row.user_id, request_id=_request_id(row, f"role:{role.id}")
                )
                taken.append({"id": role.id, "name": role.name})
                self._save(row, {**progress, "roles_taken": taken})
            progress["roles"] = taken
            progress.pop("roles_taken", None)
            self._save(row, progress)
        if "reset" not in progress:
            # A password nobody is shown and the portal does not keep: the leaver's old one
            # stops working at once, before the account is deleted.
            operations.reset_password(generate_password(), request_id=_request_id(row, "reset"))
            progress["reset"] = True
            self._save(row, progress)
        try:
            operations.delete(request_id=_request_id(row, "delete"))
        except NotFound:
            if row.attempts <= 1:
                raise
            # Sent before, with no answer: that attempt deleted it.
        directory_user_deleted(tenant_id=self.job.customer_id, user_id=row.user_id)
        progress["delete"] = True
        self._save(row, progress)
        return self._done_status(progress), {
            "licenses_removed": [item["name"] or item["id"] for item in progress["licenses"]],
            "roles_removed": [item["name"] or item["id"] for item in progress["roles"]],
            "password_reset": True,
            "deleted": True,
        }

    def _failed_status(self, row: BulkRow, error: PartnerCenterError) -> str:
        progress = BulkRow.objects.get(pk=row.pk).progress or {}
        done = [STEPS[step] for step in STEPS if step in progress]
        left = [STEPS[step] for step in STEPS if step not in progress]
        why = UNKNOWN_OUTCOME if error.outcome_unknown else str(error)
        return (
            f"Stopped at: {left[0]}. {why} "
            + (f"Done: {', '.join(done)}. " if done else "Nothing was done. ")
            + f"Left: {', '.join(left)}. Retry failed rows carries on from there."
        )

    @staticmethod
    def _save(row: BulkRow, progress: dict[str, Any]) -> None:
        BulkRow.objects.filter(pk=row.pk).update(progress=progress)
        row.progress = progress

    @staticmethod
    def _done_status(progress: dict[str, Any]) -> str:
        licenses = [item["name"] or item["id"] for item in progress["licenses"]]
        roles = [item["name"] or item["id"] for item in progress["roles"]]
        return (
            "Offboarded: "
            + (f"removed {', '.join(licenses)}; " if licenses else "no licenses; ")
            + (f"took away {', '.join(roles)}; " if roles else "no admin roles; ")
            + "password reset; deleted. It can be restored for 30 days, with what it had."
        )
