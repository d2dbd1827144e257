"""Scale-out check: two web processes, two workers and the maintenance loop on one PostgreSQL.

Run: .venv/bin/python bench/scale_out.py [--uploads 6] [--users 40] [--latency-ms 50]
        [--postgres postgres://postgres@127.0.0.1:5432/postgres]

It makes throw-away databases (`portal_h_prod_scale_<random>`, and its `_sandbox` twin, made by
`portal_setup`), starts every process through `docker/entrypoint` as the containers would (two
`web` on their own ports, two `worker`, one `directory`, one `maintenance`, all started together,
so the set-up lock is exercised too), waits for both web processes' /healthz, then — signed in
to both web processes as a staff member — uploads, validates and saves several bulk uploads at
once over HTTP, alternating the web processes, and checks:
- every row processed exactly once (each row final, one create request id per row, no row
  created twice in the sandbox: one user per username);
- no duplicate users; every job finished; nothing stalled in /healthz afterwards;
- all passwords downloadable once over HTTP, through the other web process (a second download
  is refused).
The databases are dropped at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg
import requests

ROOT = Path(__file__).resolve().parent.parent
ENTRYPOINT = ROOT / "docker" / "entrypoint"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def healthz(port: int) -> dict[str, object] | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
            return dict(json.load(answer))
    except OSError:
        return None


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--uploads", type=int, default=6)
    parser.add_argument("--users", type=int, default=40, help="users per upload")
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432/postgres")
    return parser.parse_args()


def environment(database_url: str, work: Path) -> dict[str, str]:
    """The environment every process of the deployment starts with."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("SANDBOX_DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    env.update(
        DATABASE_URL=database_url,
        PORTAL_DATA_DIR=str(work / "data"),
        STATIC_ROOT=str(work / "static"),
        PARTNER_CENTER_MODE="sandbox",
        PORTAL_PLAIN_HTTP="true",
        PORTAL_BULK_LEASE_SECONDS="10",
        WEB_CONCURRENCY="2",
        LOG_LEVEL="warning",
        PATH=f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
    )
    return env


def start(env: dict[str, str], work: Path, ports: list[int]) -> list[subprocess.Popen[bytes]]:
    """Every role through docker/entrypoint, all at once, until both web processes answer."""
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    started = time.perf_counter()
    roles = [("web", {"PORT": str(port)}) for port in ports]
    roles += [("worker", {}), ("worker", {}), ("directory", {}), ("maintenance", {})]
    processes = []
    for number, (role, extra) in enumerate(roles):
        log = (work / f"{number}-{role}.log").open("wb")
        processes.append(
            subprocess.Popen(
                [str(ENTRYPOINT), role],
                cwd=ROOT,
                env={**env, **extra},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
    deadline = time.monotonic() + 180
    while not all(healthz(port) for port in ports):
        if time.monotonic() > deadline or any(p.poll() is not None for p in processes):
            raise SystemExit(f"A process did not come up; logs in {work}")
        time.sleep(0.3)
    logs = "".join(path.read_text() for path in sorted(work.glob("*.log")))
    applied = logs.count("portal_setup: applied")
    print(
        f"{len(roles)} processes up in {time.perf_counter() - started:.1f} s; migrations "
        f"applied by {applied} of {len(roles)} concurrent starts (advisory lock); /healthz "
        f"ok on ports {ports}"
    )
    return processes


def stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def main() -> None:
    args = arguments()
    server = args.postgres.rsplit("/", 1)[0]
    name = f"portal_h_prod_scale_{uuid.uuid4().hex[:8]}"
    admin = psycopg.connect(f"{server}/postgres", autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    work = Path(tempfile.mkdtemp(prefix="portal-scale-"))
    env = environment(f"{server}/{name}", work)
    processes: list[subprocess.Popen[bytes]] = []
    ports = [free_port(), free_port()]
    try:
        processes = start(env, work, ports)
        os.environ.update({k: v for k, v in env.items() if k != "PATH"})
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        run_bulk(args, ports)
        time.sleep(1)
        reports = [healthz(port) for port in ports]
        print(f"/healthz afterwards: {reports}")
        assert all(r and r["bulk_jobs_stalled"] == 0 for r in reports)
        for process in processes:
            assert process.poll() is None, "a process died during the run"
        print("OK")
    finally:
        stop(processes)
        from django.db import connections

        connections.close_all()
        for database in (name, f"{name}_sandbox"):
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        admin.close()


def run_bulk(args: argparse.Namespace, ports: list[int]) -> None:
    from django.contrib.auth.models import Group, User

    from portal.sandbox import seed_plan
    from portal.sandbox.models import FaultSettings

    faults = FaultSettings.current()
    faults.latency_ms = args.latency_ms
    faults.save()
    password = uuid.uuid4().hex
    staff = User.objects.create_user("scale-admin", password=password)
    staff.groups.add(Group.objects.get_or_create(name="Admin agent")[0])
    customer_id = str(seed_plan.CUSTOM_DOMAIN_CUSTOMER_ID)
    run = uuid.uuid4().hex[:6]
    sessions = [WebSession(port, staff.username, password) for port in ports]
    sessions[0].open_customer(customer_id)
    files = [upload_csv(upload, run, args.users) for upload in range(args.uploads)]
    started = time.perf_counter()
    # Every upload at once, alternating the two web processes.
    with ThreadPoolExecutor(max_workers=args.uploads) as pool:
        job_urls = list(
            pool.map(
                lambda upload: sessions[upload % len(sessions)].upload_and_save(
                    customer_id, f"scale-{upload}.csv", files[upload]
                ),
                range(args.uploads),
            )
        )
    jobs = wait_for_jobs(args, job_urls, ports)
    print(
        f"{args.uploads} uploads x {args.users} users saved at once, {args.latency_ms} ms per "
        f"call: all finished in {time.perf_counter() - started:.1f} s"
    )
    check_rows(args, jobs, customer_id, run)
    check_passwords(args, job_urls, sessions)


def wait_for_jobs(args: argparse.Namespace, job_urls: list[str], ports: list[int]) -> list[Any]:
    """The jobs the uploads made, once all are finished."""
    from users.bulk.models import BulkJob

    job_ids = [url.rstrip("/").rsplit("/", 1)[-1] for url in job_urls]
    jobs = list(BulkJob.objects.filter(public_id__in=job_ids))
    assert len(jobs) == args.uploads, "every upload became one job"
    print(f"{args.uploads} uploads validated and saved through web processes on ports {ports}")
    deadline = time.monotonic() + 600
    while (
        BulkJob.objects.filter(pk__in=[j.pk for j in jobs]).exclude(state=BulkJob.FINISHED).exists()
    ):
        if time.monotonic() > deadline:
            raise SystemExit("The uploads did not finish in 10 minutes.")
        time.sleep(0.2)
    return jobs


def check_rows(args: argparse.Namespace, jobs: list[Any], customer_id: str, run: str) -> None:
    """Every row created once, by one request id, as one user; both workers took some."""
    from django_tasks_db.models import DBTaskResult

    from portal.partnercenter import partner_center
    from users.bulk.models import BulkJob, BulkRow

    rows = BulkRow.objects.filter(job__in=jobs)
    total = args.uploads * args.users
    created = rows.filter(state=BulkRow.CREATED).count()
    request_ids = set(rows.values_list("request_id", flat=True))
    task_ids = [job.task_id for job in BulkJob.objects.filter(pk__in=[j.pk for j in jobs])]
    workers: set[str] = set()
    for ids in DBTaskResult.objects.filter(id__in=task_ids).values_list("worker_ids", flat=True):
        workers.update(ids)
    emails = [email.lower() for email in rows.values_list("email", flat=True)]
    usernames = (
        (user.user_principal_name or "").lower()
        for user in partner_center().customers.by_id(customer_id).users.iter_all()
    )
    found = [username for username in usernames if username.startswith(f"scale{run}.")]
    print(
        f"rows created {created}/{total}, distinct create request ids "
        f"{len(request_ids)}, users in Partner Center {len(found)} (distinct {len(set(found))}), "
        f"db_worker processes that ran the uploads: {len(workers)}"
    )
    assert created == total and len(request_ids) == total
    assert sorted(found) == sorted(emails) and len(set(found)) == total
    assert len(workers) == 2, "both workers should have taken some of the uploads"


def check_passwords(
    args: argparse.Namespace, job_urls: list[str], sessions: list[WebSession]
) -> None:
    """Every job's passwords download once, through the other web process; not twice."""
    total = args.uploads * args.users
    downloaded = 0
    for number, url in enumerate(job_urls):
        session = sessions[(number + 1) % len(sessions)]  # the other web process this time
        path = urlsplit(url).path
        first = session._post(f"{path}passwords/", {})
        assert first.headers.get("Cache-Control") == "no-store", first.headers
        downloaded += len(first.content.decode("utf-8-sig").strip().splitlines()) - 1
        second = session._post(f"{path}passwords/", {})
        assert "text/csv" not in second.headers.get("Content-Type", ""), "a second download"
    print(f"passwords downloaded once over HTTP: {downloaded}/{total}; second downloads refused")
    assert downloaded == total


class WebSession:
    """A staff member signed in to one web process, uploading and saving as the browser would."""

    def __init__(self, port: int, username: str, password: str) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.http = requests.Session()
        self.http.get(f"{self.base}/sign-in/", timeout=30)
        signed_in = self._post("/sign-in/", {"username": username, "password": password})
        if "/sign-in/" in signed_in.url:
            raise SystemExit(f"Could not sign in on port {port}.")

    def _post(self, path: str, data: dict[str, Any], **kwargs: Any) -> requests.Response:
        data = {**data, "csrfmiddlewaretoken": self.http.cookies["csrftoken"]}
        return self.http.post(f"{self.base}{path}", data=data, timeout=120, **kwargs)

    def open_customer(self, customer_id: str) -> None:
        """Open the customer's users, as staff would before an upload, and wait for its first
        read into the directory (validation needs its users)."""
        from customers.directory.customer_queries import customer_get

        self.http.get(f"{self.base}/customers/{customer_id}/", timeout=60)
        deadline = time.monotonic() + 120
        while not ((customer := customer_get(customer_id)) and customer.mirrored):
            if time.monotonic() > deadline:
                raise SystemExit("The customer was not read into the directory in 2 minutes.")
            time.sleep(0.5)

    def upload_and_save(self, customer_id: str, file_name: str, content: bytes) -> str:
        """Upload users → Validate → Location → Save; returns the job page's URL."""
        page = f"/customers/{customer_id}/upload/"
        self.http.get(f"{self.base}{page}", timeout=60)
        validated = self._post(page, {}, files={"file": (file_name, content, "text/csv")})
        draft = re.search(r'name="draft" value="([0-9a-f-]{36})"', validated.text)
        if validated.status_code != 200 or draft is None:
            raise SystemExit(f"Validate did not make a draft ({validated.status_code}).")
        saved = self._post(
            f"/customers/{customer_id}/upload/save/",
            {"draft": draft.group(1), "usage_location": "US", "ticket": "SCALE-1"},
        )
        if "/uploads/" not in saved.url:
            raise SystemExit(f"Save did not lead to a job page ({saved.status_code}).")
        return saved.url


def upload_csv(upload: int, run: str, users: int) -> bytes:
    from portal.sandbox import seed_plan

    lines = ["First name,Last name,Display name,Email,Status update"]
    lines += [
        f"Scale,U{upload}x{number},Scale U{upload}x{number},"
        f"scale{run}.u{upload}x{number}@{seed_plan.CUSTOM_DOMAIN},"
        for number in range(users)
    ]
    return ("\r\n".join(lines) + "\r\n").encode()


if __name__ == "__main__":
    main()
