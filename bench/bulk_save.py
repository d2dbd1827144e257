"""Measures a bulk Save: 100 users created with 300 ms of sandbox latency on every call.

Run: .venv/bin/python bench/bulk_save.py [--users 100] [--latency-ms 300] [--concurrency 8]
                                          [--worker]
It works in a throw-away data directory (fresh SQLite files), so it never touches var/. The wall
time runs from Save (the job and its task committed) to the job finished, and is printed beside
the ideal, ceil(users / concurrency) x latency: every create waits out its latency, and no more
than `concurrency` run at once. The goal (issue 7) is within 1.5x of the ideal.

By default the job runs in this process, through the same `bulk_job_run` the task calls (the
in-process sandbox sleeps its latency in each worker thread). With --worker a real
`manage.py db_worker` process picks the task up, as in production; the time then includes the
worker's polling interval (0.1 s here).
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--latency-ms", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--worker", action="store_true", help="run the job in a real db_worker")
    return parser.parse_args()


def prepare(args: argparse.Namespace) -> None:
    """A throw-away data directory with the sandbox seeded and Django set up in this process."""
    os.environ["PORTAL_DATA_DIR"] = tempfile.mkdtemp(prefix="portal-bench-")
    os.environ["PORTAL_BULK_CONCURRENCY"] = str(args.concurrency)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    os.environ.setdefault("LOG_LEVEL", "warning")
    sys.path.insert(0, str(ROOT))

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("migrate", database="sandbox", verbosity=0)
    call_command("createcachetable", verbosity=0)
    call_command("sandbox_seed", verbosity=0)


def draft_of(args: argparse.Namespace) -> tuple[Any, Any, Any]:
    """(the draft of `--users` new users of Contoso, Contoso's mirror, the staff member), with
    the sandbox's latency set."""
    from django.contrib.auth.models import User
    from django.utils import timezone

    from customers.directory.models import DirectoryCustomer
    from customers.directory.sync import directory_customer_sync, directory_customers_sync
    from portal.partnercenter import partner_center
    from portal.sandbox import seed_plan
    from portal.sandbox.models import FaultSettings
    from users.models import BulkDraft

    customer_id = str(seed_plan.CUSTOM_DOMAIN_CUSTOMER_ID)
    pc = partner_center()
    directory_customers_sync(pc=pc)
    directory_customer_sync(pc=pc, customer=DirectoryCustomer.objects.get(tenant_id=customer_id))
    customer = DirectoryCustomer.objects.get(tenant_id=customer_id)
    staff = User.objects.create_user("bench", password=None)
    now = timezone.now()
    rows = [
        {
            "row": number + 2,
            "first_name": "Bench",
            "last_name": f"User{number}",
            "display_name": f"Bench User{number}",
            "email": f"bench.user{number}@{seed_plan.CUSTOM_DOMAIN}",
        }
        for number in range(args.users)
    ]
    draft = BulkDraft.objects.create(
        created_by=staff,
        customer_id=customer_id,
        file_name="bench.csv",
        rows=rows,
        created_at=now,
        expires_at=now + timedelta(days=1),
    )
    faults = FaultSettings.current()
    faults.latency_ms = args.latency_ms
    faults.save()
    return draft, customer, staff


def save(args: argparse.Namespace, draft: Any, customer: Any, staff: Any) -> tuple[Any, float]:
    """Save the draft and wait for its job to finish: (the job, the wall seconds)."""
    from portal.audit.records import Actor
    from users.bulk.jobs import bulk_job_create
    from users.bulk.models import BulkJob
    from users.bulk.worker import bulk_job_run

    worker = None
    if args.worker:
        worker = subprocess.Popen(
            [sys.executable, "manage.py", "db_worker", "--interval", "0.1", "--no-startup-delay"],
            cwd=ROOT,
            env=dict(os.environ),
        )
        time.sleep(2)  # let it start (imports, first poll) before the clock starts
    try:
        started = time.perf_counter()
        job = bulk_job_create(
            draft=draft, customer=customer, usage_location="US", actor=Actor.for_command(staff)
        )
        if worker is None:
            bulk_job_run(job_id=job.pk)
        else:
            while BulkJob.objects.get(pk=job.pk).state != BulkJob.FINISHED:
                if worker.poll() is not None:
                    raise SystemExit(f"The worker exited with {worker.returncode}.")
                time.sleep(0.02)
        return job, time.perf_counter() - started
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait()


def main() -> None:
    args = arguments()
    prepare(args)
    job, wall = save(args, *draft_of(args))

    from users.bulk.job_selectors import bulk_job_summary

    counts = bulk_job_summary(job=job).counts
    ideal = math.ceil(args.users / args.concurrency) * args.latency_ms / 1000
    mode = "a real db_worker process" if args.worker else "in-process (bulk_job_run)"
    print(f"Bulk Save of {args.users} users, {args.latency_ms} ms per call, concurrency "
          f"{args.concurrency}, job run {mode}")  # fmt: skip
    print(f"created {counts.created}, failed {counts.failed}")
    print(
        f"wall time Save -> done: {wall:.2f} s; ideal ceil({args.users}/{args.concurrency}) x "
        f"{args.latency_ms / 1000:.1f} s = {ideal:.2f} s; ratio {wall / ideal:.2f}x "
        f"(goal <= 1.5x)"
    )


if __name__ == "__main__":
    main()
