"""What the benchmarks share: a throw-away portal (data directory or PostgreSQL databases),
gunicorn started as production starts it, timing side by side, and counting Partner Center calls.

Not a benchmark itself. Each portal is prepared in subprocesses (`manage.py`, or Python run with
its environment), so one benchmark can run two portals with different data at once and
interleave requests between them.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


POSTGRES_SERVER = "postgres://postgres@127.0.0.1:5432/postgres"


def database_arguments(parser: argparse.ArgumentParser, *, sqlite: bool = True) -> None:
    """Every benchmark's --database (when it runs on SQLite too) and --postgres (the server it
    makes its throw-away databases on)."""
    if sqlite:
        parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--postgres", default=POSTGRES_SERVER)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Portal:
    """One throw-away portal: its environment, its gunicorn, its log."""

    name: str
    database: str  # "sqlite" or "postgres"
    postgres: str = POSTGRES_SERVER
    data_dir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="portal-bench-")))
    env: dict[str, str] = field(default_factory=dict)
    server: subprocess.Popen[bytes] | None = None
    port: int = 0
    db_name: str = ""

    def __post_init__(self) -> None:
        self.env = {
            **os.environ,
            "PORTAL_DATA_DIR": str(self.data_dir),
            "STATIC_ROOT": str(self.data_dir / "static"),
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "DEBUG": "false",
            # No sync falls due while pages are timed (a day), and none is started by a view.
            "PORTAL_DIRECTORY_TTL": "86400",
            "PORTAL_DIRECTORY_MAX_AGE": "86400",
            "LOG_LEVEL": "warning",
            "PYTHONPATH": str(ROOT),
        }
        if self.database == "postgres":
            self.db_name = f"portal_bench_{uuid.uuid4().hex[:8]}"
            base = self.postgres.rsplit("/", 1)[0]
            self.env["DATABASE_URL"] = f"{base}/{self.db_name}"
            import psycopg

            with psycopg.connect(self.postgres, autocommit=True) as connection:
                connection.execute(f'CREATE DATABASE "{self.db_name}"')
                connection.execute(f'CREATE DATABASE "{self.db_name}_sandbox"')

    # --- Preparing -------------------------------------------------------------------------------

    def manage(self, *args: str, env: dict[str, str] | None = None) -> str:
        return self._run(["manage.py", *args], f"manage.py {' '.join(args)}", env)

    def python(self, code: str, env: dict[str, str] | None = None) -> str:
        """Run Python with Django set up for this portal; returns what it printed (the
        portal's own log lines left out)."""
        printed = self._run(["-c", f"import django\ndjango.setup()\n{code}"], "Python", env)
        log_line = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ [A-Z]+ ")
        return "\n".join(row for row in printed.splitlines() if not log_line.match(row))

    def _run(self, args: list[str], what: str, env: dict[str, str] | None) -> str:
        """`PYTHON args` in the project with this portal's environment; what it printed."""
        result = subprocess.run(
            [PYTHON, *args],
            cwd=ROOT,
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode:
            raise SystemExit(f"{self.name}: {what} failed:\n{result.stdout}{result.stderr}")
        return result.stdout

    def migrate(self) -> None:
        self.manage("migrate", "--noinput", "-v0")
        self.manage("migrate", "--noinput", "-v0", "--database", "sandbox")
        self.manage("createcachetable")
        self.manage("collectstatic", "--noinput", "-v0")

    def session(self, username: str = "") -> requests.Session:
        """A signed-in superuser's session (a session cookie made in the database), or the
        existing staff member `username`'s."""
        find = (
            f"user = User.objects.get(username='{username}')\n"
            if username
            else "user, _ = User.objects.get_or_create(username='bench', is_superuser=True,"
            " is_staff=True)\n"
        )
        cookie = self.python(
            "from django.contrib.auth.models import User\n"
            "from django.test import Client\n"
            f"{find}"
            "client = Client()\nclient.force_login(user)\n"
            "print(client.cookies['sessionid'].value)\n"
        ).strip()
        signed_in = requests.Session()
        signed_in.cookies.set("sessionid", cookie)
        return signed_in

    # --- Serving ---------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.data_dir / "gunicorn.log"

    def serve(self, *, log_level: str = "debug", extra_env: dict[str, str] | None = None) -> None:
        """gunicorn with docker/gunicorn.conf.py, as the container runs it; `debug` logging, so
        the sandbox's line for every call it answers can be counted."""
        self.port = free_port()
        env = {**self.env, "PORT": str(self.port), "LOG_LEVEL": log_level, **(extra_env or {})}
        output = self.log.open("w")
        self.server = subprocess.Popen(
            [
                str(Path(PYTHON).parent / "gunicorn"),
                "--config",
                "docker/gunicorn.conf.py",
                "--bind",
                f"127.0.0.1:{self.port}",
                "portal.wsgi:application",
            ],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                requests.get(f"{self.url}/sign-in/", timeout=10)
                return
            except (requests.ConnectionError, requests.Timeout):
                # Not listening yet, or a worker still importing the app on a busy machine.
                time.sleep(0.1)
        raise SystemExit(f"{self.name}: gunicorn did not answer within a minute")

    def worker_pids(self) -> list[int]:
        """gunicorn's worker processes (children of the master)."""
        assert self.server is not None
        children = Path(f"/proc/{self.server.pid}/task/{self.server.pid}/children")
        return [int(pid) for pid in children.read_text().split()]

    def sandbox_calls(self) -> int:
        """Partner Center calls the sandbox answered in this portal's web processes so far."""
        text = self.log.read_text(errors="replace")
        return sum(" portal.sandbox sandbox " in line for line in text.splitlines())

    def stop(self) -> None:
        if self.server is not None:
            self.server.terminate()
            try:
                self.server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.server.kill()
        if self.db_name:
            import psycopg

            with psycopg.connect(self.postgres, autocommit=True) as connection:
                for name in (self.db_name, f"{self.db_name}_sandbox"):
                    connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if sys.exc_info()[0] is not None:  # stopping because the run failed: keep the logs
            kept = Path(tempfile.mkdtemp(prefix=f"bench-logs-{self.name.replace(' ', '-')}-"))
            for log in self.data_dir.glob("*.log"):
                shutil.copy(log, kept)
            print(f"{self.name}: logs kept in {kept}", file=sys.stderr)
        shutil.rmtree(self.data_dir, ignore_errors=True)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


# --- Timing ------------------------------------------------------------------------------


@dataclass
class Case:
    name: str
    session: requests.Session
    url: str
    check: Callable[[str], bool] = lambda body: True
    timings: list[float] = field(default_factory=list)  # ms, every request of every round
    medians: list[float] = field(default_factory=list)  # per round

    def once(self) -> float:
        started = time.perf_counter()
        response = self.session.get(self.url, allow_redirects=False, timeout=120)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200 or not self.check(response.text):
            raise SystemExit(f"{self.name}: {self.url} answered {response.status_code}")
        return elapsed


def interleaved(cases: Iterable[Case], *, rounds: int, requests_each: int, seed: int = 7) -> None:
    """Each round: `requests_each` passes over every case, in a new random order each pass, so
    the cases share whatever the machine is doing; each case keeps its round's median."""
    cases = list(cases)
    shuffler = random.Random(seed)
    for _ in range(rounds):
        round_timings: dict[str, list[float]] = {case.name: [] for case in cases}
        for _ in range(requests_each):
            order = cases[:]
            shuffler.shuffle(order)
            for case in order:
                elapsed = case.once()
                case.timings.append(elapsed)
                round_timings[case.name].append(elapsed)
        for case in cases:
            case.medians.append(statistics.median(round_timings[case.name]))


def median(case: Case) -> float:
    """The median of the rounds' medians."""
    return statistics.median(case.medians)


def p95(case: Case) -> float:
    ordered = sorted(case.timings)
    return ordered[max(0, round(len(ordered) * 0.95) - 1)]


def line(case: Case) -> str:
    return (
        f"{case.name:<58} p50 {median(case):7.1f} ms   p95 {p95(case):7.1f} ms   "
        f"(rounds {len(case.medians)}, n={len(case.timings)})"
    )
