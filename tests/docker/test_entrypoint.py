"""docker/entrypoint, outside a container: migrations once under concurrent starts, then
gunicorn, the two workers and the maintenance loop.

These start real processes on throw-away databases of their own (a temporary SQLite directory,
or `portal_h_prod_*` PostgreSQL databases that are dropped afterwards), not on pytest-django's:
they test what happens on an empty database.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
ENTRYPOINT = ROOT / "docker" / "entrypoint"
POSTGRES = os.environ.get("TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
# Variables of the test run that must not leak into a process started as production would be.
_RUN_ONLY = ("DATABASE_URL", "SANDBOX_DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE", "REDIS_URL")


def base_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in _RUN_ONLY}
    return {
        **env,
        "PATH": f"{Path(sys.executable).parent}:{env.get('PATH', '')}",
        "PORTAL_DATA_DIR": str(data_dir),
        "PARTNER_CENTER_MODE": "sandbox",
        "LOG_LEVEL": "info",
        **extra,
    }


def setup_twice_at_once(env: dict[str, str]) -> list[str]:
    """Two `portal_setup` runs started together, as two replicas' entrypoints would."""
    command = [str(ENTRYPOINT), "python", "manage.py", "portal_setup", "--no-seed"]
    runs = [
        subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outputs = []
    for run in runs:
        out, err = run.communicate(timeout=180)
        assert run.returncode == 0, out + err
        outputs.append(out)
    return outputs


def assert_migrated_once(outputs: list[str], how: str) -> None:
    assert all(f"holding the set-up lock ({how})" in out for out in outputs)
    applied = [out for out in outputs if "applied" in out and "no migrations" not in out]
    idle = [out for out in outputs if "no migrations to apply" in out]
    assert (len(applied), len(idle)) == (1, 1), outputs


def test_sqlite_two_concurrent_starts_migrate_once(tmp_path: Path) -> None:
    outputs = setup_twice_at_once(base_env(tmp_path))
    assert_migrated_once(outputs, "file lock")


def _postgres_admin() -> psycopg.Connection:
    try:
        return psycopg.connect(
            POSTGRES.rsplit("/", 1)[0] + "/postgres", autocommit=True, connect_timeout=3
        )
    except psycopg.OperationalError as error:
        pytest.skip(f"No PostgreSQL at {POSTGRES} for the advisory-lock test: {error}")


@pytest.fixture
def postgres_database() -> Iterator[str]:
    """A fresh, empty PostgreSQL database (and its sandbox twin), dropped afterwards."""
    name = f"portal_h_prod_{uuid.uuid4().hex[:10]}"
    with _postgres_admin() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{POSTGRES.rsplit('/', 1)[0]}/{name}"
    finally:
        with _postgres_admin() as admin:
            for database in (name, f"{name}_sandbox"):
                admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def test_postgresql_two_concurrent_starts_migrate_once_under_the_advisory_lock(
    tmp_path: Path, postgres_database: str
) -> None:
    env = base_env(tmp_path, DATABASE_URL=postgres_database)
    outputs = setup_twice_at_once(env)
    assert_migrated_once(outputs, "PostgreSQL advisory lock")
    assert sum("created the sandbox's database" in out for out in outputs) == 1
    with psycopg.connect(postgres_database) as connection:
        rows = connection.execute(
            "SELECT app, name FROM django_migrations GROUP BY app, name HAVING count(*) > 1"
        ).fetchall()
    assert rows == []


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start(role: str, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [str(ENTRYPOINT), role],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop(process: subprocess.Popen[bytes]) -> float:
    """SIGTERM, as `docker stop` sends; the seconds the process took to end."""
    started = time.monotonic()
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    return time.monotonic() - started


def wait_for(condition: Callable[[], object], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError("timed out")


def log_says(log: Path, text: str) -> Callable[[], bool]:
    """A condition for wait_for: `text` is in the log."""
    return lambda: text in log.read_text()


def test_web_workers_and_maintenance_start_and_healthz_answers(tmp_path: Path) -> None:
    port = free_port()
    env = base_env(
        tmp_path,
        PORT=str(port),
        WEB_CONCURRENCY="1",
        PORTAL_PLAIN_HTTP="true",
        STATIC_ROOT=str(tmp_path / "static"),
    )
    # As the Dockerfile does at build time: the manifest storage serves only collected files.
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=300,
    )
    web = start("web", env, tmp_path / "web.log")
    processes = [web]
    try:
        _assert_web_is_up_and_logs(web, port, tmp_path)

        # The image's own HEALTHCHECK command agrees.
        check = _run_healthcheck(env, port)
        assert check.returncode == 0

        _start_workers_and_maintenance(env, tmp_path, processes)
    finally:
        took = [stop(process) for process in processes]
    assert web.returncode is not None
    # Each ends within `docker stop`'s default grace of 10 s (compose.yaml gives 45), the
    # maintenance loop included: its sweep and license scan stop at the next customer or user,
    # not at their slice's deadline (it took 28 s here before).
    assert max(took) < 10, took
    healthcheck_after = _run_healthcheck(env, port)
    assert healthcheck_after.returncode == 1  # and it notices when the server is gone


def _healthz(
    web: subprocess.Popen[bytes], port: int, tmp_path: Path
) -> Callable[[], dict[str, object] | None]:
    """A probe of /healthz: its report, or None (while the web process still runs)."""

    def healthz() -> dict[str, object] | None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
                return dict(json.load(answer))
        except OSError:
            assert web.poll() is None, (tmp_path / "web.log").read_text()
            return None

    return healthz


def _assert_web_is_up_and_logs(web: subprocess.Popen[bytes], port: int, tmp_path: Path) -> None:
    """/healthz answers ok, and the web log shows set-up, gunicorn and request ids."""
    healthz = _healthz(web, port, tmp_path)
    wait_for(healthz, timeout=120)
    report = healthz()
    assert report is not None and report["status"] == "ok" and report["database"] == "ok"
    web_log = (tmp_path / "web.log").read_text()
    assert "portal_setup: applied" in web_log
    assert "Sign in at http://127.0.0.1:8000/ as admin" in web_log  # sandbox's demo sign-in
    assert "gunicorn" in web_log.lower() and "Booting worker" in web_log
    assert "GET /healthz 200" not in web_log  # health checks are logged at debug only
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/sign-in/", timeout=5) as page:
        request_id = page.headers["X-Request-ID"]
    wait_for(lambda: f"request_id={request_id}" in (tmp_path / "web.log").read_text(), 10)


def _run_healthcheck(env: dict[str, str], port: int) -> subprocess.CompletedProcess[bytes]:
    """The image's HEALTHCHECK command, docker/healthcheck.py."""
    return subprocess.run(
        [sys.executable, str(ROOT / "docker" / "healthcheck.py")],
        env={**env, "PORT": str(port)},
        capture_output=True,
        check=False,
    )


def _start_workers_and_maintenance(
    env: dict[str, str], tmp_path: Path, processes: list[subprocess.Popen[bytes]]
) -> None:
    """Start the two workers and the maintenance loop together, as compose does (added to
    `processes` to be stopped)."""
    roles = {"worker": "Starting worker", "directory": "Starting worker", "maintenance": ""}
    started = {role: start(role, env, tmp_path / f"{role}.log") for role in roles}
    processes.extend(started.values())
    for role in roles:
        wait_for(log_says(tmp_path / f"{role}.log", "portal_setup: done"), 60)
    time.sleep(2)  # past start-up: still running, not crashed
    for role, says in roles.items():
        log = tmp_path / f"{role}.log"
        assert started[role].poll() is None, log.read_text()
        assert "no migrations to apply" in log.read_text()
        if says:
            wait_for(log_says(log, says), 30)
