"""What a signed-in page weighs against the lightest page of the same app: each page's p50 ÷ the
sign-in page's, in one run.

Run: .venv/bin/python bench/page_weight.py [--database sqlite|postgres] [--rounds 5]
        [--requests 40]

One throw-away portal with the default sandbox seed, read into its directory by the maintenance
loop's sweep, with every user's licenses read (so the Licenses column and filter have data).
Served by gunicorn with docker/gunicorn.conf.py and DEBUG=false; a superuser is signed in and no
sync is due. Every page is timed with the sign-in page in the same rounds, interleaved in a new
random order each pass; the figure is the median of the rounds' medians ÷ the sign-in page's,
with each page's p50 and p95:

  - Users and licenses of Contoso (48 users): as opened, and filtered by a license;
  - the same of Tailspin Toys (5,000 users): page 1, and filtered by a license;
  - Contoso's Deleted users tab; the dashboard.

The goal is ≤ 3× for the users list with its Licenses column and a filter (bench/users_list.py
measures how the pages scale with 50,000 users and 200 customers).
"""

from __future__ import annotations

import argparse
import time

import requests
import users_list
from portal_run import Case, Portal, database_arguments, interleaved, line, median

GOAL = 3.0


def build(portal: Portal) -> float:
    """The default seed read into the directory (as bench/users_list.py builds its default
    portal), then every user's licenses read; returns the seconds it took."""
    started = time.perf_counter()
    users_list.build(portal, large=0, many=0)
    portal.python(
        "from customers.directory.background import background_client\n"
        "from customers.directory.budget import CallCounter\n"
        "from customers.directory.licenses import directory_licenses_scan\n"
        "scan = directory_licenses_scan(pc=background_client(CallCounter()), seconds=3600)\n"
        "print(scan.summary())\n"
    )
    return time.perf_counter() - started


def pages(portal: Portal) -> dict[str, str]:
    """Each timed page's path: the customers' tenant ids and a license each holds."""
    out = portal.python(
        "from customers.directory.customer_queries import customer_get\n"
        "from customers.directory.models import DirectoryUserSku\n"
        "from portal.sandbox import seed_plan\n"
        "for key, tenant in [('contoso', seed_plan.CUSTOM_DOMAIN_CUSTOMER_ID),"
        " ('tailspin', seed_plan.LARGE_CUSTOMER_ID)]:\n"
        "    customer = customer_get(str(tenant))\n"
        "    held = DirectoryUserSku.objects.filter(customer=customer).values_list('sku_id',"
        " flat=True).first()\n"
        "    print(key, customer.tenant_id, held)\n"
    )
    found = {}
    for row in out.split("\n"):
        if row.strip():
            key, tenant, sku = row.split()
            found[key], found[f"{key}-sku"] = f"/customers/{tenant}/", sku
    return {
        "users list, Contoso (48 users)": found["contoso"],
        "users list, Contoso, filtered by a license": (
            f"{found['contoso']}?license={found['contoso-sku']}"
        ),
        "users list, Tailspin Toys (5,000 users)": found["tailspin"],
        "users list, Tailspin Toys, filtered by a license": (
            f"{found['tailspin']}?license={found['tailspin-sku']}"
        ),
        "deleted users, Contoso": f"{found['contoso']}deleted/",
        "dashboard": "/",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    database_arguments(parser)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=40)
    args = parser.parse_args()

    portal = Portal("weight", args.database, args.postgres)
    try:
        built = build(portal)
        paths = pages(portal)
        portal.serve()
        signed_in, anonymous = portal.session(), requests.Session()
        floor = Case("sign-in page (baseline)", anonymous, f"{portal.url}/sign-in/")
        cases = [Case(name, signed_in, f"{portal.url}{path}") for name, path in paths.items()]
        for case in [floor, *cases]:  # warm every worker: connections, templates
            for _ in range(6):
                case.once()
        interleaved([floor, *cases], rounds=args.rounds, requests_each=args.requests)

        workers = len(portal.worker_pids())
        print(f"Database: {args.database}; gunicorn {workers} workers (docker/gunicorn.conf.py), "
              f"DEBUG=false; built in {built:.0f} s")  # fmt: skip
        print()
        print(f"{'Page p50 ÷ sign-in page p50':<58} {'ratio':>7}   goal")
        for case in cases:
            goal = f"≤ {GOAL:g}×" if case.name.startswith("users list") else ""
            print(f"{case.name:<58} {median(case) / median(floor):>6.2f}×   {goal}")
        print()
        for case in [floor, *cases]:
            print(line(case))
    finally:
        portal.stop()


if __name__ == "__main__":
    main()
