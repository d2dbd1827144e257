"""`manage.py customer_user_license_set`: Set-PartnerCustomerUserLicense / C#
`Users.ById(id).LicenseUpdates.Create(LicenseUpdate)`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.management.base import CommandParser

from portal.partnercenter import CustomerUser, LicenseGroupId, SubscribedSku
from portal.staff.access import Capability
from users.assignments import user_licenses_change
from users.command_io import BadInput, partner_center_failure, uuid_value
from users.command_schedule import command_schedule, scheduled_lead
from users.commands import Invocation, UserCommand
from users.forms import LICENCE_NEEDS_LOCATION, NO_SEAT_LEFT
from users.selected import SelectedAction

_SKU_HELP = "a SKU id or part number, e.g. ENTERPRISEPACK (customer_subscribed_sku_get lists them)"


@dataclass(frozen=True)
class _Plan:
    """The licenses one update assigns and removes, each still needed."""

    assign: list[SubscribedSku]
    remove: list[SubscribedSku]


class Command(UserCommand):
    help = (
        "Assign and remove a user's licenses in one update (Set-PartnerCustomerUserLicense). "
        "Seats and the user's location are checked before anything is sent."
    )
    # As on the user page: licenses need an Admin agent.
    capability = Capability.CHANGE_ROLES_OR_LICENSES
    schedulable = True

    def add_options(self, parser: CommandParser) -> None:
        parser.add_argument("--user-id", type=uuid_value, required=True, help="The user.")
        parser.add_argument(
            "--add", action="append", default=[], metavar="SKU", help=f"Assign {_SKU_HELP}."
        )
        parser.add_argument(
            "--remove", action="append", default=[], metavar="SKU", help=f"Remove {_SKU_HELP}."
        )

    def check_input(self, options: dict[str, Any]) -> None:
        if not options["add"] and not options["remove"]:
            raise BadInput(f"Nothing to change: give --add or --remove with {_SKU_HELP}.")

    def run(self, invocation: Invocation, options: dict[str, Any]) -> None:
        user = self.find_user(invocation, user_id=options["user_id"], username=None)
        customer = invocation.pc.customers.by_id(invocation.customer_id)
        every_group = list(LicenseGroupId)
        held_licenses = customer.users.by_id(user.id or "").licenses.list(
            license_groups=every_group
        )
        held = frozenset(license.sku_id for license in held_licenses)
        self.check_may_act_on(invocation, Capability.UPDATE_USER, user)
        skus = customer.subscribed_skus.list(license_groups=every_group)
        plan = _plan(invocation, user, skus, held, options)
        data: dict[str, Any] = {"id": user.id, "user_principal_name": user.user_principal_name}
        if invocation.schedule:
            self._schedule_change(invocation, user, skus, options, data)
            return
        if not plan.assign and not plan.remove:
            names = sorted(license.product_sku.name or license.sku_id for license in held_licenses)
            lead = "Nothing to change: the user holds these licenses already, or not at all."
            self.output(invocation, {**data, "licenses": names, "changed": False}, lead=lead)
            return
        assign = {sku.sku_id for sku in plan.assign}
        remove = {sku.sku_id for sku in plan.remove}
        step = user_licenses_change(
            pc=invocation.pc,
            audit=invocation.audit(),
            user=user,
            held=held,
            assign=assign,
            remove=remove,
        )
        if step.failure is not None:
            raise partner_center_failure(step.failure, "The licenses were not changed")
        now = (held - remove) | assign
        data["assigned"] = [_name(sku) for sku in plan.assign]
        data["removed"] = [_name(sku) for sku in plan.remove]
        data["licenses"] = sorted(_name(sku) for sku in skus if sku.sku_id in now)
        self.output(invocation, data, lead=f"Changed the licenses of {user.user_principal_name}.")

    def _schedule_change(
        self,
        invocation: Invocation,
        user: CustomerUser,
        skus: list[SubscribedSku],
        options: dict[str, Any],
        data: dict[str, Any],
    ) -> None:
        """--at: the change as asked (what the user holds then is read when it runs)."""
        assign = [_find_sku(invocation, skus, value) for value in options["add"]]
        remove = [_find_sku(invocation, skus, value) for value in options["remove"]]
        job = command_schedule(
            invocation,
            SelectedAction.LICENSES,
            user,
            assign=[sku.sku_id for sku in assign],
            remove=[sku.sku_id for sku in remove],
        )
        lead, notes = scheduled_lead(job, f"the license change of {user.user_principal_name}")
        data.update(job=str(job.public_id), run_at=job.run_at, state=job.state)
        data.update(assign=[_name(sku) for sku in assign], remove=[_name(sku) for sku in remove])
        self.output(invocation, data, lead=lead, notes=notes)


def _plan(
    invocation: Invocation,
    user: CustomerUser,
    skus: list[SubscribedSku],
    held: frozenset[str],
    options: dict[str, Any],
) -> _Plan:
    """What to assign and remove, checked as the user page checks its license boxes: each one
    of the customer's, none both, one license group, a location, a seat for each new one."""
    assign = [_find_sku(invocation, skus, value) for value in options["add"]]
    remove = [_find_sku(invocation, skus, value) for value in options["remove"]]
    both = [_name(sku) for sku in assign if sku in remove]
    if both:
        raise BadInput(f"{both[0]} is given to --add and to --remove: choose one.")
    if len({sku.product_sku.license_group_id for sku in assign + remove}) > 1:
        raise BadInput(
            "One update changes licenses of one license group: change the Minecraft (Group2) "
            "licenses in a run of their own."
        )
    plan = _Plan(
        assign=_unique(sku for sku in assign if sku.sku_id not in held),
        remove=_unique(sku for sku in remove if sku.sku_id in held),
    )
    if plan.assign and not user.usage_location:
        raise BadInput(
            f"{LICENCE_NEEDS_LOCATION.partition(':')[0]}, and {user.user_principal_name} has "
            "none: set it with customer_user_set --usage-location first. Nothing was changed."
        )
    for sku in plan.assign:
        if (sku.available_units or 0) <= 0:
            raise BadInput(f"{NO_SEAT_LEFT.format(name=_name(sku))} Nothing was changed.")
    return plan


def _find_sku(invocation: Invocation, skus: list[SubscribedSku], value: str) -> SubscribedSku:
    wanted = value.strip().casefold()
    for sku in skus:
        if wanted in {sku.sku_id.casefold(), (sku.product_sku.sku_part_number or "").casefold()}:
            return sku
    raise BadInput(
        f"{value} is not one of {invocation.customer.company_name}'s licenses "
        "(customer_subscribed_sku_get lists them). Nothing was changed."
    )


def _unique(skus: Iterable[SubscribedSku]) -> list[SubscribedSku]:
    return list({sku.sku_id: sku for sku in skus}.values())


def _name(sku: SubscribedSku) -> str:
    return sku.product_sku.name or sku.sku_id
