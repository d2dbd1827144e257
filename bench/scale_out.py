"""Scale-out check: two web processes, two workers and the maintenance loop on one PostgreSQL.

Run: .venv/bin/python bench/scale_out.py [--uploads 6] [--users 40] [--latency-ms 50]
        [--postgres postgres://postgres@127.0.0.1:5432/postgres]

It makes throw-away databases (`portal_h_prod_scale_<random>`, and its `_sandbox` twin, made by
`portal_setup`), starts every process through `docker/entrypoint` as the containers would (two
`web` on their own ports, two `worker`, one `maintenance`, all started together, so the set-up
lock is exercised too), waits for both web processes' /healthz, then saves several bulk uploads
at once and checks:
- every row processed exactly once (each row final, one create request id per row, no row
  created twice in the sandbox: one user per username);
- no duplicate users; every job finished; nothing stalled in /healthz afterwards;
- all passwords downloadable once (a second download is refused).
The databases are dropped at the end.

Saving: the bulk upload screen's Save is still a placeholder (users/bulk/views.py, issue 6's
step before the bulk jobs step wires it), so uploads are saved with the same service Save will
call, `users.bulk.jobs.bulk_job_create`, from this process, alternating the web process whose
request id they would carry. When the Save view lands, `save_upload` below is the one function
to switch to an HTTP POST through each web process.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from datetime import timedelta
from pathlib import Path

import psycopg

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--uploads", type=int, default=6)
    parser.add_argument("--users", type=int, default=40, help="users per upload")
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()

    server = args.postgres.rsplit("/", 1)[0]
    name = f"portal_h_prod_scale_{uuid.uuid4().hex[:8]}"
    admin = psycopg.connect(f"{server}/postgres", autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    work = Path(tempfile.mkdtemp(prefix="portal-scale-"))
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("SANDBOX_DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    env.update(
        DATABASE_URL=f"{server}/{name}",
        PORTAL_DATA_DIR=str(work / "data"),
        STATIC_ROOT=str(work / "static"),
        PARTNER_CENTER_MODE="sandbox",
        PORTAL_PLAIN_HTTP="true",
        PORTAL_BULK_LEASE_SECONDS="10",
        WEB_CONCURRENCY="2",
        LOG_LEVEL="warning",
        PATH=f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
    )
    processes: list[subprocess.Popen[bytes]] = []
    ports = [free_port(), free_port()]
    try:
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
            cwd=ROOT,
            env=env,
            check=True,
        )
        started = time.perf_counter()
        roles = [("web", {"PORT": str(port)}) for port in ports]
        roles += [("worker", {}), ("worker", {}), ("maintenance", {})]
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
            f"5 processes up in {time.perf_counter() - started:.1f} s; migrations applied by "
            f"{applied} of 5 concurrent starts (advisory lock); /healthz ok on ports {ports}"
        )

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
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        from django.db import connections

        connections.close_all()
        for database in (name, f"{name}_sandbox"):
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        admin.close()


def run_bulk(args: argparse.Namespace, ports: list[int]) -> None:
    from django.contrib.auth.models import Group, User

    from customers.snapshots import snapshot_load
    from portal.audit import Actor
    from portal.partnercenter import partner_center
    from portal.sandbox import seed
    from portal.sandbox.models import FaultSettings
    from users.bulk.models import BulkJob, BulkRow
    from users.bulk.passwords import PasswordsRefused, bulk_passwords_download

    faults = FaultSettings.current()
    faults.latency_ms = args.latency_ms
    faults.save()
    staff = User.objects.create_user("scale-admin", password=None)
    staff.groups.add(Group.objects.get_or_create(name="Admin agent")[0])
    customer_id = str(seed.CUSTOM_DOMAIN_CUSTOMER_ID)
    snapshot = snapshot_load(pc=partner_center(), customer_id=customer_id)
    run = uuid.uuid4().hex[:6]
    jobs = []
    started = time.perf_counter()
    for upload in range(args.uploads):
        jobs.append(save_upload(upload, run, args.users, staff, customer_id, snapshot, ports))
    deadline = time.monotonic() + 600
    while (
        BulkJob.objects.filter(pk__in=[j.pk for j in jobs]).exclude(state=BulkJob.FINISHED).exists()
    ):
        if time.monotonic() > deadline:
            raise SystemExit("The uploads did not finish in 10 minutes.")
        time.sleep(0.2)
    wall = time.perf_counter() - started

    rows = BulkRow.objects.filter(job__in=jobs)
    total = args.uploads * args.users
    states = {state: rows.filter(state=state).count() for state in (BulkRow.CREATED,)}
    request_ids = set(rows.values_list("request_id", flat=True))
    from django_tasks_db.models import DBTaskResult

    task_ids = [job.task_id for job in BulkJob.objects.filter(pk__in=[j.pk for j in jobs])]
    workers: set[str] = set()
    for ids in DBTaskResult.objects.filter(id__in=task_ids).values_list("worker_ids", flat=True):
        workers.update(ids)
    pc = partner_center()
    emails = [email.lower() for email in rows.values_list("email", flat=True)]
    found = [
        user.user_principal_name.lower()
        for user in pc.customers.by_id(customer_id).users.iter_all()
        if user.user_principal_name.lower().startswith(f"scale{run}.")
    ]
    print(
        f"{args.uploads} uploads x {args.users} users saved at once, {args.latency_ms} ms per "
        f"call: all finished in {wall:.1f} s"
    )
    print(
        f"rows created {states[BulkRow.CREATED]}/{total}, distinct create request ids "
        f"{len(request_ids)}, users in Partner Center {len(found)} (distinct {len(set(found))}), "
        f"db_worker processes that ran the uploads: {len(workers)}"
    )
    assert states[BulkRow.CREATED] == total and len(request_ids) == total
    assert sorted(found) == sorted(emails) and len(set(found)) == total
    assert len(workers) == 2, "both workers should have taken some of the uploads"
    downloaded = 0
    for job in jobs:
        file = bulk_passwords_download(job=job, staff=staff, actor=Actor.for_command(staff))
        downloaded += file.count
        try:
            bulk_passwords_download(job=job, staff=staff, actor=Actor.for_command(staff))
        except PasswordsRefused:
            pass
        else:
            raise AssertionError("a second download was allowed")
    print(f"passwords downloaded once: {downloaded}/{total}; second downloads refused")
    assert downloaded == total


def save_upload(upload, run, users, staff, customer_id, snapshot, ports):  # type: ignore[no-untyped-def]
    """Save one upload (see the module docstring: the service until the Save view lands)."""
    from django.utils import timezone

    from portal.audit import Actor
    from portal.sandbox import seed
    from users.bulk.jobs import bulk_job_create
    from users.models import BulkDraft

    now = timezone.now()
    rows = [
        {
            "row": number + 2,
            "first_name": "Scale",
            "last_name": f"U{upload}x{number}",
            "display_name": f"Scale U{upload}x{number}",
            "email": f"scale{run}.u{upload}x{number}@{seed.CUSTOM_DOMAIN}",
        }
        for number in range(users)
    ]
    draft = BulkDraft.objects.create(
        created_by=staff,
        customer_id=customer_id,
        file_name=f"scale-{upload}.csv",
        rows=rows,
        created_at=now,
        expires_at=now + timedelta(days=1),
    )
    return bulk_job_create(
        draft=draft, snapshot=snapshot, usage_location="US", actor=Actor.for_command(staff)
    )


if __name__ == "__main__":
    main()
