"""Heartbeats of the task workers and the maintenance loop; a worker that lives through a
database outage."""

from __future__ import annotations

import logging
import signal
import time
from contextlib import nullcontext
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import OperationalError
from django.test import Client
from django.utils import timezone
from django_tasks_db.management.commands import db_worker

from portal import heartbeat
from portal.heartbeat import beat, heartbeat_fresh, heartbeat_running, heartbeats
from portal.management.commands import portal_worker
from portal.models import Heartbeat


@pytest.mark.django_db
def test_a_beat_is_seen_then_goes_stale_then_is_pruned() -> None:
    now = timezone.now()
    beat(role="worker", started_at=now, now=now)
    (seen,) = heartbeats(now=now + timedelta(seconds=5))
    assert (seen.role, seen.seconds_ago, seen.alive) == ("worker", 5, True)
    assert heartbeat_fresh(role="worker", now=now + timedelta(seconds=5))
    assert not heartbeat_fresh(role="maintenance", now=now)
    later = now + heartbeat.STALE + timedelta(seconds=1)
    assert not heartbeat_fresh(role="worker", now=later)
    assert heartbeats(now=later)[0].alive is False
    assert heartbeat.heartbeats_prune(now=now + heartbeat.GONE + timedelta(seconds=1)) == 1


@pytest.mark.django_db(transaction=True)
def test_a_running_process_beats_from_a_thread_of_its_own() -> None:
    with heartbeat_running("maintenance"):
        deadline = time.monotonic() + 5
        while not Heartbeat.objects.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
    row = Heartbeat.objects.get()
    assert row.role == "maintenance" and row.process == heartbeat.process_name()


@pytest.mark.django_db
def test_the_container_check_says_whether_this_hosts_process_is_alive() -> None:
    with pytest.raises(CommandError, match="No worker process on this host"):
        call_command("portal_heartbeat", "--role", "worker", stdout=StringIO())
    beat(role="worker", started_at=timezone.now())
    out = StringIO()
    call_command("portal_heartbeat", "--role", "worker", stdout=out)
    assert out.getvalue().strip() == "worker: alive"


@pytest.mark.django_db
def test_healthz_full_lists_the_processes_and_plain_healthz_does_not(client: Client) -> None:
    beat(role="directory", started_at=timezone.now())
    assert "processes" not in client.get("/healthz").json()
    (process,) = client.get("/healthz", {"full": ""}).json()["processes"]
    assert process["role"] == "directory" and process["alive"] is True


def test_the_worker_waits_out_a_database_outage_and_carries_on(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    runs: list[str] = []

    def worker_run(self: object, *args: object, **options: object) -> None:
        runs.append(str(options.get("backend_name")))
        if len(runs) < 3:
            raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(db_worker.Command, "handle", worker_run)
    monkeypatch.setattr(portal_worker, "heartbeat_running", lambda role: nullcontext())
    monkeypatch.setattr(portal_worker, "FIRST_WAIT", 0.01)
    handlers: list[object] = []
    monkeypatch.setattr(signal, "signal", lambda *a: handlers.append(a))
    with caplog.at_level(logging.WARNING, logger="portal.worker"):
        portal_worker.Command().handle(backend_name="directory")
    assert runs == ["directory"] * 3
    lines = [r.getMessage() for r in caplog.records if r.name == "portal.worker"]
    assert len(lines) == 2
    assert lines[0].startswith("Task worker (directory): the database does not answer")
    assert "\n" not in lines[0]
    assert len(handlers) == 4  # SIGTERM and SIGINT stop it during each wait
