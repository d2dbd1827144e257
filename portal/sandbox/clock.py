"""The sandbox's clock.

Every piece of the sandbox asks this module for the time, so a test can move time (for example
past the 30-day retention window) by monkeypatching `portal.sandbox.clock.now`, without touching
the real clock or waiting.
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone


def now() -> datetime:
    """The current time, aware and in UTC."""
    return timezone.now()
