"""Measures the sandbox: how long `sandbox_seed` takes and what one user create costs.

Run: .venv/bin/python bench/sandbox.py [--creates 200]
It works in a throw-away data directory (fresh SQLite files), so it never touches var/.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path


def seeded(data_dir: str) -> float:
    """Django set up on a fresh data directory, the sandbox seeded: the seed's seconds."""
    os.environ["PORTAL_DATA_DIR"] = data_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("migrate", database="sandbox", verbosity=0)
    started = time.perf_counter()
    call_command("sandbox_seed", verbosity=0)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--creates", type=int, default=200)
    args = parser.parse_args()
    data_dir = tempfile.mkdtemp(prefix="portal-bench-")
    seed_seconds = seeded(data_dir)

    from django.test import Client

    from portal.sandbox.models import Customer, Domain

    customer = Customer.objects.filter(allow_delegated_access=True).order_by("company_name")[0]
    domain = Domain.objects.get(customer=customer, is_initial=True).name
    client = Client(HTTP_HOST="localhost")
    url = f"/sandbox/v1/customers/{customer.id}/users"
    timings = []
    for number in range(args.creates):
        body = {
            "userPrincipalName": f"bench{number}-{uuid.uuid4().hex[:6]}@{domain}",
            "displayName": f"Bench User {number}",
            "usageLocation": "US",
            "passwordProfile": {"password": "Bench!Pass123", "forceChangePassword": True},
        }
        started = time.perf_counter()
        response = client.post(
            url,
            json.dumps(body),
            content_type="application/json",
            headers={"Authorization": "Bearer bench", "MS-RequestId": str(uuid.uuid4())},
        )
        timings.append(time.perf_counter() - started)
        assert response.status_code == 200, response.content

    millis = sorted(t * 1000 for t in timings)
    print(f"sandbox_seed: {seed_seconds:.2f} s (fresh SQLite, {data_dir})")
    print(
        f"create user over the WSGI handler, {args.creates} calls: "
        f"median {statistics.median(millis):.2f} ms, "
        f"p95 {millis[int(len(millis) * 0.95) - 1]:.2f} ms, max {millis[-1]:.2f} ms"
    )


if __name__ == "__main__":
    main()
