"""The customers app's view tests: the seeded sandbox, a cold cache, no background worker."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from django.core.cache import cache
from django.db import transaction
from pytest_django import DjangoDbBlocker
from pytest_django.fixtures import Settings

from portal.routers import SANDBOX_DB
from portal.sandbox import seed


@pytest.fixture(scope="module")
def seeded_sandbox(django_db_setup: None, django_db_blocker: DjangoDbBlocker) -> Iterator[None]:
    """The demo data, seeded once per module (read-only tests leave it as it was)."""
    with django_db_blocker.unblock():
        seed.sandbox_seed(reset=True)
        yield
        with transaction.atomic(using=SANDBOX_DB):
            seed.sandbox_wipe()


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
