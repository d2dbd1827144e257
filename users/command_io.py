"""What a `customer_user_*` command reads and writes: option values checked as they are parsed,
failures that carry the exit code, and the table or JSON it prints (see `users/commands.py`)."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, NoReturn
from urllib.parse import urlencode, urlsplit

from django.core.management.base import CommandError, CommandParser
from django_countries import countries

from portal.partnercenter import (
    ChangeWithheld,
    CustomerUser,
    DirectoryRole,
    License,
    LicenseGroupId,
    PartnerCenterError,
    SubscribedSku,
)
from portal.partnercenter import NotFound as PartnerCenterNotFound
from users.bulk.rules import RETENTION
from users.roles import role_is_privileged
from users.usernames import username_problems

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2  # as argparse exits for an unknown option
EXIT_NOT_ALLOWED = 3
EXIT_NOT_FOUND = 4

# What --what-if shows instead of a password it would send.
MASKED = "********"

# The seed's 50-character limit for names (the bulk upload checks the same).
MAX_NAME = 50

NOT_AN_ARGUMENT = (
    "A password is never taken from the command line (it would stay in the shell's history and "
    "show in the process list): use --password-prompt or --password-stdin, or let the portal "
    "generate one."
)


# --- Failures: the class name is what `manage.py` prints before the message ----------------------


class BadInput(CommandError):
    def __init__(self, message: str) -> None:
        super().__init__(message, returncode=EXIT_BAD_INPUT)


class NotAllowed(CommandError):
    def __init__(self, message: str) -> None:
        super().__init__(message, returncode=EXIT_NOT_ALLOWED)


class NotFound(CommandError):
    def __init__(self, message: str) -> None:
        super().__init__(message, returncode=EXIT_NOT_FOUND)


class Failed(CommandError):
    def __init__(self, message: str) -> None:
        super().__init__(message, returncode=EXIT_FAILED)


def one_line(text: str) -> str:
    return " ".join(str(text).split())


def partner_center_failure(
    error: PartnerCenterError, doing: str = "", *, message: str = ""
) -> CommandError:
    """One line with Partner Center's code and identifiers, to trace the call on its side.

    `doing` goes before the error's own message; `message` replaces it.
    """
    ids = [
        f"{label} {value}"
        for label, value in (
            ("code", error.code),
            ("correlation id", error.correlation_id),
            ("request id", error.request_id),
        )
        if value
    ]
    lead = f"{doing}: " if doing else ""
    text = one_line(f"{lead}{message or error}")
    text += f" [Partner Center {', '.join(ids)}]" if ids else ""
    if isinstance(error, PartnerCenterNotFound):
        return NotFound(text)
    return Failed(text)


# --- Option values -------------------------------------------------------------------------------


def uuid_value(text: str) -> str:
    """An object id (tenant, user): a GUID, written the usual way."""
    try:
        return str(uuid.UUID(text.strip()))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"'{text}' is not an id (a GUID such as 4b10bf41-ab11-40e3-8c53-cd67849b50de)"
        ) from None


def boolean_value(text: str) -> bool:
    """Only `true` or `false` (any case), as PowerShell's $true/$false."""
    lowered = text.strip().lower()
    if lowered in {"true", "$true"}:
        return True
    if lowered in {"false", "$false"}:
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, not '{text}'")


def country_value(text: str) -> str:
    """An ISO 3166 two-letter country code, any case in, upper case out ("" clears it)."""
    code = text.strip().upper()
    if not code:
        return ""
    if len(code) != 2 or countries.alpha2(code) != code:
        raise argparse.ArgumentTypeError(
            f"'{text}' is not a two-letter country code (e.g. US, GB, DE)"
        )
    return code


def name_value(text: str) -> str:
    value = text.strip()
    if len(value) > MAX_NAME:
        raise argparse.ArgumentTypeError(
            f"'{value[:20]}…' is {len(value)} characters long; the limit is {MAX_NAME}"
        )
    if any(not character.isprintable() for character in value):
        raise argparse.ArgumentTypeError("a name cannot contain line breaks or control characters")
    return value


def username_value(text: str) -> str:
    """A user principal name's form, name@domain (the customer's domains are checked later)."""
    value = text.strip()
    problems = username_problems(value, None)
    if problems:
        raise argparse.ArgumentTypeError(problems[0].message(f"'{value}'"))
    return value


def license_group_value(text: str) -> LicenseGroupId:
    """A license group, as PowerShell's -LicenseGroup: Group1 (Entra ID) or Group2 (Minecraft)."""
    try:
        return LicenseGroupId(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"'{text}' is not a license group (Group1: Microsoft Entra ID, Group2: Minecraft)"
        ) from None


class RefusePassword(argparse.Action):
    """`--password`: there to say why there is no such option, without echoing the value."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        parser.error(NOT_AN_ARGUMENT)


def add_user_choice(parser: CommandParser, *, required: bool) -> None:
    """`--user-id` or `--user-principal-name`: which user (one of them, when required)."""
    which = parser.add_mutually_exclusive_group(required=required)
    which.add_argument("--user-id", type=uuid_value, help="The user's object id.")
    which.add_argument(
        "--user-principal-name",
        type=username_value,
        metavar="UPN",
        help="The user's username (name@domain), instead of --user-id.",
    )


def add_license_group_choice(parser: CommandParser) -> None:
    """`--license-group`, repeatable, as PowerShell's -LicenseGroup (without it, Partner
    Center's default: Group1 only)."""
    parser.add_argument(
        "--license-group",
        type=license_group_value,
        action="append",
        metavar="Group1|Group2",
        help="Group1 (licenses Microsoft Entra ID manages; the default) or Group2 "
        "(Minecraft: Education Edition). Repeat it for both.",
    )


class OneLineParser(CommandParser):
    """A usage error in one line (no usage block), exit code 2 both from a shell and from
    call_command."""

    def error(self, message: str) -> NoReturn:
        prefix = "unrecognized arguments: "
        if message.startswith(prefix):
            # Name the options, not what followed them: `--pass S3cret` must not be echoed.
            words = message.removeprefix(prefix).split()
            message = prefix + " ".join(w.split("=", 1)[0] for w in words if w.startswith("-"))
        if self.called_from_command_line:
            self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {one_line(message)} (see --help)\n")
        raise BadInput(one_line(message))


# --- Output --------------------------------------------------------------------------------------


@contextmanager
def logs_on_stderr() -> Iterator[None]:
    """Log lines (a retry, a 404) on stderr while a command runs: the settings' handler writes
    to standard output, where a script reads the table or the JSON."""
    moved = [
        handler
        for handler in logging.getLogger().handlers
        if isinstance(handler, logging.StreamHandler)
        and handler.stream in (sys.stdout, sys.__stdout__)
    ]
    previous = [handler.setStream(sys.stderr) for handler in moved]
    try:
        yield
    finally:
        for handler, stream in zip(moved, previous, strict=True):
            handler.setStream(stream)


def count_of(rows: Sequence[object], noun: str) -> str:
    """`1 user`, `3 users`."""
    return f"{len(rows)} {noun}{'' if len(rows) == 1 else 's'}"


def user_data(user: CustomerUser) -> dict[str, Any]:
    """A user as the commands print it (JSON keys are the SDK's attribute names)."""
    data: dict[str, Any] = {
        "id": user.id,
        "user_principal_name": user.user_principal_name,
        "display_name": user.display_name,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "usage_location": user.usage_location,
        "state": user.state,
    }
    if user.soft_deletion_time is not None:
        data["soft_deletion_time"] = user.soft_deletion_time
        data["restorable_until"] = user.soft_deletion_time + RETENTION
    return data


def subscribed_sku_data(sku: SubscribedSku) -> dict[str, Any]:
    """A subscribed SKU with its seats, as the commands print it."""
    product = sku.product_sku
    return {
        "sku_id": product.id,
        "sku_part_number": product.sku_part_number,
        "name": product.name,
        "license_group_id": product.license_group_id,
        "available_units": sku.available_units,
        "consumed_units": sku.consumed_units,
        "total_units": sku.total_units,
        "capability_status": sku.capability_status,
    }


def license_data(license: License) -> dict[str, Any]:
    """A license a user holds, with its service plans."""
    product = license.product_sku
    return {
        "sku_id": product.id,
        "sku_part_number": product.sku_part_number,
        "name": product.name,
        "license_group_id": product.license_group_id,
        "service_plans": [plan.service_name or plan.id for plan in license.service_plans],
    }


def role_data(role: DirectoryRole) -> dict[str, Any]:
    """A directory role, and whether Microsoft marks it privileged (granting it asks first)."""
    return {"id": role.id, "name": role.name, "privileged": role_is_privileged(role.id, role.name)}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return f"{value.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
    if isinstance(value, list | tuple):
        return ", ".join(_text(item) for item in value)
    return str(value)


def _label(key: str) -> str:
    return key.replace("_", " ").capitalize()


def record_table(data: Mapping[str, Any]) -> str:
    """One object as `Label  value` lines."""
    width = max((len(_label(key)) for key in data), default=0)
    return "\n".join(f"{_label(key).ljust(width)}  {_text(value)}" for key, value in data.items())


def rows_table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> str:
    """Objects as a table with a header line; the last column is not padded."""
    cells = [[_label(column) for column in columns]]
    cells += [[_text(row.get(column)) for column in columns] for row in rows]
    widths = [max(len(line[index]) for line in cells) for index in range(len(columns))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in cells
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def masked(value: Any) -> Any:
    """`value` with every text under a key that names a password replaced by MASKED."""
    if isinstance(value, Mapping):
        return {
            key: MASKED
            if isinstance(item, str) and "password" in str(key).lower()
            else masked(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [masked(item) for item in value]
    return value


def withheld_data(change: ChangeWithheld) -> dict[str, Any]:
    """A request --what-if did not send: its method, path (and query) and body, no password."""
    parts = urlsplit(change.url)
    query = "&".join(part for part in (parts.query, urlencode(change.params, doseq=True)) if part)
    return {
        "method": change.method,
        "path": parts.path + (f"?{query}" if query else ""),
        "body": masked(change.body),
    }


def what_if_report(changes: Sequence[ChangeWithheld], *, as_json: bool) -> str:
    """What --what-if prints: each request that was not sent, as JSON or as readable lines."""
    requests = [withheld_data(change) for change in changes]
    if as_json:
        return json.dumps({"what_if": True, "requests": requests}, indent=2)
    lines = ["What if: nothing was sent or audited. Partner Center would get:"]
    for request in requests:
        lines.append(f"{request['method']} {request['path']}")
        if request["body"] is not None:
            lines.append(json.dumps(request["body"], indent=2))
    return "\n".join(lines)
