"""Strict readers for configuration from the environment.

Every reader names the variable in its error, so a malformed deployment fails at start-up with a
message that says which variable to fix, instead of running on a silently wrong default.
"""

from __future__ import annotations

import os
from pathlib import Path

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
