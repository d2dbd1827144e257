"""`manage.py portal_worker [db_worker's options]`: django-tasks-db's `db_worker` that lives
through a database outage and says it is alive.

`db_worker` exits on the first database error that is not a lock, leaving the restart to the
container's policy. This one logs one line, waits (1 s, doubling up to 30 s) and carries on, as
the maintenance loop does; SIGTERM or Ctrl-C during the wait stops it at once. While it runs it
writes its heartbeat (`portal.heartbeat`, role `directory` for `--backend directory`, else
`worker`).
"""

from __future__ import annotations

import logging
import signal
import threading
from typing import Any, Final

from django.db import DatabaseError, connections
from django_tasks_db.management.commands import db_worker

from portal.heartbeat import heartbeat_running

logger = logging.getLogger("portal.worker")

FIRST_WAIT: Final = 1.0
LONGEST_WAIT: Final = 30.0


class Command(db_worker.Command):
    help = "Run the task worker (db_worker) through database outages, with a heartbeat."

    def handle(self, *args: Any, **options: Any) -> None:
        role = "directory" if options.get("backend_name") == "directory" else "worker"
        stop = threading.Event()
        wait = FIRST_WAIT
        with heartbeat_running(role):
            while not stop.is_set():
                try:
                    super().handle(*args, **options)
                    return  # stopped (a signal), or --batch / --max-tasks done
                except DatabaseError as error:
                    connections.close_all()
                    logger.warning(
                        "Task worker (%s): the database does not answer (%s: %s); trying again "
                        "in %.0f s",
                        role,
                        type(error).__name__,
                        str(error).splitlines()[0] if str(error) else "",
                        wait,
                    )
                    # db_worker's own signal handlers belong to the worker that just ended.
                    for number in (signal.SIGTERM, signal.SIGINT):
                        signal.signal(number, lambda *_: stop.set())
                    stop.wait(wait)
                    wait = min(wait * 2, LONGEST_WAIT)
