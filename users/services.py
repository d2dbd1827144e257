"""Changing customer users: add, reset password, delete — audited, with tickets.

Every function takes the Partner Center client and an `AuditContext` (the acting staff member, the
customer and the ticket reference), writes one audit record per attempt (success or failure), and
writes Partner Center's answer through to the directory (`customers/directory/writes.py`), so
the lists show the change at once. Role checks happen in the views through
`portal.staff.access`; the protected-account rule needs Partner Center, so
`users.selectors.user_is_protected` reads it live. Reads for pages are in `users/selectors.py`,
the role and license calls in `users/assignments.py`, changing a user's details, roles and
licenses in `users/updates.py`, restores (and who may restore whom) in `users/restores.py`.

Partner Center errors are raised to the caller (a view maps them to fields and messages) after
they are audited; nothing here renders.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from customers.directory.writes import directory_user_deleted, directory_user_write
from portal.audit.records import Action, AuditContext
from portal.partnercenter import (
    CustomerUser,
    PartnerCenterClient,
    PartnerCenterError,
    PasswordProfile,
)
from portal.passwords import generate_password
from users.assignments import Step, change_licenses, change_roles, new_request_id
from users.models import OneTimeRequest
from users.one_time import one_time_done, one_time_done_before, one_time_sent
from users.roles import refuse_unconfirmed_privileged
from users.selectors import editable_fields


@dataclass(frozen=True)
class NewUser:
    """What the Add user form collected."""

    display_name: str
    user_principal_name: str
    first_name: str = ""
    last_name: str = ""
    usage_location: str = ""
    role_ids: tuple[str, ...] = ()
    sku_ids: tuple[str, ...] = ()
    password: str | None = field(default=None, repr=False)  # None: generate one at Save
    force_change_password: bool = True
    # The privileged roles the person confirmed granting (`users.roles.privileged_confirmation`).
    privileged_confirmed: frozenset[str] = frozenset()

    def as_customer_user(self, password: str) -> CustomerUser:
        """The user to send, with this temporary password."""
        return CustomerUser(
            display_name=self.display_name,
            user_principal_name=self.user_principal_name,
            first_name=self.first_name or None,
            last_name=self.last_name or None,
            usage_location=self.usage_location or None,
            password_profile=PasswordProfile(password, self.force_change_password),
        )


@dataclass
class CreateResult:
    user: CustomerUser | None = None
    password: str | None = field(default=None, repr=False)  # shown once, then forgotten
    already_created: OneTimeRequest | None = None
    password_lost: bool = False  # an earlier Save created the user; its password is unknown
    steps: list[Step] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return all(step.succeeded for step in self.steps)


# --- Add user --------------------------------------------------------------------------------


def user_create(
    *,
    pc: PartnerCenterClient,
    audit: AuditContext,
    new: NewUser,
    request_id: str,
    role_names: dict[str, str] | None = None,
) -> CreateResult:
    """Create a user with the form's one-time `request_id`, then give it roles and licenses.

    A form already used answers `already_created` and creates nothing. The password is generated
    here, at Save, unless one was typed; it is returned once and kept nowhere. When an earlier
    Save of the same form was never confirmed and Partner Center now answers with that Save's
    user, nobody can know its password: `password_lost` says so.
    """
    earlier = one_time_done_before(request_id, OneTimeRequest.CREATE)
    if earlier is not None:
        return CreateResult(already_created=earlier)
    refuse_unconfirmed_privileged(
        new.role_ids, role_names or {}, confirmed=new.privileged_confirmed
    )
    password = new.password or generate_password()
    wanted = new.as_customer_user(password)
    audit = audit.calling(pc).about(user_id="", username=new.user_principal_name)
    form, first_use = one_time_sent(
        request_id=request_id,
        action=OneTimeRequest.CREATE,
        audit=audit,
        username=new.user_principal_name,
    )
    created = _create_send(pc, audit, wanted, request_id=request_id, first_use=first_use)
    # The SDK leaves the password out when the answer does not prove it is the one sent.
    lost = created.password_profile is None or created.password_profile.password is None
    if not one_time_done(
        form, user_id=created.id or "", username=created.user_principal_name or ""
    ):  # a concurrent submit of the same form got here first
        return CreateResult(already_created=OneTimeRequest.objects.get(pk=form.pk))
    audit = _created_audit(audit, created, request_id=request_id, lost=lost)
    result = CreateResult(user=created, password=None if lost else password, password_lost=lost)
    result.steps.append(Step(f"Created {created.user_principal_name}", True))
    result.steps += _give_roles_and_licences(pc, audit, created, new, role_names or {})
    return result


def _create_send(
    pc: PartnerCenterClient,
    audit: AuditContext,
    wanted: CustomerUser,
    *,
    request_id: str,
    first_use: bool,
) -> CustomerUser:
    """The create call; a failure is audited, then raised."""
    try:
        return pc.customers.by_id(audit.customer_id).users.create(
            wanted, request_id=request_id, first_use=first_use
        )
    except PartnerCenterError as error:
        audit.record(Action.USER_CREATE, succeeded=False, error=error)
        raise


def _created_audit(
    audit: AuditContext, created: CustomerUser, *, request_id: str, lost: bool
) -> AuditContext:
    """The creation in the audit log; the context returned is about the new user."""
    audit = audit.about(user_id=created.id or "", username=created.user_principal_name or "")
    audit.record(
        Action.USER_CREATE,
        succeeded=True,
        changes={name: ["", value] for name, value in editable_fields(created).items() if value},
        request_id=request_id,
        message="Created by an earlier Save whose answer was lost." if lost else "",
    )
    return audit


def _give_roles_and_licences(
    pc: PartnerCenterClient,
    audit: AuditContext,
    created: CustomerUser,
    new: NewUser,
    names: dict[str, str],
) -> list[Step]:
    """A new user's roles and licenses, a step each; the directory learns what was given."""
    steps = change_roles(pc, audit, created, new.role_ids, names, add=True)
    if new.sku_ids:
        steps.append(change_licenses(pc, audit, created, set(new.sku_ids), set()))
    given = [step.role_id for step in steps if step.adds_role and step.succeeded]
    licensed = any(step.sku_ids is not None and step.succeeded for step in steps)
    directory_user_write(
        tenant_id=audit.customer_id,
        user=created,
        roles=[(role_id, names.get(role_id, role_id)) for role_id in given],
        sku_ids=list(new.sku_ids) if licensed else [],
    )
    return steps


@dataclass
class ResetResult:
    """What Reset password did: the new password (shown once), or why there is none to show."""

    password: str | None = field(default=None, repr=False)
    already_done: OneTimeRequest | None = None  # this form reset the password before
    password_lost: bool = False  # an earlier, unconfirmed press set a password nobody saw


def user_reset_password(
    *,
    pc: PartnerCenterClient,
    audit: AuditContext,
    user_id: str,
    username: str,
    force_change: bool = True,
    password: str | None = None,
    request_id: str | None = None,
) -> ResetResult:
    """Set a new password — generated unless the caller typed one — and return it (to be shown
    once, never stored).

    `request_id` is the form's one-time id (a command leaves it out: each run is new). A form
    already used resets nothing and answers `already_done`; an earlier press that Partner Center
    never confirmed is re-sent under the same id, and if Partner Center answers from that press,
    the password it set is unknown (`password_lost`).
    """
    request_id = request_id or new_request_id()
    earlier = one_time_done_before(request_id, OneTimeRequest.RESET_PASSWORD)
    if earlier is not None:
        return ResetResult(already_done=earlier)
    password = password or generate_password()
    audit = audit.calling(pc).about(user_id=user_id, username=username)
    form, first_use = one_time_sent(
        request_id=request_id,
        action=OneTimeRequest.RESET_PASSWORD,
        audit=audit,
        username=username,
        user_id=user_id,
    )
    known = _reset_send(
        pc,
        audit,
        user_id,
        password,
        force_change=force_change,
        request_id=request_id,
        first_use=first_use,
    )
    if not one_time_done(form, user_id=user_id, username=username):
        return ResetResult(already_done=OneTimeRequest.objects.get(pk=form.pk))
    _reset_audit(audit, force_change=force_change, request_id=request_id, known=known)
    return ResetResult(password=password if known else None, password_lost=not known)


def _reset_send(
    pc: PartnerCenterClient,
    audit: AuditContext,
    user_id: str,
    password: str,
    *,
    force_change: bool,
    request_id: str,
    first_use: bool,
) -> bool:
    """The reset call, and whether the password sent is known to be the one set; a failure is
    audited, then raised."""
    try:
        answer = (
            pc.customers.by_id(audit.customer_id)
            .users.by_id(user_id)
            .reset_password(
                password, force_change=force_change, request_id=request_id, first_use=first_use
            )
        )
    except PartnerCenterError as error:
        audit.record(Action.USER_RESET_PASSWORD, succeeded=False, error=error)
        raise
    # A first use is answered for this call alone: the password sent is the one set. Otherwise
    # only an echo proves it (the SDK keeps it only then).
    return first_use or bool(answer.password_profile and answer.password_profile.password)


def _reset_audit(audit: AuditContext, *, force_change: bool, request_id: str, known: bool) -> None:
    """The reset in the audit log; an unknown password is said to come from an earlier press."""
    audit.record(
        Action.USER_RESET_PASSWORD,
        succeeded=True,
        changes={"must_change_at_next_sign_in": force_change},
        request_id=request_id,
        message="" if known else "Reset by an earlier press whose answer was lost.",
    )


def user_delete(
    *, pc: PartnerCenterClient, audit: AuditContext, user_id: str, username: str
) -> None:
    """Delete the user (softly: restorable for 30 days)."""
    request_id = new_request_id()
    audit = audit.calling(pc).about(user_id=user_id, username=username)
    try:
        pc.customers.by_id(audit.customer_id).users.by_id(user_id).delete(request_id=request_id)
    except PartnerCenterError as error:
        audit.record(Action.USER_DELETE, succeeded=False, error=error)
        raise
    audit.record(Action.USER_DELETE, succeeded=True, request_id=request_id)
    directory_user_deleted(tenant_id=audit.customer_id, user_id=user_id)
