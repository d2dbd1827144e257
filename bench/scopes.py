"""Customer scopes cost nothing: the same pages for a person scoped to a few customers and for a
superuser who sees them all.

Run: .venv/bin/python bench/scopes.py [--database sqlite|postgres] [--rounds 3]
        [--requests 30] [--many 200] [--scoped 20]

One throw-away portal: the default sandbox seed plus `--many` customers of 2,500 users (about
200 customers and 500,000 users for 200), read into the directory by the maintenance loop's
sweep. Served by gunicorn with docker/gunicorn.conf.py and DEBUG=false. Two staff are signed in:
a superuser, and a Helpdesk agent whose only role is on a scope of `--scoped` customers (Contoso
and the first of the added ones). Each case is timed for both in the same run, interleaved in a
new random order each pass; the figure is the scoped person's median ÷ the superuser's, with
each one's p50 and p95:

  - the dashboard's search for a common first name (every customer's users, or the scope's);
  - the customers list, page 1, and a search of it;
  - Contoso's users list (a customer both may see: the scope check on one customer).

The goal is ≤ 1.0× (no slower), within the machine's noise.
"""

from __future__ import annotations

import argparse

from portal_run import Case, Portal, database_arguments, interleaved, line, median
from users_list import SEARCH_NAME, build

SCOPED = "scoped-helpdesk"


def scope(portal: Portal, *, customers: int) -> str:
    """A Helpdesk agent with a role on Contoso and the next customers by name; Contoso's id."""
    return portal.python(
        "from django.contrib.auth.models import User\n"
        "from customers.directory.customer_queries import customers_matching\n"
        "from portal.models import CustomerScope, ScopeCustomer, StaffGrant\n"
        "from portal.sandbox import seed_plan\n"
        "contoso = str(seed_plan.CUSTOM_DOMAIN_CUSTOMER_ID)\n"
        "others = [c.tenant_id for c in customers_matching('') if c.tenant_id != contoso]\n"
        f"chosen = [contoso, *others[:{customers} - 1]]\n"
        "scope = CustomerScope.objects.create(name='Bench team')\n"
        "ScopeCustomer.objects.bulk_create("
        "ScopeCustomer(scope=scope, customer_id=c) for c in chosen)\n"
        f"user = User.objects.create_user('{SCOPED}')\n"
        "StaffGrant.objects.create(staff=user, role='Helpdesk agent', scope=scope)\n"
        "print(contoso)\n"
    ).strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    database_arguments(parser)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--many", type=int, default=200)
    parser.add_argument("--scoped", type=int, default=20)
    args = parser.parse_args()

    portal = Portal("scopes", args.database, args.postgres)
    try:
        built = build(portal, large=0, many=args.many)
        contoso = scope(portal, customers=args.scoped)
        portal.serve()
        everyone, scoped = portal.session(), portal.session(username=SCOPED)
        pairs: dict[str, tuple[Case, Case]] = {}
        for name, path in [
            (f"dashboard search '{SEARCH_NAME}'", f"/search/?q={SEARCH_NAME}"),
            ("customers list, page 1", "/customers/"),
            ("customers list, search 'a'", "/customers/?q=a"),
            ("Contoso's users list", f"/customers/{contoso}/"),
        ]:
            pairs[name] = (
                Case(f"{name}: scoped to {args.scoped}", scoped, f"{portal.url}{path}"),
                Case(f"{name}: superuser", everyone, f"{portal.url}{path}"),
            )
        cases = [case for pair in pairs.values() for case in pair]
        for case in cases:  # warm every worker
            for _ in range(6):
                case.once()
        interleaved(cases, rounds=args.rounds, requests_each=args.requests)

        print(f"Database: {args.database}; built in {built:.0f} s ({args.many} more customers)")
        print()
        print(f"{'Figure: scoped ÷ superuser':<58} {'ratio':>7}   goal")
        for name, (mine, theirs) in pairs.items():
            print(f"{name:<58} {median(mine) / median(theirs):>6.2f}×   ≤ 1.0×")
        print()
        for case in cases:
            print(line(case))
    finally:
        portal.stop()


if __name__ == "__main__":
    main()
