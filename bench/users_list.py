"""Measures the Users and licenses page of the 5,000-user customer, served by gunicorn.

Run: .venv/bin/python bench/users_list.py [--requests 100] [--workers 2]

It works in a throw-away data directory (file-backed SQLite databases, migrated and seeded),
warms the customer's snapshot the way the background task would, signs a staff member in, starts
gunicorn on a free localhost port and times, over N requests each: the users page, a search, a
later page, and the sign-in page (a trivial page of the same portal, the baseline). It also
counts the Partner Center calls each warm page view makes (the goal is none): the sandbox logs
every call it answers at DEBUG on `portal.sandbox`, and gunicorn's output is read for them.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def prepare(data_dir: str) -> tuple[str, str]:
    """Migrate, seed, warm the snapshot and sign in; returns (session cookie, customer id)."""
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.test import Client

    from customers.tasks import load_customer_snapshot
    from portal.sandbox import seed

    call_command("migrate", verbosity=0)
    call_command("migrate", database="sandbox", verbosity=0)
    call_command("createcachetable", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    call_command("sandbox_seed", verbosity=0)
    customer_id = str(seed.LARGE_CUSTOMER_ID)
    load_customer_snapshot.call(customer_id)  # what the worker does on the first view
    staff = User.objects.create_superuser("bench", password=None)  # signs in by session only
    client = Client()
    client.force_login(staff)
    return client.cookies["sessionid"].value, customer_id


def timed(session: object, url: str, count: int) -> list[float]:
    import requests

    assert isinstance(session, requests.Session)
    timings = []
    for _ in range(count):
        started = time.perf_counter()
        response = session.get(url, allow_redirects=False)
        timings.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
    return timings


def summary(name: str, timings: list[float]) -> str:
    ordered = sorted(timings)
    p95 = ordered[max(0, round(len(ordered) * 0.95) - 1)]
    return (
        f"{name:<34} median {statistics.median(ordered):7.1f} ms   p95 {p95:7.1f} ms   "
        f"(n={len(ordered)})"
    )


def sandbox_calls(log: Path) -> int:
    return sum(" portal.sandbox sandbox " in line for line in log.read_text().splitlines())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    data_dir = tempfile.mkdtemp(prefix="portal-bench-users-")
    env = {
        **os.environ,
        "PORTAL_DATA_DIR": data_dir,
        "STATIC_ROOT": str(Path(data_dir) / "static"),
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "PORTAL_SNAPSHOT_TTL": "3600",  # the snapshot must outlive the run
        "DEBUG": "false",
    }
    os.environ.update({**env, "LOG_LEVEL": "warning"})
    # gunicorn logs at debug, so the sandbox's per-call log lines can be counted.
    env["LOG_LEVEL"] = "debug"
    sys.path.insert(0, str(ROOT))
    cookie, customer_id = prepare(data_dir)

    import requests

    port = free_port()
    log = Path(data_dir) / "gunicorn.log"
    base = f"http://127.0.0.1:{port}"
    with log.open("w") as output:
        server = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "portal.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(args.workers),
            ],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        for _ in range(100):
            try:
                requests.get(f"{base}/sign-in/", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        signed_in = requests.Session()
        signed_in.cookies.set("sessionid", cookie)
        anonymous = requests.Session()
        users = f"{base}/customers/{customer_id}/"
        pages = {
            "users page (warm)": users,
            "search ?q=ann": f"{users}?q=ann",
            "later page ?page=40": f"{users}?page=40",
            "sort by username desc, page 7": f"{users}?sort=username&dir=desc&page=7",
        }
        # Warm every worker's connections and the customers list (which does call Partner
        # Center: proof that the calls are counted).
        for url in pages.values():
            timed(signed_in, url, args.workers * 2)
        warming_calls = sandbox_calls(log)
        before = warming_calls
        results = {name: timed(signed_in, url, args.requests) for name, url in pages.items()}
        warm_views = args.requests * len(pages)
        calls = sandbox_calls(log) - before
        results["sign-in page (baseline)"] = timed(anonymous, f"{base}/sign-in/", args.requests)

        body = signed_in.get(users).text
        assert "of 5,000" in body, "the users page did not show the 5,000 users"
        print(f"gunicorn, {args.workers} sync workers, file-backed SQLite (database cache)")
        for name, timings in results.items():
            print(summary(name, timings))
        print(f"Partner Center calls while warming up (the customers list): {warming_calls}")
        print(
            f"Partner Center calls during {warm_views} warm page views: {calls} "
            f"({calls / warm_views:.2f} per view)"
        )
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
