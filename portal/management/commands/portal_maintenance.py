"""`manage.py portal_maintenance [--loop] [--interval SECONDS]`: the portal's periodic upkeep.

Once by default (for cron); with `--loop`, every `--interval` seconds until stopped (what
`make run` and the compose file's maintenance service start). See `portal/maintenance.py`.
"""

from __future__ import annotations

import signal
import threading
from argparse import ArgumentParser
from contextlib import nullcontext
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from portal.heartbeat import heartbeat_running
from portal.maintenance import directory_sweep_run, maintenance_run


class Command(BaseCommand):
    help = "Re-enqueue bulk jobs without a worker, erase expired passwords, prune old data."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--loop", action="store_true", help="Run until stopped.")
        parser.add_argument(
            "--interval",
            type=float,
            default=15.0,
            help="Seconds between rounds with --loop (default: 15).",
        )
        parser.add_argument(
            "--no-sweep",
            action="store_false",
            dest="sweep",
            help="Do not read old customers into the directory (another loop does).",
        )

    def handle(self, *args: Any, loop: bool, interval: float, sweep: bool, **options: Any) -> None:
        stop = threading.Event()
        if loop:

            def request_stop(signum: int, frame: FrameType | None) -> None:
                stop.set()

            signal.signal(signal.SIGTERM, request_stop)
            signal.signal(signal.SIGINT, request_stop)
        with heartbeat_running("maintenance") if loop else nullcontext():
            self._rounds(loop=loop, interval=interval, sweep=sweep, stop=stop, **options)

    def _rounds(
        self, *, loop: bool, interval: float, sweep: bool, stop: threading.Event, **options: Any
    ) -> None:
        while True:
            if loop:
                # As a request would: drop connections that broke or outlived CONN_MAX_AGE.
                close_old_connections()
            report = maintenance_run()
            if options["verbosity"] >= 2 or report.failures or not loop:
                self.stdout.write(report.summary())
            if sweep:
                # Within the round's time, so the other steps still come round every interval.
                swept = directory_sweep_run(seconds=max(interval * 2, 1.0), stop=stop)
                if swept and (options["verbosity"] >= 2 or not loop):
                    self.stdout.write(swept)
            if not loop or stop.wait(max(interval, 0.1)):
                break
