"""What a command's common options name, read and checked: the staff member (`--as`), the
customer (`--tenant-id` or `--domain`), the ticket (`--ticket`) and the time (`--at`). Each
refusal is the commands' one-line error with its exit code (`users.command_io`)."""

from __future__ import annotations

from django import forms
from django.contrib.auth.models import User

from customers.directory.text import ascii_lower
from portal.partnercenter import Customer, PartnerCenterClient
from portal.partnercenter import NotFound as PartnerCenterNotFound
from portal.tickets import TicketField
from users.bulk.when import Schedule, ScheduleRefused
from users.command_io import BadInput, NotAllowed, NotFound, partner_center_failure
from users.usernames import customer_domain


def staff_named(username: str) -> User:
    """The active staff account `--as` names, or the command's refusal."""
    staff = User.objects.filter(username=username).first()
    if staff is None:
        raise BadInput(f"--as: there is no staff account named '{username}'.")
    if not staff.is_active:
        raise NotAllowed(f"--as: the staff account '{username}' is deactivated.")
    return staff


def ticket_option(value: str) -> str:
    """`--ticket`, checked by the forms' own field (so PORTAL_TICKET_REQUIRED applies)."""
    try:
        return str(TicketField().clean(value.strip()))
    except forms.ValidationError as error:
        raise BadInput(f"--ticket: {' '.join(error.messages)}") from None


def schedule_option(value: str | None) -> Schedule | None:
    """`--at "2026-12-14 08:00 Europe/Stockholm"`: a time ahead, or None for now."""
    if not value:
        return None
    try:
        return Schedule.parse(value).check()
    except ScheduleRefused as refused:
        raise BadInput(f"--at: {refused}") from None


def customer_option(pc: PartnerCenterClient, tenant_id: str | None, domain: str | None) -> Customer:
    """The customer `--tenant-id` names, or the one any of whose domains is `--domain`."""
    if tenant_id:
        try:
            return pc.customers.by_id(tenant_id).get()
        except PartnerCenterNotFound as error:
            raise partner_center_failure(error, f"No customer with tenant id {tenant_id}") from None
    wanted = ascii_lower((domain or "").strip())
    if not wanted:
        raise BadInput("--domain: give one of the customer's domains, e.g. contoso.com.")
    # The filter matches domains that *start* with the value; any of a customer's domains
    # (custom ones included) must equal it.
    for customer in pc.customers.search(domain=wanted):
        if customer_domain(wanted, [customer.domain, *pc.customers.by_id(customer.id).domains()]):
            return customer
    raise NotFound(f"No customer has the domain {domain}.")
