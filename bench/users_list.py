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

  - Users and licenses of the 50,000-user customer (page 1, page 900, a search for a name, one
    for a letter, a search sorted by username, each sort) ÷ the same view of Contoso (48
    users), both on the scale portal;
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
from dataclasses import dataclass

import requests
from portal_run import Case, Portal, database_arguments, interleaved, line, median, p95, rss_mb

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


@dataclass
class Cases:
    """Every timed case: each scale page with its baseline, the users list with the sign-in
    page, and the user page of each customer."""

    pairs: dict[str, tuple[Case, Case]]
    floor: tuple[Case, Case]
    user_pages: tuple[Case, Case]

    @property
    def warm(self) -> list[Case]:
        """The cases that read only the directory (no live call)."""
        return [case for both in self.pairs.values() for case in both] + list(self.floor)


def cases_of(default: Portal, scale: Portal, found: dict[str, str]) -> Cases:
    signed_in, small_signed_in = scale.session(), default.session()
    pairs: dict[str, tuple[Case, Case]] = {}

    def pair(name: str, path_big: str, path_small: str, *, small_portal: bool = False) -> None:
        base_small = default if small_portal else scale
        session_small = small_signed_in if small_portal else signed_in
        pairs[name] = (
            Case(f"{name}: scale", signed_in, f"{scale.url}{path_big}"),
            Case(f"{name}: baseline", session_small, f"{base_small.url}{path_small}"),
        )

    users_big, users_small = f"/customers/{found['large']}/", f"/customers/{found['contoso']}/"
    for label, query in [
        ("users list, page 1", ""),
        ("users list, page 900", "?page=900"),
        (f"users list, search '{SEARCH_NAME}'", f"?q={SEARCH_NAME}"),
        # The first letter typed, which the live search sends: thousands of users match.
        ("users list, search 'a'", "?q=a"),
        (f"users list, search '{SEARCH_NAME}' by username", f"?q={SEARCH_NAME}&sort=username"),
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
    search = f"/search/?q={SEARCH_NAME}"
    pair(f"dashboard search '{SEARCH_NAME}'", search, search, small_portal=True)
    floor = (
        Case("users list (Contoso, 48 users)", signed_in, f"{scale.url}{users_small}"),
        Case("sign-in page (baseline)", requests.Session(), f"{scale.url}/sign-in/"),
    )
    user_pages = (
        Case("user page: 50,000-user customer", signed_in,
             f"{scale.url}{users_big}users/{found['large-user']}/"),
        Case("user page: Contoso", signed_in,
             f"{scale.url}{users_small}users/{found['contoso-user']}/"),
    )  # fmt: skip
    return Cases(pairs, floor, user_pages)


def measure(cases: Cases, portals: list[Portal], args: argparse.Namespace) -> tuple[int, int]:
    """Time every case; (Partner Center calls, views) of the directory-only pages."""
    # Warm every worker (connections, templates) before anything counts.
    for case in cases.warm + list(cases.user_pages):
        for _ in range(6):
            case.once()
    calls_before = sum(portal.sandbox_calls() for portal in portals)
    interleaved(cases.warm, rounds=args.rounds, requests_each=args.requests)
    views = sum(len(case.timings) for case in cases.warm)
    calls = sum(portal.sandbox_calls() for portal in portals) - calls_before
    interleaved(cases.user_pages, rounds=args.rounds, requests_each=args.requests)
    return calls, views


def report(
    cases: Cases, calls: int, views: int, rss: list[float], args: argparse.Namespace
) -> None:
    print(f"{'Figure':<58} {'ratio':>7}   goal")
    for name, (case, baseline) in cases.pairs.items():
        goal = "≤ 1.5×" if name.startswith("dashboard") else "≤ 1.3×"
        print(f"{name:<58} {ratio(case, baseline):>7}   {goal}")
    print(f"{'user page ÷ user page':<58} {ratio(*cases.user_pages):>7}   ≤ 1.3×")
    print(f"{'users list (48 users) p50 ÷ sign-in page':<58} {ratio(*cases.floor):>7}   ≤ 4×")
    print(f"{'Partner Center calls per warm view':<58} {calls / views:>7.2f}   0 "
          f"({calls} calls in {views} views)")  # fmt: skip
    print(f"{'largest web worker RSS after ' + str(args.mixed) + ' mixed requests':<58} "
          f"{max(rss):>5.0f} MB   ≤ 150 MB (all workers: "
          f"{', '.join(f'{value:.0f}' for value in rss)} MB)")  # fmt: skip
    print()
    for both in cases.pairs.values():
        for case in both:
            print(line(case))
    for case in (*cases.floor, *cases.user_pages):
        print(line(case))
    mean = statistics.mean(cases.floor[0].medians)
    print(f"(p95 of the sign-in page {p95(cases.floor[1]):.1f} ms; "
          f"rounds' medians of the users list {mean:.1f} ms)")  # fmt: skip


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    database_arguments(parser)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--large", type=int, default=50000)
    parser.add_argument("--many", type=int, default=200)
    parser.add_argument("--mixed", type=int, default=1000)
    return parser.parse_args()


def main() -> None:
    args = arguments()
    default = Portal("default", args.database, args.postgres)
    scale = Portal("scale", args.database, args.postgres)
    try:
        built_default = build(default, large=0, many=0)
        built_scale = build(scale, large=args.large, many=args.many)
        found = ids(scale)
        default.serve()
        scale.serve()
        cases = cases_of(default, scale, found)
        calls, views = measure(cases, [scale, default], args)
        mixed = [*cases.warm, *cases.user_pages]
        for number in range(args.mixed):
            mixed[number % len(mixed)].once()
        rss = [rss_mb(pid) for pid in scale.worker_pids()]
        print(f"Database: {args.database}; gunicorn {len(scale.worker_pids())} workers "
              f"(docker/gunicorn.conf.py), DEBUG=false")  # fmt: skip
        counts = found.get("large-counts")
        print(f"Built in {built_default:.0f} s (default) and {built_scale:.0f} s (scale: "
              f"{counts} in the large customer, +{args.many} customers)")  # fmt: skip
        print()
        report(cases, calls, views, rss, args)
    finally:
        default.stop()
        scale.stop()


if __name__ == "__main__":
    main()
