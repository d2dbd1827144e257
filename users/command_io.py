"""What a `customer_user_*` command reads and writes: option values checked as they are parsed,
failures that carry the exit code, and the table or JSON it prints (see `users/commands.py`)."""

from __future__ import annotations

import argparse
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, NoReturn

from django.core.management.base import CommandError, CommandParser
from django_countries import countries

from portal.partnercenter import CustomerUser, PartnerCenterError
from portal.partnercenter import NotFound as PartnerCenterNotFound
from users.bulk.rules import RETENTION
from users.usernames import username_problems

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2  # as argparse exits for an unknown option
EXIT_NOT_ALLOWED = 3
EXIT_NOT_FOUND = 4

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
