"""The audit trail: one record per action attempt, from the web UI, a command or a background task.

`audit_record()` is the only writer. It never stores a secret: keys that name a password, token or
secret are dropped from `changes` wherever they appear, and Partner Center errors contribute their
message and identifiers only.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Final

from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from portal.client_ip import client_ip
from portal.models import AuditRecord
from portal.partnercenter import PartnerCenterClient, PartnerCenterError


class Action(enum.StrEnum):
    USER_CREATE = "user_create"
    USER_UPDATE = "user_update"
    USER_RESET_PASSWORD = "user_reset_password"  # noqa: S105 (an action's name)
    USER_DELETE = "user_delete"
    USER_RESTORE = "user_restore"
    USER_OFFBOARD = "user_offboard"
    USER_ROLES_CHANGE = "user_roles_change"
    USER_LICENSES_CHANGE = "user_licenses_change"
    USERS_EXPORT = "users_export"
    BULK_UPLOAD = "bulk_upload"
    BULK_ROW = "bulk_row"
    BULK_PASSWORDS_DOWNLOAD = "bulk_passwords_download"
    BULK_RESULTS_EXPORT = "bulk_results_export"
    BULK_ANNOTATED_EXPORT = "bulk_annotated_export"
    SELECTED_USERS = "selected_users"
    SCHEDULED_RUN_NOW = "scheduled_run_now"
    SCHEDULED_CANCEL = "scheduled_cancel"
    SCHEDULED_HELD = "scheduled_held"
    AUDIT_EXPORT = "audit_export"
    SIGN_IN = "sign_in"
    SIGN_IN_FAILED = "sign_in_failed"
    SIGNED_OUT_EVERYWHERE = "signed_out_everywhere"
    SECOND_FACTOR_ENROLLED = "second_factor_enrolled"
    SECOND_FACTOR_RESET = "second_factor_reset"


# How each action reads on the dashboard, the user page and in the audit log.
ACTION_LABELS: dict[str, str] = {
    Action.USER_CREATE: "Added user",
    Action.USER_UPDATE: "Updated user",
    Action.USER_RESET_PASSWORD: "Reset password",
    Action.USER_DELETE: "Deleted user",
    Action.USER_RESTORE: "Restored user",
    Action.USER_OFFBOARD: "Offboarded user",
    Action.USER_ROLES_CHANGE: "Changed roles",
    Action.USER_LICENSES_CHANGE: "Changed licenses",
    Action.USERS_EXPORT: "Exported users",
    Action.BULK_UPLOAD: "Uploaded users",
    Action.BULK_ROW: "Bulk upload row",
    Action.BULK_PASSWORDS_DOWNLOAD: "Downloaded temporary passwords",
    Action.BULK_RESULTS_EXPORT: "Downloaded upload results",
    Action.BULK_ANNOTATED_EXPORT: "Downloaded a checked upload",
    Action.SELECTED_USERS: "Acted on selected users",
    Action.SCHEDULED_RUN_NOW: "Ran a scheduled change now",
    Action.SCHEDULED_CANCEL: "Cancelled a scheduled change",
    Action.SCHEDULED_HELD: "Held a late scheduled change",
    Action.AUDIT_EXPORT: "Exported the audit log",
    Action.SIGN_IN: "Signed in",
    Action.SIGN_IN_FAILED: "Sign-in failed",
    Action.SIGNED_OUT_EVERYWHERE: "Signed out everywhere",
    Action.SECOND_FACTOR_ENROLLED: "Set up a second factor",
    Action.SECOND_FACTOR_RESET: "Reset a second factor",
}


# Any key containing one of these words is dropped from what the audit log keeps.
_SECRET_WORDS = ("password", "token", "secret", "credential")


@dataclass(frozen=True)
class Actor:
    """Who does something, and through which door."""

    user: User | None
    username: str
    via: str = "web"
    client_ip: str | None = None

    @classmethod
    def from_request(cls, request: HttpRequest) -> Actor:
        user = request.user
        if not isinstance(user, User):
            return cls(None, "anonymous", "web", client_ip(request))
        return cls(user, user.get_username(), "web", client_ip(request))

    @classmethod
    def for_command(cls, user: User) -> Actor:
        return cls(user, user.get_username(), "command", None)

    @classmethod
    def for_task(cls, user: User | None, username: str) -> Actor:
        return cls(user, username, "task", None)


def without_secrets(value: Any) -> Any:
    """`value` with every mapping key that names a password, token or secret removed."""
    if isinstance(value, Mapping):
        return {
            str(key): without_secrets(item)
            for key, item in value.items()
            if not any(word in str(key).lower() for word in _SECRET_WORDS)
        }
    if isinstance(value, list | tuple):
        return [without_secrets(item) for item in value]
    return value


def changes_between(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    """`{field: [before, after]}` for the fields whose value differs."""
    return {
        key: [before.get(key), after.get(key)]
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }


def audit_record(
    *,
    actor: Actor,
    action: Action,
    succeeded: bool,
    customer_id: str = "",
    customer_name: str = "",
    target_user_id: str = "",
    target_username: str = "",
    ticket: str = "",
    changes: Mapping[str, Any] | None = None,
    message: str = "",
    error: PartnerCenterError | None = None,
    request_id: str = "",
    correlation_id: str = "",
) -> AuditRecord:
    """Write one audit record (an attempt, successful or not)."""
    if error is not None:
        message = message or str(error)
        request_id = request_id or error.request_id or ""
        correlation_id = correlation_id or error.correlation_id or ""
    record = AuditRecord(
        at=timezone.now(),
        staff=actor.user if actor.user is not None and actor.user.pk else None,
        staff_username=actor.username,
        via=actor.via,
        client_ip=actor.client_ip,
        action=str(action),
        outcome=AuditRecord.SUCCEEDED if succeeded else AuditRecord.FAILED,
        customer_id=customer_id,
        customer_name=customer_name[:200],
        target_user_id=target_user_id,
        target_username=target_username[:254],
        ticket=ticket,
        changes=without_secrets(dict(changes or {})),
        message=message,
        ms_request_id=request_id,
        ms_correlation_id=correlation_id,
    )
    record.save()
    return record


@dataclass(frozen=True)
class AuditContext:
    """Who acts, for which customer, user and ticket: what every record of one action shares."""

    actor: Actor
    customer_id: str = ""
    customer_name: str = ""
    target_user_id: str = ""
    target_username: str = ""
    ticket: str = ""
    # The Partner Center client's MS-CorrelationId (the portal's request id in a web request),
    # so every record can be traced to Partner Center's side, successes included.
    correlation_id: str = ""

    def about(self, *, user_id: str, username: str) -> AuditContext:
        return replace(self, target_user_id=user_id, target_username=username)

    def calling(self, pc: PartnerCenterClient) -> AuditContext:
        """This context, naming the correlation id of the client its action calls through."""
        return replace(self, correlation_id=pc.correlation_id)

    def record(
        self,
        action: Action,
        *,
        succeeded: bool,
        changes: Mapping[str, Any] | None = None,
        message: str = "",
        error: PartnerCenterError | None = None,
        request_id: str = "",
    ) -> AuditRecord:
        return audit_record(
            actor=self.actor,
            action=action,
            succeeded=succeeded,
            customer_id=self.customer_id,
            customer_name=self.customer_name,
            target_user_id=self.target_user_id,
            target_username=self.target_username,
            ticket=self.ticket,
            changes=changes,
            message=message,
            error=error,
            request_id=request_id,
            correlation_id=self.correlation_id,
        )


def audit_sign_in(request: HttpRequest) -> AuditRecord:
    """A successful sign-in, by the member the request now belongs to."""
    return audit_record(actor=Actor.from_request(request), action=Action.SIGN_IN, succeeded=True)


# What the dashboard's Recent activity leaves to the audit log: signing in and out, and each row
# of a bulk upload or of an action on selected users (the upload or the action is one line).
NOT_ACTIVITY: Final = (
    Action.SIGN_IN,
    Action.SIGN_IN_FAILED,
    Action.SIGNED_OUT_EVERYWHERE,
    Action.SECOND_FACTOR_ENROLLED,
    Action.BULK_ROW,
)
# The key an action on selected users puts in each of its rows' records (the job's public id).
SELECTED_JOB: Final = "selected_job"


def within_customers(
    records: QuerySet[AuditRecord], customer_ids: frozenset[str] | None
) -> QuerySet[AuditRecord]:
    """`records` about `customer_ids` only (None: all records)."""
    return records if customer_ids is None else records.filter(customer_id__in=customer_ids)


def recent_activity(
    *,
    customer_id: str | None = None,
    target_user_id: str | None = None,
    limit: int = 10,
    changes_only: bool = False,
    customer_ids: frozenset[str] | None = None,
) -> list[AuditRecord]:
    """The latest records, optionally for one customer or one user (dashboard, user page) or of
    `customer_ids` only; `changes_only` leaves out NOT_ACTIVITY."""
    records = within_customers(AuditRecord.objects.all(), customer_ids)
    if changes_only:
        records = records.exclude(action__in=NOT_ACTIVITY).exclude(changes__has_key=SELECTED_JOB)
    if customer_id:
        records = records.filter(customer_id=customer_id)
    if target_user_id:
        records = records.filter(target_user_id=target_user_id)
    return list(records[:limit])
