"""`manage.py customer_user_new`: New-PCCustomerUser / C# `Users.Create(CustomerUser)`."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.management.base import CommandParser

from portal.staff.access import Capability
from users.assignments import new_request_id
from users.bulk.jobs import BulkJobRefused
from users.bulk.scheduled_add import Starter, starter_schedule
from users.command_io import (
    BadInput,
    boolean_value,
    country_value,
    name_value,
    user_data,
    username_value,
    uuid_value,
)
from users.command_schedule import command_mirror, scheduled_lead
from users.commands import Invocation, UserCommand
from users.services import CreateResult, NewUser, user_create


class Command(UserCommand):
    help = (
        "Add a user to a customer (New-PCCustomerUser). The temporary password is generated and "
        "shown once, unless --password-prompt or --password-stdin gives one."
    )
    capability = Capability.ADD_USER
    schedulable = True
    takes_password = True

    def add_options(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--user-principal-name",
            type=username_value,
            required=True,
            metavar="UPN",
            help="The username, name@domain, at one of the customer's domains.",
        )
        parser.add_argument("--display-name", type=name_value, required=True)
        parser.add_argument("--first-name", type=name_value, default="")
        parser.add_argument("--last-name", type=name_value, default="")
        parser.add_argument(
            "--usage-location",
            type=country_value,
            default="",
            metavar="CC",
            help="Two-letter country code (needed before licenses can be assigned).",
        )
        parser.add_argument(
            "--force-change-password",
            type=boolean_value,
            default=True,
            metavar="true|false",
            help="Must the user change the password at the next sign-in (default: true).",
        )
        parser.add_argument(
            "--request-id",
            type=uuid_value,
            help="Repeat an earlier attempt whose outcome was unknown, with the request id its "
            "error named: Partner Center then creates the user at most once.",
        )

    def check_input(self, options: dict[str, Any]) -> None:
        if not options["display_name"]:
            raise BadInput("--display-name cannot be empty.")

    def run(self, invocation: Invocation, options: dict[str, Any]) -> None:
        username: str = options["user_principal_name"]
        self.check_customer_domain(invocation, username)
        if invocation.schedule:
            self._schedule_new(invocation, options)
            return
        typed = self.read_password(options)
        new = NewUser(
            display_name=options["display_name"],
            user_principal_name=username,
            first_name=options["first_name"],
            last_name=options["last_name"],
            usage_location=options["usage_location"],
            password=typed,
            force_change_password=options["force_change_password"],
        )
        result = user_create(
            pc=invocation.pc,
            audit=invocation.audit(),
            new=new,
            request_id=options["request_id"] or new_request_id(),
        )
        if result.already_created is not None:
            earlier = result.already_created
            self.output(
                invocation,
                {
                    "id": earlier.user_id,
                    "user_principal_name": earlier.user_principal_name,
                    "already_created": True,
                },
                lead="This request id already created the user; nothing was changed.",
            )
            return
        self._created_output(invocation, result, options, typed=typed)

    def _created_output(
        self,
        invocation: Invocation,
        result: CreateResult,
        options: dict[str, Any],
        *,
        typed: str | None,
    ) -> None:
        """The new user, and its password when it was generated here and is known."""
        assert result.user is not None  # a create that did not raise made a user
        data = {
            **user_data(result.user),
            "force_change_password": options["force_change_password"],
        }
        notes = []
        if result.password_lost:
            notes.append(
                "An earlier attempt created this user and its answer was lost, so its password "
                "is unknown: set one with customer_user_reset_password."
            )
        elif typed is None:
            # Generated here: this is the one time anyone sees it.
            data["password"] = result.password
            notes.append("The password is shown only this once; it is not stored anywhere.")
        self.output(
            invocation, data, lead=f"Created {result.user.user_principal_name}.", notes=notes
        )

    def _schedule_new(self, invocation: Invocation, options: dict[str, Any]) -> None:
        """--at: a new starter created at that time, as Add user At… makes one; its password is
        generated then and downloaded from the job's page (by the --as staff member)."""
        if options.get("password_prompt") or options.get("password_stdin"):
            raise BadInput("--at: a scheduled user's password is generated when it is created.")
        starter = Starter(
            first_name=options["first_name"],
            last_name=options["last_name"],
            display_name=options["display_name"],
            username=options["user_principal_name"],
            usage_location=options["usage_location"] or "",
            sku_ids=(),
        )
        assert invocation.schedule is not None
        try:
            job = starter_schedule(
                customer=command_mirror(invocation),
                starter=starter,
                actor=invocation.audit().actor,
                ticket=invocation.ticket,
                schedule=invocation.schedule,
                form_id=uuid.UUID(options["request_id"]) if options["request_id"] else uuid.uuid4(),
            )
        except BulkJobRefused as refused:
            raise BadInput(f"--at: {refused}") from None
        lead, notes = scheduled_lead(job, f"the creation of {starter.username}")
        data: dict[str, Any] = {"user_principal_name": starter.username, "job": str(job.public_id)}
        data |= {"run_at": job.run_at, "state": job.state}
        self.output(invocation, data, lead=lead, notes=notes)
