"""The customers app's view tests: the seeded sandbox, a cold cache, no background worker."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from django.core.cache import cache
from pytest_django.fixtures import Settings


@pytest.fixture
def cold_cache(settings: Settings) -> Iterator[None]:
    """An empty directory, not even the customers list; syncs are queued, never run."""
    settings.TASKS = {
        **settings.TASKS,
        "default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"},
    }
    cache.clear()
    yield
    cache.clear()


class SandboxCalls:
    """Counts the Partner Center calls the sandbox answered (it logs each at DEBUG)."""

    def __init__(self, caplog: pytest.LogCaptureFixture) -> None:
        self._caplog = caplog
        caplog.set_level(logging.DEBUG, logger="portal.sandbox")

    def since(self, start: int = 0) -> int:
        calls = [r for r in self._caplog.records if r.name == "portal.sandbox"]
        return len(calls) - start

    @property
    def count(self) -> int:
        return self.since()


@pytest.fixture
def sandbox_calls(caplog: pytest.LogCaptureFixture) -> SandboxCalls:
    return SandboxCalls(caplog)
