"""Browser tests drive Debian's Chromium: Playwright's own browser download does not work here."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.db import transaction
from pytest_django.fixtures import Settings

from portal.routers import SANDBOX_DB
from portal.sandbox import seed
from tests.sandbox_copy import SEED_COPY

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).parent / "screenshots"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make setup-browser` (apt-get install chromium).")
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """A git-ignored folder for a picture of every screen, to look at after a run."""
    SCREENSHOTS.mkdir(exist_ok=True)
    return SCREENSHOTS


@pytest.fixture
def live_sandbox(settings: Settings) -> Iterator[None]:
    """The demo data in the sandbox for a live-server test, wiped after it; nothing runs by
    itself (the Dummy task backend: a test runs a job's task body when it means to)."""
    settings.TASKS = {
        **settings.TASKS,
        "default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"},
    }
    SEED_COPY.seed()
    cache.clear()  # the cache table is not flushed between transactional tests
    yield
    cache.clear()
    with transaction.atomic(using=SANDBOX_DB):
        seed.sandbox_wipe()
