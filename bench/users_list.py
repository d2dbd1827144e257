"""The directory's pages at scale: a page must cost the same for 50,000 users as for 50.

Run: .venv/bin/python bench/users_list.py [--database sqlite|postgres] [--rounds 3]
        [--requests 30] [--large 50000] [--many 200]

Two throw-away portals are built side by side: "default", the default sandbox seed, and
"scale", the default seed plus one customer of `--large` users (Litware, Inc.) and `--many`
more customers of 2,500 users (500,000 users for 200). Each is read into its directory by the
maintenance loop's sweep (timed, not a figure here: bench/directory_sync.py measures syncs).
Both are then served by gunicorn with docker/gunicorn.conf.py and DEBUG=false, a superuser is
signed in, no sync is due, and every case below is timed against its baseline in the same run:
rounds of `--requests` passes, each pass over every case in a new random order; the figure is
the median of the rounds' medians, with the p95 of all requests.

  - Users and licenses of the 50,000-user customer (page 1, page 900, a search, each sort)
    ÷ the same view of Contoso (48 users), both on the scale portal;
  - Deleted users of Lucerne Publishing (1,500 deleted: page 1, a search) ÷ the same for Wide
    World Importers (5 deleted);
  - a user's page in the 50,000-user customer ÷ in Contoso (live reads, sandbox latency 0);
  - the dashboard's search for a common first name over every customer ÷ the same search on
    the default portal;
  - Contoso's users list ÷ the sign-in page (a page of the same app with no data);
  - Partner Center calls per warm view (every page but the user page, which reads live),
    counted from every web process's log;
  - the largest web worker's RSS after 1,000 more requests mixing every page.
"""

from __future__ import annotations

import argparse
import statistics
import time

import requests
from portal_run import Case, Portal, interleaved, line, median, p95, rss_mb

SEARCH_NAME = "maria"  # a first name the seed gives one person in about ninety


def build(portal: Portal, *, large: int, many: int) -> float:
    """Migrate, seed and read everything into the directory; returns the seconds it took."""
    started = time.perf_counter()
    portal.migrate()
    portal.manage("sandbox_seed")
    if large:
        portal.manage("sandbox_seed", "--large", str(large))
    if many:
        portal.manage("sandbox_seed", "--many", str(many))
    portal.python(
        "from customers.directory.background import directory_sweep\n"
        "from customers.directory.budget import CallCounter\n"
        "report = directory_sweep(seconds=36000, budget=CallCounter())\n"
        "print(report.summary())\n"
    )
    return time.perf_counter() - started


def ids(portal: Portal) -> dict[str, str]:
    """Tenant ids and a user id of each customer the cases use."""
    out = portal.python(
        "from portal.sandbox import seed_plan\n"
        "from customers.directory.customer_queries import customer_get\n"
        "from customers.directory.user_queries import users_of\n"
        "for key, tenant in [('contoso', seed_plan.CUSTOM_DOMAIN_CUSTOMER_ID),"
        " ('large', seed_plan.LARGE_DEMAND_CUSTOMER_ID),"
        " ('lucerne', seed_plan.MANY_DELETED_CUSTOMER_ID),"
        " ('wwi', seed_plan.stable_id('customer', 'wideworldimporters'))]:\n"
        "    customer = customer_get(str(tenant))\n"
        "    if customer is None:\n"
        "        continue\n"
        "    user = users_of(customer).order_by('display_key')[customer.users_count // 2]\n"
        "    print(key, customer.tenant_id, user.user_id, customer.users_count,"
        " customer.deleted_count)\n"
    )
    found: dict[str, str] = {}
    for row in out.split("\n"):
        if row.strip():
            key, tenant, user, users, deleted = row.split()
            found[key], found[f"{key}-user"] = tenant, user
            found[f"{key}-counts"] = f"{users} users, {deleted} deleted"
    return found


def ratio(case: Case, baseline: Case) -> str:
    return f"{median(case) / median(baseline):.2f}×"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--large", type=int, default=50000)
    parser.add_argument("--many", type=int, default=200)
    parser.add_argument("--mixed", type=int, default=1000)
    args = parser.parse_args()

    default = Portal("default", args.database, args.postgres)
    scale = Portal("scale", args.database, args.postgres)
    try:
        built_default = build(default, large=0, many=0)
        built_scale = build(scale, large=args.large, many=args.many)
        found = ids(scale)
        default.serve()
        scale.serve()
        signed_in, small_signed_in = scale.session(), default.session()
        anonymous = requests.Session()

        big, contoso = found["large"], found["contoso"]
        cases: dict[str, tuple[Case, Case]] = {}

        def pair(name: str, path_big: str, path_small: str, *, small_portal: bool = False) -> None:
            base_small = default if small_portal else scale
            session_small = small_signed_in if small_portal else signed_in
            cases[name] = (
                Case(f"{name}: scale", signed_in, f"{scale.url}{path_big}"),
                Case(f"{name}: baseline", session_small, f"{base_small.url}{path_small}"),
            )

        users_big, users_small = f"/customers/{big}/", f"/customers/{contoso}/"
        for label, query in [
            ("users list, page 1", ""),
            ("users list, page 900", "?page=900"),
            (f"users list, search '{SEARCH_NAME}'", f"?q={SEARCH_NAME}"),
            ("users list, sort by name desc", "?dir=desc"),
            ("users list, sort by username", "?sort=username"),
            ("users list, sort by location", "?sort=location"),
            ("users list, sort by admin roles", "?sort=roles&dir=desc"),
        ]:
            pair(label, f"{users_big}{query}", f"{users_small}{query}")
        deleted_big = f"/customers/{found['lucerne']}/deleted/"
        deleted_small = f"/customers/{found['wwi']}/deleted/"
        pair("deleted users, page 1", deleted_big, deleted_small)
        pair("deleted users, search 'a'", f"{deleted_big}?q=a", f"{deleted_small}?q=a")
        pair(
            f"dashboard search '{SEARCH_NAME}'",
            f"/search/?q={SEARCH_NAME}",
            f"/search/?q={SEARCH_NAME}",
            small_portal=True,
        )
        floor = (
            Case("users list (Contoso, 48 users)", signed_in, f"{scale.url}{users_small}"),
            Case("sign-in page (baseline)", anonymous, f"{scale.url}/sign-in/"),
        )
        user_pages = (
            Case("user page: 50,000-user customer", signed_in,
                 f"{scale.url}{users_big}users/{found['large-user']}/"),
            Case("user page: Contoso", signed_in,
                 f"{scale.url}{users_small}users/{found['contoso-user']}/"),
        )  # fmt: skip

        # Warm every worker (connections, templates) before anything counts.
        warm_cases = [case for both in cases.values() for case in both] + list(floor)
        for case in warm_cases + list(user_pages):
            for _ in range(6):
                case.once()
        calls_before = scale.sandbox_calls() + default.sandbox_calls()
        interleaved(warm_cases, rounds=args.rounds, requests_each=args.requests)
        warm_views = sum(len(case.timings) for case in warm_cases)
        calls = scale.sandbox_calls() + default.sandbox_calls() - calls_before
        interleaved(user_pages, rounds=args.rounds, requests_each=args.requests)

        mixed = [*warm_cases, *user_pages]
        for number in range(args.mixed):
            mixed[number % len(mixed)].once()
        rss = [rss_mb(pid) for pid in scale.worker_pids()]

        print(f"Database: {args.database}; gunicorn {scale.worker_pids().__len__()} workers "
              f"(docker/gunicorn.conf.py), DEBUG=false")  # fmt: skip
        counts = found.get("large-counts")
        print(f"Built in {built_default:.0f} s (default) and {built_scale:.0f} s (scale: "
              f"{counts} in the large customer, +{args.many} customers)")  # fmt: skip
        print()
        print(f"{'Figure':<58} {'ratio':>7}   goal")
        for name, (case, baseline) in cases.items():
            goal = "≤ 1.5×" if name.startswith("dashboard") else "≤ 1.3×"
            print(f"{name:<58} {ratio(case, baseline):>7}   {goal}")
        print(f"{'user page ÷ user page':<58} {ratio(*user_pages):>7}   ≤ 1.3×")
        print(f"{'users list (48 users) p50 ÷ sign-in page':<58} {ratio(*floor):>7}   ≤ 4×")
        print(f"{'Partner Center calls per warm view':<58} {calls / warm_views:>7.2f}   0 "
              f"({calls} calls in {warm_views} views)")  # fmt: skip
        print(f"{'largest web worker RSS after ' + str(args.mixed) + ' mixed requests':<58} "
              f"{max(rss):>5.0f} MB   ≤ 150 MB (all workers: "
              f"{', '.join(f'{value:.0f}' for value in rss)} MB)")  # fmt: skip
        print()
        for both in cases.values():
            for case in both:
                print(line(case))
        for case in (*floor, *user_pages):
            print(line(case))
        mean = statistics.mean(floor[0].medians)
        print(f"(p95 of the sign-in page {p95(floor[1]):.1f} ms; "
              f"rounds' medians of the users list {mean:.1f} ms)")  # fmt: skip
    finally:
        default.stop()
        scale.stop()


if __name__ == "__main__":
    main()
