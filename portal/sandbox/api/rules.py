"""Entra's rules for user data, as the sandbox enforces them on create and update."""

from __future__ import annotations

import re

from django_countries import countries

from portal.sandbox.api.wire import invalid

# Entra's documented username alias characters; no leading, trailing or double dot.
_ALIAS = re.compile(r"^[A-Za-z0-9'._!#^~-]{1,64}$")
_DOMAIN = re.compile(
    r"^(?=.{1,48}$)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$"
)
# Characters Entra accepts in a password (besides letters and digits).
_PASSWORD_SYMBOLS = set("@#$%^&*-_!+=[]{}|\\:',.?/`~\"();<> ")

LIMITS = {
    "displayname": 256,
    "firstname": 64,
    "lastname": 64,
    "immutableid": 256,
    "phonenumber": 64,
}


def check_username(upn: str, domains: set[str]) -> str:
    """The username, checked: a valid alias at one of the customer's domains."""
    alias, at, domain = upn.rpartition("@")
    if not at or not alias:
        raise invalid(f"The userPrincipalName {upn!r} must have the form alias@domain.")
    if not _ALIAS.match(alias) or alias.startswith(".") or alias.endswith(".") or ".." in alias:
        raise invalid(
            f"The userPrincipalName {upn!r} has an invalid alias: use at most 64 letters, "
            "digits and . - _ ! # ^ ~ ' (no leading, trailing or double dot)."
        )
    if not _DOMAIN.match(domain.lower()):
        raise invalid(f"The domain of the userPrincipalName {upn!r} is not a valid domain name.")
    if domain.lower() not in domains:
        raise invalid(
            f"The domain {domain!r} of the userPrincipalName is not a verified domain of this "
            "customer."
        )
    return upn


def check_length(field: str, value: str) -> str:
    limit = LIMITS[field]
    if len(value) > limit:
        raise invalid(f"The property {field} must be at most {limit} characters long.")
    return value


def check_usage_location(code: str) -> str:
    """An ISO 3166-1 alpha-2 country code, upper-case."""
    upper = code.upper()
    if len(upper) != 2 or countries.alpha2(upper) != upper:
        raise invalid(f"The usageLocation {code!r} is not an ISO 3166 two-letter country code.")
    return upper


def check_password(password: str) -> None:
    """Entra's complexity rules: 8–256 allowed characters, three of the four kinds."""
    complaint = invalid(
        "The specified password does not comply with password complexity requirements. "
        "Please provide a different password."
    )
    if not 8 <= len(password) <= 256:
        raise complaint
    if any(not (ch.isascii() and ch.isalnum()) and ch not in _PASSWORD_SYMBOLS for ch in password):
        raise complaint
    kinds = (
        any(ch.islower() for ch in password)
        + any(ch.isupper() for ch in password)
        + any(ch.isdigit() for ch in password)
        + any(ch in _PASSWORD_SYMBOLS for ch in password)
    )
    if kinds < 3:
        raise complaint
