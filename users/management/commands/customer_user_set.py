"""`manage.py customer_user_set`: Set-PCCustomerUser / C# `Users.ById(id).Patch(CustomerUser)`,
and Set-PartnerCustomerUser -ForceChangePasswordNextLogin."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from portal.staff import access
from portal.staff.access import Capability
from users.assignments import user_require_password_change
from users.command_io import (
    BadInput,
    Failed,
    NotAllowed,
    NotFound,
    country_value,
    name_value,
    user_data,
    username_value,
    uuid_value,
)
from users.commands import Invocation, UserCommand
from users.selectors import EDITABLE_FIELDS, UserDetails, user_details
from users.updates import ConcurrentChange, UserChanges, user_update

_OPTIONS = {name: "--" + name.replace("_", "-") for name in EDITABLE_FIELDS}
_FORCE = "force_change_password_next_sign_in"


class Command(UserCommand):
    help = (
        "Change a user's names, username or location (Set-PCCustomerUser), or make them change "
        "their password at the next sign-in. Only the options given change; an empty value "
        '(--first-name "") clears an optional field.'
    )
    capability = Capability.UPDATE_USER

    def add_options(self, parser: CommandParser) -> None:
        parser.add_argument("--user-id", type=uuid_value, required=True, help="The user to change.")
        parser.add_argument(
            "--user-principal-name",
            type=username_value,
            metavar="UPN",
            help="The new username (as Set-PCCustomerUser -UserPrincipalName).",
        )
        parser.add_argument("--display-name", type=name_value)
        parser.add_argument("--first-name", type=name_value)
        parser.add_argument("--last-name", type=name_value)
        parser.add_argument("--usage-location", type=country_value, metavar="CC")
        parser.add_argument(
            "--force-change-password-next-sign-in",
            action="store_true",
            help="The user must choose a new password at the next sign-in; the password stays "
            "as it is (Set-PartnerCustomerUser -ForceChangePasswordNextLogin).",
        )

    def check_input(self, options: dict[str, Any]) -> None:
        if all(options[name] is None for name in EDITABLE_FIELDS) and not options[_FORCE]:
            given = ", ".join([*_OPTIONS.values(), "--force-change-password-next-sign-in"])
            raise BadInput(f"Nothing to change: give at least one of {given}.")
        if options["display_name"] == "":
            raise BadInput("--display-name cannot be empty.")

    def run(self, invocation: Invocation, options: dict[str, Any]) -> None:
        user_id: str = options["user_id"]
        details = user_details(
            pc=invocation.pc, customer_id=invocation.customer_id, user_id=user_id
        )
        current = details.user
        if current.is_deleted:
            raise NotFound(
                f"The user {current.user_principal_name} is deleted: restore it first "
                "(customer_user_restore)."
            )
        self.check_may_act_on(
            invocation, Capability.UPDATE_USER, current, protected=details.is_protected
        )
        force = bool(options[_FORCE])
        if force:  # a password matter, as Reset password is
            self.check_may_act_on(
                invocation, Capability.RESET_PASSWORD, current, protected=details.is_protected
            )
        wanted = self._wanted(invocation, details, options)
        if not wanted and not force:
            self.output(invocation, user_data(current), lead="Nothing to change.")
            return
        if "user_principal_name" in wanted:
            self.check_customer_domain(invocation, wanted["user_principal_name"])
        if wanted:
            with self.change(invocation):
                self._update(invocation, details, wanted)
        if force:
            with self.change(invocation):
                user_require_password_change(
                    pc=invocation.pc, audit=invocation.audit(), user=current
                )
        updated = invocation.pc.customers.by_id(invocation.customer_id).users.by_id(user_id).get()
        changed = sorted(wanted) + (["must_change_at_next_sign_in"] if force else [])
        data = {**user_data(updated), "changed": changed}
        lead = f"Updated {updated.user_principal_name}."
        self.output(invocation, data, lead=lead)

    @staticmethod
    def _wanted(
        invocation: Invocation, details: UserDetails, options: dict[str, Any]
    ) -> dict[str, Any]:
        """The fields given that differ from the user's, if the role may change them."""
        current = details.user
        wanted = {
            name: value
            for name in EDITABLE_FIELDS
            if (value := options[name]) is not None and value != (getattr(current, name) or "")
        }
        if not access.can_update_user(invocation.staff, fields=wanted):
            fields = ", ".join(_OPTIONS[name] for name in sorted(wanted))
            raise NotAllowed(
                f"{invocation.staff.get_username()} ({access.role_of(invocation.staff)}) may "
                f"change names, display name and location, not the username ({fields})."
            )
        return wanted

    @staticmethod
    def _update(invocation: Invocation, details: UserDetails, wanted: dict[str, Any]) -> None:
        try:
            user_update(
                pc=invocation.pc,
                audit=invocation.audit(),
                user_id=details.user.id or "",
                fingerprint=details.fingerprint,
                changes=UserChanges(**wanted),
            )
        except ConcurrentChange:
            raise Failed(
                "Someone changed this user while the command ran; nothing was changed. Run it "
                "again."
            ) from None
