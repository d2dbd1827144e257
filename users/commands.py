"""What every `manage.py customer_user_*` command shares: the PowerShell cmdlets, as commands.

    manage.py customer_user_new --as amara --tenant-id <id> --display-name "Jane Doe" \\
        --user-principal-name jane@contoso.com --usage-location US --ticket INC-1234

Each command file declares its own options and a `run()`; this module parses the common ones
(`--as`, `--tenant-id`/`--domain`, `--ticket`, `--what-if`, `--json`), resolves the staff member
and the customer, asks `portal.staff.access` exactly as the views do, reads a password from a
prompt or standard input (never from an argument: it would land in shell history and the process
list), writes a table or JSON, and turns every failure into one line on stderr and an exit code
(the option values, failures and output are in `users/command_io.py`):

    0 done, 1 Partner Center failed, 2 bad input, 3 not allowed, 4 not found.

Changes go through `users.services`, so they write the same audit records as the web UI
(`via="command"`). Everything a command can check by itself is checked before Partner Center
is asked to change anything.

`--what-if` runs the command with a what-if client (`portal.partnercenter.ChangeWithheld`): the
reads and every check happen as usual, the first change is withheld — nothing sent, nothing
audited — and the command prints what it would have sent instead of its own answer. A command
that makes more than one independent change wraps each in `self.change(invocation)`, so every
one of them is shown.
"""

from __future__ import annotations

import argparse
import getpass
import io
import json
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar, TextIO

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandParser, OutputWrapper
from django.http import Http404
from django.utils import timezone

from customers.directory.text import ascii_lower
from portal.audit.records import Actor, AuditContext
from portal.partnercenter import (
    WORKER_THROTTLE_WAIT_CAP,
    ChangeWithheld,
    Customer,
    CustomerUser,
    PartnerCenterClient,
    PartnerCenterError,
    partner_center,
)
from portal.partnercenter import NotFound as PartnerCenterNotFound
from portal.passwords import password_problem
from portal.staff import access
from users.bulk.when import Schedule
from users.command_inputs import customer_option, schedule_option, staff_named, ticket_option
from users.command_io import (
    NOT_AN_ARGUMENT,
    BadInput,
    NotAllowed,
    NotFound,
    OneLineParser,
    RefusePassword,
    json_default,
    logs_on_stderr,
    one_line,
    partner_center_failure,
    record_table,
    rows_table,
    uuid_value,
    what_if_report,
)
from users.models import OneTimeRequest
from users.selectors import DeletedUser, user_is_protected
from users.usernames import customer_domain

# --- The command ---------------------------------------------------------------------------------


@dataclass
class Invocation:
    """Who runs the command, against which customer, with which ticket."""

    staff: User
    pc: PartnerCenterClient
    customer: Customer
    ticket: str
    as_json: bool
    what_if: bool = False
    withheld: list[ChangeWithheld] = field(default_factory=list)  # --what-if: what was not sent
    schedule: Schedule | None = None  # --at: a scheduled change instead of now

    @property
    def customer_id(self) -> str:
        return self.customer.id

    def audit(self) -> AuditContext:
        return AuditContext(
            Actor.for_command(self.staff),
            self.customer.id,
            self.customer.company_name,
            ticket=self.ticket,
        )


class UserCommand(BaseCommand):
    """Base of the customer_user_* commands: set `capability`, add options, write `run()`."""

    capability: ClassVar[access.Capability]
    changes_something: ClassVar[bool] = True  # takes --ticket
    takes_password: ClassVar[bool] = False  # --password-prompt / --password-stdin
    schedulable: ClassVar[bool] = False  # takes --at: run at a time, as a scheduled change
    # `stdin` lets tests (and callers of call_command) hand a password over without a terminal.
    stealth_options = ("stdin",)

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        # No abbreviations: `--password` must never be taken for `--password-stdin`.
        parser = super().create_parser(prog_name, subcommand, allow_abbrev=False, **kwargs)
        # Django builds a CommandParser; this subclass only words usage errors in one line.
        parser.__class__ = OneLineParser
        return parser

    def add_arguments(self, parser: CommandParser) -> None:
        self._add_target(parser)
        if self.changes_something:
            parser.add_argument(
                "--ticket",
                default="",
                help="The ticket this change is for, e.g. INC-1234 (written to the audit log).",
            )
            parser.add_argument(
                "--what-if",
                action="store_true",
                help="Check everything and show what would be sent to Partner Center, but send "
                "nothing and audit nothing (as PowerShell's -WhatIf).",
            )
        parser.add_argument("--json", action="store_true", help="Write JSON instead of a table.")
        if self.schedulable:
            parser.add_argument(
                "--at",
                metavar="WHEN",
                help='Do it later, as a scheduled change: "2026-12-14 08:00 Europe/Stockholm" '
                "(the zone defaults to the portal's). It is checked now and again when it runs; "
                "scheduled_change_list and scheduled_change_cancel show and cancel it.",
            )
        if self.takes_password:
            self._add_password_choice(parser)
        parser.add_argument("--password", nargs="?", action=RefusePassword, help=argparse.SUPPRESS)
        self.add_options(parser)

    def _add_target(self, parser: CommandParser) -> None:
        """Who it is done for (--as) and which customer (--tenant-id or --domain)."""
        parser.add_argument(
            "--as",
            dest="as_staff",
            required=True,
            metavar="USERNAME",
            help="The staff member this is done for: their role applies and the audit log "
            "names them.",
        )
        customer = parser.add_mutually_exclusive_group(required=True)
        customer.add_argument(
            "--tenant-id", type=uuid_value, help="The customer's tenant id (Get-PCCustomer)."
        )
        customer.add_argument(
            "--domain", help="Any of the customer's domains, instead of --tenant-id."
        )

    def _add_password_choice(self, parser: CommandParser) -> None:
        """A typed password instead of a generated one: at a prompt or from standard input."""
        given = parser.add_mutually_exclusive_group()
        given.add_argument(
            "--password-prompt",
            action="store_true",
            help="Ask for the password (twice, not echoed) instead of generating one.",
        )
        given.add_argument(
            "--password-stdin",
            action="store_true",
            help="Read the password from the first line of standard input.",
        )

    def add_options(self, parser: CommandParser) -> None:
        """The command's own options."""

    def run(self, invocation: Invocation, options: dict[str, Any]) -> None:
        raise NotImplementedError

    def check_input(self, options: dict[str, Any]) -> None:
        """Refuse bad input the command can judge by itself (raise BadInput)."""

    def handle(self, *args: Any, **options: Any) -> None:
        if options.get("password") is not None:  # call_command(password=...) skips the parser
            raise BadInput(NOT_AN_ARGUMENT)
        with logs_on_stderr():
            self._handle(options)

    def _handle(self, options: dict[str, Any]) -> None:
        staff = staff_named(options["as_staff"])
        self._check_role(staff, self.capability)
        ticket = ticket_option(options.get("ticket", "")) if self.changes_something else ""
        self.check_input(options)
        schedule = schedule_option(options.get("at"))
        what_if = bool(options.get("what_if"))
        if schedule and what_if:
            raise BadInput("--at and --what-if: a scheduled change sends nothing now; use one.")
        pc = partner_center(throttle_wait_cap=WORKER_THROTTLE_WAIT_CAP, what_if=what_if)
        try:
            customer = customer_option(pc, options.get("tenant_id"), options.get("domain"))
            self._enter(staff, customer, options)
            invocation = Invocation(
                staff, pc, customer, ticket, bool(options["json"]), what_if, schedule=schedule
            )
            if what_if:
                self._run_what_if(invocation, options)
            else:
                self.run(invocation, options)
        except PartnerCenterError as error:
            raise partner_center_failure(error) from None

    def _run_what_if(self, invocation: Invocation, options: dict[str, Any]) -> None:
        """Run with the command's own answer held back: it would describe a change not made."""
        started, answer, held_back = timezone.now(), self.stdout, io.StringIO()
        self.stdout = OutputWrapper(held_back)
        try:
            with self.change(invocation):
                self.run(invocation, options)
        finally:
            self.stdout = answer
        if not invocation.withheld:  # nothing to change: the command's answer says so
            self.stdout.write(held_back.getvalue(), ending="")
            return
        # A form record written just before its call (Add user, Reset password) would say a
        # call was sent: this one never was.
        OneTimeRequest.objects.filter(
            request_id__in=[change.request_id for change in invocation.withheld],
            sent_at__gte=started,
            done_at__isnull=True,
        ).delete()
        self.stdout.write(what_if_report(invocation.withheld, as_json=invocation.as_json))

    @contextmanager
    def change(self, invocation: Invocation) -> Iterator[None]:
        """One change: under --what-if, the request it would send is kept and the rest of the
        block is skipped, so a command's next change is still shown."""
        try:
            yield
        except ChangeWithheld as withheld:
            if not invocation.what_if:
                raise
            invocation.withheld.append(withheld)

    # --- Steps ---------------------------------------------------------------------------------

    @staticmethod
    def _check_role(staff: User, capability: access.Capability) -> None:
        try:
            access.check_capability(staff, capability)
        except PermissionDenied as denied:
            raise NotAllowed(f"{staff.get_username()}: {one_line(str(denied))}") from None

    def _enter(self, staff: User, customer: Customer, options: dict[str, Any]) -> None:
        """Work on this customer as `staff`: outside their customer scope it is not found, as
        on the web; then the role on it decides."""
        try:
            access.enter_customer(staff, customer.id)
        except Http404:
            if options.get("tenant_id"):
                raise NotFound(f"No customer with tenant id {options['tenant_id']}.") from None
            raise NotFound(f"No customer has the domain {options.get('domain')}.") from None
        self._check_role(staff, self.capability)

    # --- For the commands ----------------------------------------------------------------------

    def check_may_act_on(
        self,
        invocation: Invocation,
        action: access.Capability,
        user: CustomerUser,
        *,
        protected: bool | None = None,
    ) -> None:
        """The protected-account rule; `protected` (holds a directory role) is read live unless
        the caller just read it."""
        if protected is None:
            protected = user_is_protected(
                pc=invocation.pc, customer_id=invocation.customer_id, user_id=user.id or ""
            )
        try:
            access.check_act_on_user(
                invocation.staff, action, target_holds_directory_role=protected
            )
        except PermissionDenied as denied:
            raise NotAllowed(
                f"{invocation.staff.get_username()}: {one_line(str(denied))} "
                f"({user.user_principal_name})"
            ) from None

    def read_password(self, options: dict[str, Any]) -> str | None:
        """The password typed at a prompt or piped in, checked; None means generate one."""
        stream: TextIO = options.get("stdin") or sys.stdin
        if options.get("password_prompt"):
            first = getpass.getpass("New password (not echoed): ")
            again = getpass.getpass("The same password again: ")
            if first != again:
                raise BadInput("The two passwords differ; nothing was changed.")
            password = first
        elif options.get("password_stdin"):
            # Only the line break is dropped: spaces may be part of a password.
            password = stream.readline().rstrip("\r\n")
            if not password:
                raise BadInput(
                    "--password-stdin: standard input has no password on its first line."
                )
        else:
            return None
        problem = password_problem(password)
        if problem:
            raise BadInput(f"{problem} Nothing was changed.")
        return password

    @staticmethod
    def check_customer_domain(invocation: Invocation, username: str) -> None:
        """Refuse a username that is not at one of the customer's domains (read live)."""
        domains = invocation.pc.customers.by_id(invocation.customer_id).domains()
        if customer_domain(username.rpartition("@")[2], domains) is None:
            raise BadInput(
                f"{username} is not at one of {invocation.customer.company_name}'s domains "
                f"({', '.join(domains)}). Nothing was changed."
            )

    def find_user(
        self, invocation: Invocation, *, user_id: str | None, username: str | None
    ) -> CustomerUser:
        """An active user by id, or by username (Partner Center has no username filter, so the
        users are read page by page, as the PowerShell module does through Graph)."""
        users = invocation.pc.customers.by_id(invocation.customer_id).users
        if user_id:
            try:
                user = users.by_id(user_id).get()
            except PartnerCenterNotFound as error:
                raise partner_center_failure(error, f"No user with id {user_id}") from None
            if user.is_deleted:
                raise NotFound(
                    f"The user {user.user_principal_name} ({user_id}) is deleted: restore it "
                    "first (customer_user_restore)."
                )
            return user
        found = _by_username(users.iter_all(), username or "")
        if found is None:
            raise NotFound(
                f"No active user {username} in {invocation.customer.company_name} "
                f"(customer_user_get --deleted lists the deleted ones)."
            )
        return found

    def find_deleted_user(
        self, invocation: Invocation, *, user_id: str | None, username: str | None
    ) -> CustomerUser:
        """A deleted, still restorable user, from the deleted users' list (as
        `Get-PCCustomerUser -Deleted | ? id -EQ ...`)."""
        deleted = invocation.pc.customers.by_id(invocation.customer_id).users.iter_deleted()
        if user_id:
            found = next((user for user in deleted if user.id == user_id), None)
        else:
            # The same username may have been deleted more than once: the latest deletion wins.
            matches = [
                user
                for user in deleted
                if ascii_lower(user.user_principal_name or "") == ascii_lower(username or "")
            ]
            found = max(matches, key=_deleted_at, default=None)
        if found is None:
            wanted = user_id or username
            raise NotFound(
                f"No deleted user {wanted} in {invocation.customer.company_name}: users can be "
                "restored for 30 days after their deletion."
            )
        return found

    def output(
        self,
        invocation: Invocation,
        data: Mapping[str, Any] | Sequence[Mapping[str, Any]],
        *,
        columns: Sequence[str] = (),
        lead: str = "",
        notes: Iterable[str] = (),
    ) -> None:
        """JSON, or `lead`, a table (`columns` for a list) and notes, on standard output."""
        if invocation.as_json:
            self.stdout.write(json.dumps(data, default=json_default, indent=2))
            return
        if lead:
            self.stdout.write(lead)
        if isinstance(data, Mapping):
            self.stdout.write(record_table(data))
        elif data:
            self.stdout.write(rows_table(data, columns))
        for note in notes:
            self.stdout.write(note)


def _by_username(users: Iterable[CustomerUser], username: str) -> CustomerUser | None:
    wanted = ascii_lower(username)
    return next((u for u in users if ascii_lower(u.user_principal_name or "") == wanted), None)


def _deleted_at(user: CustomerUser) -> datetime:
    return user.soft_deletion_time or datetime.min.replace(tzinfo=UTC)


def deleted_row(user: CustomerUser) -> DeletedUser:
    """What `users_restore` takes, from a user of the deleted users' list."""
    if user.soft_deletion_time is None:
        raise ValueError("Only a deleted user has a deletion time.")
    return DeletedUser(user.id or "", user.user_principal_name or "")
