"""The one username rule. Add user, the user page, a bulk upload's Email column and the commands
all check a username here, and each words the answer for where it is shown.

A username (Entra's user principal name) is an alias, an @ and one of the customer's domains.
The alias has 1 to 64 characters among the ASCII letters, digits and `. - _ ! # ^ ~ '`, with no
dot at either end and no two in a row; the domain has ASCII letters, digits, dots and hyphens.
Both are compared in ASCII lower case only: `str.casefold` would let `ſ` pass as `s` or the
Kelvin sign as `k`, which Validate would then accept and Partner Center refuse when the job runs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from customers.directory.text import ascii_lower

MAX_ALIAS: Final = 64
USERNAME_TAKEN: Final = (
    "Another user of this customer already has this username. Choose another one."
)
ALIAS_CHARACTERS_TEXT: Final = "letters A-Z, digits and . - _ ! # ^ ~ '"
_ALIAS_CHARACTER: Final = re.compile(r"[A-Za-z0-9.\-_!#^~']")
_DOMAIN_CHARACTER: Final = re.compile(r"[A-Za-z0-9.\-]")


@dataclass(frozen=True)
class UsernameProblem:
    """One thing wrong with a username; `message` words it for the place it is shown."""

    kind: str  # "address", "alias_characters", "alias_length", "dot_at_edge", "double_dot",
    #            "domain_characters", "domain"
    found: str = ""  # the offending characters, quoted, or the customer's domains
    length: int = 0

    def message(self, subject: str, *, customer: str = "this customer") -> str:
        """The problem as a sentence about `subject` (e.g. "Email 'x'", "'x'", "This username")."""
        the_alias = f"{subject}: the part before the @"
        return {
            "address": (
                f"{subject} is not an email address: it needs a name, an @ and one of "
                f"{customer}'s domains."
            ),
            "alias_characters": (
                f"{the_alias} may only have {ALIAS_CHARACTERS_TEXT} (remove {self.found})."
            ),
            "alias_length": f"{the_alias} is {self.length} characters long; the limit is 64.",
            "dot_at_edge": f"{the_alias} cannot start or end with a dot.",
            "double_dot": f"{the_alias} cannot have two dots in a row.",
            "domain_characters": (
                f"{subject}: the domain may only have letters A-Z, digits, dots and hyphens "
                f"(remove {self.found})."
            ),
            "domain": (
                f"{subject} is not at one of {customer}'s domains ({self.found}). Use one of them."
            ),
        }[self.kind]


def alias_problem(alias: str) -> UsernameProblem | None:
    """The first thing wrong with the part before the @, or None."""
    wrong = _outside(alias, _ALIAS_CHARACTER)
    if wrong:
        return UsernameProblem("alias_characters", found=wrong)
    if len(alias) > MAX_ALIAS:
        return UsernameProblem("alias_length", length=len(alias))
    if alias.startswith(".") or alias.endswith("."):
        return UsernameProblem("dot_at_edge")
    if ".." in alias:
        return UsernameProblem("double_dot")
    return None


def customer_domain(domain: str, domains: Iterable[str]) -> str | None:
    """The customer's domain `domain` names (in ASCII lower case), as Partner Center spells it."""
    wanted = ascii_lower(domain)
    return next((name for name in domains if ascii_lower(name) == wanted), None)


def username_problems(username: str, domains: Iterable[str] | None) -> list[UsernameProblem]:
    """What is wrong with `username`: its alias's first problem, then its domain's — not ASCII, or
    not one of `domains` (None: the customer's domains are checked later). Empty when it is fine."""
    alias, at, domain = username.rpartition("@")
    if not (at and alias and domain):
        return [UsernameProblem("address")]
    problems = [problem] if (problem := alias_problem(alias)) else []
    wrong = _outside(domain, _DOMAIN_CHARACTER)
    if wrong:
        problems.append(UsernameProblem("domain_characters", found=wrong))
    elif domains is not None:
        names = list(domains)
        if customer_domain(domain, names) is None:
            problems.append(UsernameProblem("domain", found=", ".join(names)))
    return problems


def _outside(text: str, allowed: re.Pattern[str]) -> str:
    """The characters of `text` that `allowed` refuses, each once and quoted ('' when none)."""
    wrong = dict.fromkeys(char for char in text if not allowed.fullmatch(char))
    return ", ".join("the space" if char == " " else f"'{char}'" for char in wrong)


@dataclass(frozen=True)
class UsernameStatus:
    """What Add user says about a username as it is typed: `ok` and a sentence."""

    ok: bool
    message: str


def username_status(
    alias: str, domain: str, *, domains: Iterable[str], holders: Mapping[str, Sequence[str]]
) -> UsernameStatus | None:
    """Whether `alias@domain` is free for a new user: its first problem, or taken by an active
    user, or free (noting a deleted user who had it). `holders` maps a username in ASCII lower
    case to its users' states ("active", "deleted"), as the directory knows them. None while
    there is nothing to say (no alias yet)."""
    alias = alias.strip()
    if not alias:
        return None
    username = f"{alias}@{domain.strip()}"
    problems = username_problems(username, domains)
    if problems:
        return UsernameStatus(False, problems[0].message("This username"))
    states = holders.get(ascii_lower(username), ())
    if "active" in states:
        return UsernameStatus(False, USERNAME_TAKEN)
    if states:
        return UsernameStatus(
            True,
            f"{username} is free. A deleted user had it: restoring that user later will "
            "conflict with this one.",
        )
    return UsernameStatus(True, f"{username} is free.")
