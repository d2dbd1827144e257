"""`manage.py sandbox_faults`: show or change the faults the running sandbox injects.

The settings live in the sandbox's database, so a change here reaches every running process at
its next call, with no restart.
"""

from __future__ import annotations

import math
from argparse import ArgumentParser
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from portal.routers import SANDBOX_DB
from portal.sandbox.models import FaultSettings

_BOOLEANS = {"true": True, "false": False}


def _rate(value: Any) -> float:
    rate = float(value)
    if not 0.0 <= rate <= 1.0:
        raise ValueError("must be between 0 and 1")
    return rate


def _count(value: Any) -> int:
    number = int(value)
    if number < 0:
        raise ValueError("must be 0 or more")
    return number


def _non_negative(value: Any) -> float:
    number = float(value)
    if not 0 <= number < math.inf:
        raise ValueError("must be a number, 0 or more")
    return number


def _seed(value: Any) -> int | None:
    if str(value).lower() == "none":
        return None  # random faults differ from run to run again
    return int(value)


def _duplicate_status(value: Any) -> int:
    status = int(value)
    if status not in (FaultSettings.DUPLICATE_409, FaultSettings.DUPLICATE_400):
        raise ValueError("must be 409 or 400")
    return status


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    try:
        return _BOOLEANS[str(value).lower()]
    except KeyError:
        raise ValueError("must be true or false") from None


@dataclass(frozen=True)
class _Option:
    flag: str
    field: str
    convert: Callable[[Any], Any]
    metavar: str

    @property
    def dest(self) -> str:
        return self.flag.removeprefix("--").replace("-", "_")


OPTIONS = (
    _Option("--latency-ms", "latency_ms", _count, "N"),
    _Option("--error-rate", "error_rate", _rate, "X"),
    _Option("--lost-response-rate", "lost_response_rate", _rate, "X"),
    _Option("--throttle-rate", "throttle_rate", _rate, "X"),
    _Option("--throttle-capacity", "throttle_capacity", _count, "N"),
    _Option("--throttle-refill", "throttle_refill_per_second", _non_negative, "X"),
    _Option("--retry-after", "retry_after_seconds", _count, "N"),
    _Option("--duplicate-status", "duplicate_status", _duplicate_status, "{409,400}"),
    _Option("--next-link-v1", "next_link_with_v1", _boolean, "{true,false}"),
    _Option("--bom", "emit_bom", _boolean, "{true,false}"),
    _Option("--seed", "random_seed", _seed, "{N,none}"),
)


# Model fields without a help text of their own.
_MISSING_HELP = {"throttle_refill_per_second": "Tokens a customer's bucket regains per second."}


class Command(BaseCommand):
    help = "Show the sandbox's fault settings, or change them with the options below."

    def add_arguments(self, parser: ArgumentParser) -> None:
        for option in OPTIONS:
            # Values stay strings here and are checked in handle(), so that call_command(...)
            # with keyword arguments, which skips argparse's conversion, is checked the same way.
            parser.add_argument(
                option.flag,
                dest=option.dest,
                metavar=option.metavar,
                help=_help(option) or None,
            )
        parser.add_argument(
            "--reset", action="store_true", help="Put every setting back to its default first."
        )

    def handle(self, *args: Any, reset: bool, **options: Any) -> None:
        if not settings.SANDBOX_ENABLED:
            raise CommandError("The sandbox is off in live mode; it injects no faults.")
        changes = self._changes(options)  # all checked before anything is written
        with transaction.atomic(using=SANDBOX_DB):
            faults = FaultSettings.current()
            if reset:
                faults = FaultSettings(pk=faults.pk)
            for field_name, value in changes.items():
                setattr(faults, field_name, value)
            if reset or changes:
                faults.save()
        if reset or changes:
            self.stdout.write(self.style.SUCCESS("Fault settings changed."))
        self.stdout.write(format_fault_settings(faults))

    def _changes(self, options: dict[str, Any]) -> dict[str, Any]:
        changes: dict[str, Any] = {}
        for option in OPTIONS:
            raw = options.get(option.dest)
            if raw is None:
                continue
            try:
                changes[option.field] = option.convert(raw)
            except ValueError as error:
                reason = str(error) if "must" in str(error) else "is not a valid value"
                raise CommandError(
                    f"{option.flag} {reason} (got {raw!r}); nothing was changed."
                ) from None
        return changes


def _help(option: _Option) -> str:
    help_text = str(getattr(FaultSettings._meta.get_field(option.field), "help_text", ""))
    return help_text or _MISSING_HELP.get(option.field, "")


def format_fault_settings(faults: FaultSettings) -> str:
    """A readable table: the option that sets each value, the value, and what it does."""
    lines = ["Sandbox fault settings:"]
    width = max(len(option.flag) for option in OPTIONS)
    for option in OPTIONS:
        value = getattr(faults, option.field)
        shown = (
            "none" if value is None else str(value).lower() if isinstance(value, bool) else value
        )
        help_text = _help(option)
        lines.append(f"  {option.flag:<{width}}  {shown!s:<8}  {help_text}".rstrip())
    return "\n".join(lines)
