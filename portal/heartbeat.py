"""Heartbeats of the long-running processes: the task workers and the maintenance loop.

Each writes its row (`Heartbeat`, by host and pid) every `EVERY` seconds from a thread of its
own, so a process busy with a long task still says it is alive, and a database outage costs one
log line a minute rather than the process. `/healthz?full` lists every process and how long ago
it was seen; `manage.py portal_heartbeat --role R` is a container's health check (this host's
process of that role was seen in the last `STALE` seconds). Rows of processes gone for a day are
pruned by the maintenance loop.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from django.db import DatabaseError, connections
from django.utils import timezone

from portal.models import Heartbeat

logger = logging.getLogger("portal.heartbeat")

EVERY: Final = 10.0  # seconds between two beats
STALE: Final = timedelta(seconds=60)  # a process not seen for this long is not alive
GONE: Final = timedelta(days=1)  # rows older than this are pruned


def process_name() -> str:
    return f"{socket.gethostname()[:100]}:{os.getpid()}"


def beat(*, role: str, started_at: datetime, now: datetime | None = None) -> None:
    Heartbeat.objects.update_or_create(
        process=process_name(),
        defaults={
            "role": role,
            "host": socket.gethostname()[:120],
            "started_at": started_at,
            "seen_at": now or timezone.now(),
        },
    )


@contextmanager
def heartbeat_running(role: str) -> Iterator[None]:
    """Beat every EVERY seconds from a daemon thread while the block runs."""
    stop = threading.Event()
    started_at = timezone.now()
    warned_at = [0.0]

    def loop() -> None:
        while True:
            try:
                beat(role=role, started_at=started_at)
            except DatabaseError as error:
                if time.monotonic() - warned_at[0] >= 60:
                    warned_at[0] = time.monotonic()
                    logger.warning("Heartbeat of %s not written: %s", role, error)
            finally:
                connections.close_all()  # this thread's own
            if stop.wait(EVERY):
                return

    thread = threading.Thread(target=loop, name=f"heartbeat-{role}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=5)


@dataclass(frozen=True)
class ProcessSeen:
    process: str
    role: str
    seconds_ago: int
    alive: bool


def heartbeats(now: datetime | None = None) -> list[ProcessSeen]:
    now = now or timezone.now()
    rows = Heartbeat.objects.filter(seen_at__gte=now - GONE).order_by("role", "process")
    return [
        ProcessSeen(
            row.process,
            row.role,
            int((now - row.seen_at).total_seconds()),
            now - row.seen_at < STALE,
        )
        for row in rows
    ]


def heartbeat_fresh(*, role: str, host: str | None = None, now: datetime | None = None) -> bool:
    """Whether a process of `role` on `host` (this one by default) was seen lately."""
    now = now or timezone.now()
    return Heartbeat.objects.filter(
        role=role, host=host or socket.gethostname()[:120], seen_at__gte=now - STALE
    ).exists()


def heartbeats_prune(*, now: datetime | None = None) -> int:
    now = now or timezone.now()
    deleted, _ = Heartbeat.objects.filter(seen_at__lt=now - GONE).delete()
    return deleted
