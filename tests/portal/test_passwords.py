"""Generated temporary passwords and the password rules the forms check before Partner Center."""

from __future__ import annotations

import pytest

from portal.csvsafe import safe_cell
from portal.passwords import generate_password, password_problem


def test_generated_passwords_have_all_four_kinds_and_differ() -> None:
    passwords = {generate_password() for _ in range(200)}
    assert len(passwords) == 200
    for password in passwords:
        assert len(password) == 16
        assert any(ch.islower() for ch in password)
        assert any(ch.isupper() for ch in password)
        assert any(ch.isdigit() for ch in password)
        assert any(not ch.isalnum() for ch in password)
        assert not set(password) & set("0O1lI,;\"'` ")
        assert password[0].isalnum()  # a CSV would neutralise a leading + - = @ with a '
        assert safe_cell(password) == password
        assert password_problem(password) is None


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("Short1!", "8 to 256"),
        ("alllowercase1", "three of these four"),
        ("Ünïcödé-Pass1", "letters A–Z"),
        ("Sentence with spaces 1", None),
        ("Abcdefg1", None),
    ],
)
def test_password_problems_are_named(password: str, problem: str | None) -> None:
    found = password_problem(password)
    assert (found is None) if problem is None else (problem in (found or ""))


def test_a_password_shorter_than_entra_allows_cannot_be_generated() -> None:
    with pytest.raises(ValueError, match="at least 8"):
        generate_password(7)
