"""Temporary passwords: generated when a user is saved, shown once, kept nowhere in plain text."""

from __future__ import annotations

import secrets

# No look-alikes (0/O, 1/l/I) so a password read aloud or retyped from a screen survives, and only
# symbols that Entra accepts and that need no quoting in a CSV or a shell.
_LOWER = "abcdefghijkmnpqrstuvwxyz"
_UPPER = "ABCDEFGHJKLMNPQRSTUVWXYZ"
_DIGITS = "23456789"
_SYMBOLS = "!#%+-.:=?@_"
LENGTH = 16


def generate_password(length: int = LENGTH) -> str:
    """A random password meeting Entra's complexity rules (all four kinds of character)."""
    if length < 8:
        raise ValueError("Entra passwords have at least 8 characters.")
    kinds = [_LOWER, _UPPER, _DIGITS, _SYMBOLS]
    alphabet = "".join(kinds)
    chosen = [secrets.choice(kind) for kind in kinds]
    chosen += [secrets.choice(alphabet) for _ in range(length - len(chosen))]
    # Shuffle so the guaranteed characters are not always in front.
    for index in range(len(chosen) - 1, 0, -1):
        swap = secrets.randbelow(index + 1)
        chosen[index], chosen[swap] = chosen[swap], chosen[index]
    # Never a symbol first: a CSV cell starting with + - = @ is neutralised with a leading ' (so
    # a spreadsheet cannot run it as a formula), which would change the password downloaded.
    if not chosen[0].isalnum():
        first = next(index for index, char in enumerate(chosen) if char.isalnum())
        chosen[0], chosen[first] = chosen[first], chosen[0]
    return "".join(chosen)


def password_problem(password: str) -> str | None:
    """Why Entra would refuse this password, in words for the form; None when it is fine."""
    if not 8 <= len(password) <= 256:
        return "A password has 8 to 256 characters."
    if any(not ch.isascii() or (not ch.isprintable()) for ch in password):
        return "A password uses letters A–Z, digits, spaces and common symbols only."
    kinds = sum(
        [
            any(ch.islower() for ch in password),
            any(ch.isupper() for ch in password),
            any(ch.isdigit() for ch in password),
            any(not ch.isalnum() for ch in password),
        ]
    )
    if kinds < 3:
        return (
            "A password needs three of these four: lower-case letters, upper-case letters, "
            "digits, symbols."
        )
    return None
