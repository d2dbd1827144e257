"""Ids that arrive as text (a hidden form field, a link): parsed, or None when malformed."""

from __future__ import annotations

import uuid


def uuid_or_none(value: uuid.UUID | str | None) -> uuid.UUID | None:
    """`value` as a UUID, or None when it is not one (a malformed id then finds nothing)."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None
