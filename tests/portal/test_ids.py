"""Ids that arrive as text are parsed, or found to be nothing."""

from __future__ import annotations

import uuid

import pytest

from portal.ids import uuid_or_none

ID = uuid.UUID("0b7c2d7e-8f3a-4c51-9d0a-6a1f0e2b3c4d")


@pytest.mark.parametrize("value", [ID, str(ID), str(ID).upper(), ID.hex])
def test_a_uuid_in_any_spelling_is_parsed(value: uuid.UUID | str) -> None:
    assert uuid_or_none(value) == ID


@pytest.mark.parametrize("value", ["", "not-a-uuid", str(ID)[:-1], None])
def test_anything_else_is_none(value: str | None) -> None:
    assert uuid_or_none(value) is None
