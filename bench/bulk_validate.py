"""Measures bulk validation: 100 rows against the 5,000-user customer, mirrored in the directory.

Run: .venv/bin/python bench/bulk_validate.py [--runs 200]
It works in a throw-away data directory (fresh SQLite files), so it never touches var/. The goal
(issue 6) is well under half a second for the whole step a view takes: read the customer's
directory row, then validate the file (domains and the file's usernames looked up in SQL).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def _report(label: str, seconds: list[float]) -> None:
    millis = sorted(s * 1000 for s in seconds)
    print(
        f"{label}: median {statistics.median(millis):.2f} ms, "
        f"p95 {millis[int(len(millis) * 0.95) - 1]:.2f} ms, max {millis[-1]:.2f} ms"
    )


def prepare() -> None:
    """A throw-away data directory with the sandbox seeded and Django set up in this process."""
    os.environ["PORTAL_DATA_DIR"] = tempfile.mkdtemp(prefix="portal-bench-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("migrate", database="sandbox", verbosity=0)
    call_command("createcachetable", verbosity=0)
    call_command("sandbox_seed", verbosity=0)


def upload_of(customer: Any) -> bytes:
    """100 rows like a real upload: mostly new users, a few taken or deleted usernames, a few
    mistakes, so every rule runs."""
    from customers.directory.models import DirectoryUser
    from portal.csvsafe import csv_bytes

    users = DirectoryUser.objects.filter(customer=customer, generation=customer.generation)
    active = list(
        users.filter(state=DirectoryUser.ACTIVE).values_list("user_principal_name", flat=True)[:5]
    )
    deleted = list(
        users.filter(state=DirectoryUser.DELETED).values_list("user_principal_name", flat=True)[:3]
    )
    rows = [["First name", "Last name", "Display name", "Email", "Status update"]]
    for number in range(100):
        email = f"new.user{number}@{customer.domain}"
        if number < len(active):
            email = active[number].upper()
        elif number - len(active) < len(deleted):
            email = deleted[number - len(active)]
        elif number == 20:
            email = "bad..alias@elsewhere.example"
        rows.append([f"New{number}", "User", f"New User {number}", email, ""])
    return csv_bytes(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    prepare()

    from customers.directory.models import DirectoryCustomer
    from customers.directory.sync import directory_customer_sync, directory_customers_sync
    from portal.partnercenter import partner_center
    from portal.sandbox import seed_plan
    from users.bulk.services import bulk_annotated_csv, bulk_upload_validate

    customer_id = str(seed_plan.LARGE_CUSTOMER_ID)
    pc = partner_center()
    directory_customers_sync(pc=pc)
    customer = DirectoryCustomer.objects.get(tenant_id=customer_id)
    started = time.perf_counter()
    synced = directory_customer_sync(pc=pc, customer=customer)
    load_seconds = time.perf_counter() - started
    customer.refresh_from_db()
    data = upload_of(customer)

    warm: list[float] = []
    cached: list[float] = []
    validation = None
    for _ in range(args.runs):
        started = time.perf_counter()
        validation = bulk_upload_validate(customer=customer, file_name="bench.csv", data=data)
        warm.append(time.perf_counter() - started)
        started = time.perf_counter()
        fresh = DirectoryCustomer.objects.get(tenant_id=customer_id)
        bulk_upload_validate(customer=fresh, file_name="bench.csv", data=data)
        cached.append(time.perf_counter() - started)
    assert validation is not None
    started = time.perf_counter()
    bulk_annotated_csv(validation)
    annotate_ms = (time.perf_counter() - started) * 1000

    summary = validation.summary
    print(
        f"customer: {synced.users} active users, {synced.deleted} deleted; "
        f"directory sync {load_seconds:.2f} s (not part of the goal)"
    )
    print(
        f"file: {len(data)} bytes, {summary.users} rows: {summary.ready} ready, "
        f"{summary.with_errors} with errors, {summary.warnings} warnings"
    )
    _report(f"validate, directory row in memory, {args.runs} runs", warm)
    _report(f"directory row read + validate, {args.runs} runs", cached)
    print(f"annotated download of the result: {annotate_ms:.2f} ms")


if __name__ == "__main__":
    main()
