"""Strict readers for configuration from the environment.

Every reader names the variable in its error, so a malformed deployment fails at start-up with a
message that says which variable to fix, instead of running on a silently wrong default.
"""

from __future__ import annotations

import ipaddress
import os
import zoneinfo
from pathlib import Path
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = "true"
_FALSE = "false"


def env_str(name: str, default: str = "") -> str:
    """The variable's value with surrounding spaces removed, or `default` when unset or empty."""
    value = os.environ.get(name, "").strip()
    return value or default


def env_bool(name: str, *, default: bool) -> bool:
    """`true` or `false` (any case); anything else is an error rather than a guess."""
    raw = env_str(name)
    if not raw:
        return default
    lowered = raw.lower()
    if lowered == _TRUE:
        return True
    if lowered == _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be 'true' or 'false', not {raw!r}.")


def env_int(name: str, *, default: int, minimum: int | None = None) -> int:
    """A whole number, optionally with a lower bound."""
    raw = env_str(name)
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}.") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {value}.")
    return value


def env_float(name: str, *, default: float, minimum: float = 0.0, maximum: float = 1.0) -> float:
    """A number within [minimum, maximum]."""
    raw = env_str(name)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, not {raw!r}.") from None
    if not minimum <= value <= maximum:
        raise ImproperlyConfigured(f"{name} must be between {minimum} and {maximum}, not {value}.")
    return value


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    """A comma-separated list; empty items are dropped."""
    raw = env_str(name)
    if not raw:
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_choice(name: str, choices: tuple[str, ...], *, default: str) -> str:
    """One of a fixed set of lower-case words."""
    raw = env_str(name, default).lower()
    if raw not in choices:
        allowed = ", ".join(repr(choice) for choice in choices)
        raise ImproperlyConfigured(f"{name} must be one of {allowed}, not {raw!r}.")
    return raw


def env_secret(name: str) -> str:
    """A secret from `NAME`, or from the file named by `NAME_FILE` (Docker and Kubernetes secrets).

    Setting both is an error: which one wins would otherwise depend on reading this code.
    """
    direct = os.environ.get(name, "").strip()
    file_name = env_str(f"{name}_FILE")
    if direct and file_name:
        raise ImproperlyConfigured(f"Set {name} or {name}_FILE, not both.")
    if not file_name:
        return direct
    try:
        return Path(file_name).read_text(encoding="utf-8").strip()
    except OSError as error:
        raise ImproperlyConfigured(
            f"{name}_FILE names {file_name!r}, which cannot be read: {error.strerror}."
        ) from None


def env_networks(name: str) -> list[str]:
    """A comma-separated list of IP addresses or networks (CIDR), each checked."""
    networks = env_list(name)
    for item in networks:
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise ImproperlyConfigured(
                f"{name}: {item!r} is not an IP address or network (e.g. 10.0.0.0/8)."
            ) from None
    return networks


def env_time_zone(name: str, default: str) -> str:
    """An IANA time zone name (Europe/Berlin), checked against the zone database."""
    zone = env_str(name, default)
    try:
        zoneinfo.ZoneInfo(zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ImproperlyConfigured(
            f"{name}: {zone!r} is not a time zone; use an IANA name such as Europe/Berlin."
        ) from None
    return zone


def checked_url(name: str, value: str, *, schemes: tuple[str, ...], secret: bool = False) -> str:
    """`value` (the value of `name`) if it is an absolute URL with one of `schemes` and a host.
    The refusal quotes the value unless it is `secret` (it may hold a password)."""
    parts = urlsplit(value)
    if parts.scheme not in schemes or not (parts.hostname or parts.scheme == "unix"):
        allowed = " or ".join(f"{scheme}://" for scheme in schemes)
        shown = "" if secret else f", not {value!r}"
        raise ImproperlyConfigured(f"{name} must be a URL starting with {allowed}{shown}.")
    return value
