"""A real `db_worker` killed with SIGKILL in the middle of a bulk job, against a sandbox that is
slow, throttles, fails and loses answers: maintenance re-enqueues the job, a second worker
finishes it, and every user is created exactly once, every row has its final status, and the
passwords download once.

The worker processes share this test's databases: the SQLite test databases are files (see
`_sqlite()` in settings) and PostgreSQL's are reachable by name, so the child gets the same
environment with DATABASE_URL and SANDBOX_DATABASE_URL naming the test databases. Nothing here
sleeps for a fixed time: it polls the database until a condition holds or a deadline passes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.db import connections
from django.utils import timezone

from portal.sandbox.models import CustomerUser, LicenseAssignment
from tests.sandbox_data import BUSINESS_BASIC
from tests.users.bulk_jobs_support import Scene, faults, make_scene, save_job
from users.bulk.jobs import bulk_job_retry_failed
from users.bulk.lease import bulk_jobs_recover
from users.bulk.models import BulkJob, BulkRow
from users.bulk.passwords import PasswordsRefused, bulk_passwords_download
from users.bulk.worker import bulk_job_run

pytestmark = [
    pytest.mark.django_db(transaction=True, databases=["default", "sandbox"]),
    pytest.mark.usefixtures("empty_cache"),
]

USERS = 40
CHILD_LEASE_SECONDS = 5
DEADLINE_SECONDS = 120.0


def database_url(alias: str, variable: str) -> str:
    """A URL for the child that names this run's test database of `alias`."""
    database = connections[alias].settings_dict
    if database["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{Path(database['NAME']).resolve()}"
    # PostgreSQL: the server and credentials this run was given, the test database's name.
    base = os.environ.get(variable) or os.environ["DATABASE_URL"]
    return urlunsplit(urlsplit(base)._replace(path=f"/{database['NAME']}"))


def child_env() -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "PORTAL_DATA_DIR": str(settings.DATA_DIR),
        "DATABASE_URL": database_url("default", "DATABASE_URL"),
        "SANDBOX_DATABASE_URL": database_url("sandbox", "SANDBOX_DATABASE_URL"),
        "PORTAL_BULK_CONCURRENCY": "4",
        "PORTAL_BULK_LEASE_SECONDS": str(CHILD_LEASE_SECONDS),
        "PYTHONUNBUFFERED": "1",
    }


class Workers:
    """Real `manage.py db_worker` processes, each logging to its own file."""

    def __init__(self) -> None:
        self.processes: list[tuple[subprocess.Popen[bytes], IO[bytes]]] = []

    def start(self, worker_id: str) -> subprocess.Popen[bytes]:
        log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in stop_all)
        process = subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "db_worker",
                "--queue-name",
                "default",
                "--interval",
                "0.1",
                "--no-startup-delay",
                "--no-reload",
                "--worker-id",
                worker_id,
            ],
            cwd=settings.BASE_DIR,
            env=child_env(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.processes.append((process, log))
        return process

    def output(self) -> str:
        text = []
        for process, log in self.processes:
            log.seek(0)
            text.append(f"--- worker pid {process.pid} ---\n{log.read().decode(errors='replace')}")
        return "\n".join(text)

    def stop_all(self) -> None:
        for process, log in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            log.close()


@pytest.fixture
def workers() -> Iterator[Workers]:
    started = Workers()
    yield started
    started.stop_all()


def wait_until(condition: Callable[[], bool], workers: Workers, what: str) -> None:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"Timed out waiting until {what}.\n{workers.output()}")
        for process, _ in workers.processes:
            if process.poll() not in (None, -signal.SIGKILL, 0):
                pytest.fail(f"A worker exited with {process.returncode}.\n{workers.output()}")
        time.sleep(0.05)  # a polling interval, not a wait for something to happen


def count(job: BulkJob, *states: str) -> int:
    return BulkRow.objects.filter(job=job, state__in=states).count()


def test_a_worker_killed_mid_job_loses_no_row_and_creates_nobody_twice(
    admin_agent: User, workers: Workers
) -> None:
    scene: Scene = make_scene(admin_agent)
    faults(
        latency_ms=100,
        error_rate=0.1,
        lost_response_rate=0.15,
        throttle_rate=0.1,
        retry_after_seconds=1,
        random_seed=7,
    )
    job = save_job(scene, USERS, sku_ids=(BUSINESS_BASIC,))

    kill_the_first_worker_mid_job(job, workers)

    job.refresh_from_db()
    assert job.state == BulkJob.RUNNING and job.lease_owner
    assert count(job, BulkRow.CREATED) < USERS
    in_doubt = count(job, BulkRow.WORKING)
    # The dead worker's lease runs out; maintenance hands the job to a new task.
    assert bulk_jobs_recover(now=timezone.now() + timedelta(seconds=CHILD_LEASE_SECONDS * 3))
    workers.start("second")
    wait_until(
        lambda: BulkJob.objects.get(pk=job.pk).state == BulkJob.FINISHED,
        workers,
        "the second worker finishes the job",
    )

    # Four failures in a row end a row as failed or unknown: Retry failed rows finishes those.
    retry_failed_rows_without_faults(job, scene)

    assert_every_user_created_once(job, scene, workers, in_doubt)

    file = bulk_passwords_download(job=job, staff=admin_agent, actor=scene.actor)
    assert file.count == USERS
    with pytest.raises(PasswordsRefused, match="already downloaded"):
        bulk_passwords_download(job=job, staff=admin_agent, actor=scene.actor)


def kill_the_first_worker_mid_job(job: BulkJob, workers: Workers) -> None:
    """Start a worker, and SIGKILL it once it has created some rows and is working on more."""
    first = workers.start("first")
    wait_until(
        lambda: count(job, BulkRow.CREATED) >= USERS // 5 and count(job, BulkRow.WORKING) >= 1,
        workers,
        "the first worker is mid-job",
    )
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=15)
    assert first.returncode == -signal.SIGKILL


def retry_failed_rows_without_faults(job: BulkJob, scene: Scene) -> None:
    """Clear the faults, then Retry failed rows (up to three times) until none is left."""
    faults(latency_ms=0, error_rate=0.0, lost_response_rate=0.0, throttle_rate=0.0)
    for _ in range(3):
        if not count(job, BulkRow.FAILED, BulkRow.UNKNOWN):
            break
        bulk_job_retry_failed(job=job, actor=scene.actor)
        bulk_job_run(job_id=job.pk, concurrency=2)


def assert_every_user_created_once(
    job: BulkJob, scene: Scene, workers: Workers, in_doubt: int
) -> None:
    """Every row is created, with exactly one user and one licence each."""
    rows = list(BulkRow.objects.filter(job=job).order_by("number"))
    assert len(rows) == USERS
    assert [row.state for row in rows] == [BulkRow.CREATED] * USERS, workers.output()
    assert all(row.status_update.startswith("Created") for row in rows)
    for row in rows:
        users = CustomerUser.objects.filter(
            customer=scene.customer, user_principal_name__iexact=row.email
        )
        assert [str(user.id) for user in users] == [row.user_id], row.email
    assert LicenseAssignment.objects.filter(user__customer=scene.customer).count() == USERS
    assert in_doubt == 0 or any(row.attempts > 1 for row in rows)
