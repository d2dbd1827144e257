"""The directory: syncs (whole or not at all, one at a time, write-throughs kept), word search,
modes, the background budget and the sweep — against the seeded sandbox through the SDK."""

from __future__ import annotations

import importlib
import threading
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from django.apps import apps as django_apps
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from pytest_django import DjangoAssertNumQueries
from pytest_django.fixtures import Settings

from customers.directory import sync as directory_sync
from customers.directory import user_queries
from customers.directory.background import directory_sweep
from customers.directory.budget import BackgroundBudget, CallCounter
from customers.directory.customer_queries import customer_get, customers_matching, directory_health
from customers.directory.models import DirectoryCustomer, DirectoryUser, DirectoryWord
from customers.directory.search import user_by_username, users_search
from customers.directory.sync import directory_customer_claim, directory_customer_sync
from customers.directory.user_queries import (
    ANY_ROLE,
    UserListQuery,
    deleted_page,
    users_of,
    users_page,
)
from customers.directory.writes import directory_user_deleted, directory_user_write
from portal.partnercenter import (
    WORKER_THROTTLE_WAIT_CAP,
    Forbidden,
    Unavailable,
    partner_center,
)
from portal.partnercenter import CustomerUser as UserResource
from portal.routers import SANDBOX_DB
from portal.sandbox import seed, seed_plan
from portal.sandbox.models import CustomerUser, FaultSettings
from tests.directory_data import synced

pytestmark = [
    pytest.mark.django_db(databases=["default", "sandbox"]),
    pytest.mark.usefixtures("seeded_sandbox"),
]

CONTOSO = str(seed_plan.CUSTOM_DOMAIN_CUSTOMER_ID)
ADATUM = str(seed_plan.NO_ACCESS_CUSTOMER_ID)


def names(customer: DirectoryCustomer) -> set[str]:
    return set(
        DirectoryUser.objects.filter(customer=customer, generation=customer.generation).values_list(
            "display_name", flat=True
        )
    )


def generations(customer: DirectoryCustomer) -> set[int]:
    return set(DirectoryUser.objects.filter(customer=customer).values_list("generation", flat=True))


# --- A sync is whole or not at all ---------------------------------------------------------------


@pytest.mark.parametrize("fault", ["5xx", "lost answers and 429s"])
def test_a_sync_under_faults_leaves_the_old_mirror_or_the_new_never_a_mixture(
    fault: str, sdk_sleeps: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    tailspin = str(seed_plan.LARGE_CUSTOMER_ID)
    mirror = synced(tailspin)
    before = names(mirror)
    CustomerUser.objects.filter(customer_id=tailspin).update(display_name="Renamed Meanwhile")
    pc = partner_center(throttle_wait_cap=WORKER_THROTTLE_WAIT_CAP)
    if fault == "5xx":
        # The first thousand users arrive, then Partner Center fails every call: the sync
        # stops halfway through the users.
        def fail_from_now(self: object) -> None:
            FaultSettings.objects.update(error_rate=1.0)

        monkeypatch.setattr(directory_sync._GenerationWriter, "_progress", fail_from_now)
        with pytest.raises(Unavailable):
            directory_customer_sync(pc=pc, customer=mirror, concurrency=1)
        mirror.refresh_from_db()
        assert names(mirror) == before  # the old mirror, whole
        assert "Renamed Meanwhile" not in names(mirror)
        assert generations(mirror) == {mirror.generation}  # the half-read one is gone
        assert mirror.sync_state == DirectoryCustomer.SYNC_FAILED and mirror.sync_error
    else:
        settings = FaultSettings.current()
        settings.lost_response_rate = 1.0  # reads change nothing: nothing to lose
        settings.throttle_rate = 0.3
        settings.save()
        directory_customer_sync(pc=pc, customer=mirror, concurrency=1)
        mirror.refresh_from_db()
        assert names(mirror) == {"Renamed Meanwhile"}  # the new mirror, whole
        assert generations(mirror) == {mirror.generation}
        assert sdk_sleeps, "some 429s were waited out"


def test_a_write_through_during_a_sync_survives_it(monkeypatch: pytest.MonkeyPatch) -> None:
    mirror = synced(CONTOSO)
    alice = DirectoryUser.objects.filter(
        customer=mirror, generation=mirror.generation, state="active"
    ).order_by("display_key")[0]
    calls = {"n": 0}
    original = directory_sync._GenerationWriter._progress

    def write_during(self: directory_sync._GenerationWriter) -> None:
        # While the sync is reading, the portal changes a user and adds one (as Submit and
        # Add user would), writing Partner Center's answers through.
        calls["n"] += 1
        if calls["n"] == 1:
            directory_user_write(
                tenant_id=CONTOSO,
                user=UserResource(
                    id=alice.user_id,
                    user_principal_name=alice.user_principal_name,
                    display_name="Written Through",
                ),
            )
            directory_user_write(
                tenant_id=CONTOSO,
                user=UserResource(
                    id="00000000-0000-4000-8000-00000000c0de",
                    user_principal_name="new.joiner@contoso.com",
                    display_name="New Joiner",
                ),
            )
        original(self)

    monkeypatch.setattr(directory_sync._GenerationWriter, "_progress", write_during)
    directory_customer_sync(pc=partner_center(), customer=mirror, concurrency=1)
    mirror.refresh_from_db()
    after = names(mirror)
    assert "Written Through" in after
    assert alice.display_name not in after or alice.display_name == "Written Through"
    assert "New Joiner" in after
    assert users_of(mirror, search="written thr").count() == 1


def test_two_syncs_of_one_customer_started_at_once_run_once() -> None:
    mirror = synced(CONTOSO)
    assert directory_customer_claim(mirror) is not None
    counter = CallCounter()
    second = directory_customer_sync(pc=partner_center(pacer=counter), customer=mirror)
    assert not second.claimed and counter.calls == 0
    # A claim whose holder went silent past the lease is taken over.
    DirectoryCustomer.objects.filter(pk=mirror.pk).update(
        sync_heartbeat_at=datetime.now(UTC) - directory_sync.LEASE - timedelta(seconds=1)
    )
    assert directory_customer_sync(pc=partner_center(), customer=mirror).claimed


@pytest.mark.django_db(transaction=True, databases=["default", "sandbox"])
def test_concurrent_syncs_in_threads_make_one_generation(settings: Settings) -> None:
    seed.sandbox_seed(reset=True)
    try:
        mirror = synced(CONTOSO)
        start = mirror.generation
        barrier = threading.Barrier(3)
        results: list[bool] = []

        def run() -> None:
            from django.db import connections

            try:
                barrier.wait()
                results.append(
                    directory_customer_sync(
                        pc=partner_center(), customer=mirror, concurrency=2
                    ).claimed
                )
            finally:
                connections.close_all()

        threads = [threading.Thread(target=run) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        mirror.refresh_from_db()
        assert results.count(True) >= 1
        assert mirror.generation == start + results.count(True)
        assert generations(mirror) == {mirror.generation}
        assert (
            mirror.users_count
            == CustomerUser.objects.filter(customer_id=CONTOSO, state="active").count()
        )
    finally:
        with transaction.atomic(using=SANDBOX_DB):
            seed.sandbox_wipe()


@pytest.mark.django_db(transaction=True, databases=["default", "sandbox"])
def test_after_a_sync_a_search_reads_no_row_of_the_words_table() -> None:
    """Outside a test's transaction, as in a worker: the sync leaves its words readable from
    the index alone (PostgreSQL: their pages vacuumed, so no heap fetch; SQLite: the covering
    index)."""
    seed.sandbox_seed(reset=True)
    try:
        contoso = synced(CONTOSO)
        with CaptureQueriesContext(connection) as queries:
            assert users_page(contoso, UserListQuery(search="a"), 1).paginator.count > 0
        (sql,) = [query["sql"] for query in queries if "customers_directoryword" in query["sql"]]
        with transaction.atomic():
            if connection.vendor == "sqlite":
                assert _reads_the_index_alone(sql)
            else:
                assert _heap_fetches(sql) == [0]
    finally:
        with transaction.atomic(using=SANDBOX_DB):
            seed.sandbox_wipe()


def _heap_fetches(sql: str) -> list[int]:
    """How many table rows PostgreSQL fetched in each index-only scan of `sql`, run."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute(f"EXPLAIN (ANALYZE) {sql}")
        plan = [row[0] for row in cursor.fetchall()]
    only = [step for step in plan if "Index Only Scan" in step]
    assert only, plan
    return [int(step.split(":")[1]) for step in plan if "Heap Fetches:" in step]


def test_a_customer_without_delegated_access_is_marked_and_keeps_nothing() -> None:
    synced(CONTOSO)  # the customers list
    adatum = customer_get(ADATUM)
    assert adatum is not None
    with pytest.raises(Forbidden):
        directory_customer_sync(pc=partner_center(), customer=adatum)
    adatum.refresh_from_db()
    assert adatum.access == DirectoryCustomer.ACCESS_NONE and not adatum.mirrored
    assert "no delegated admin access to Adatum Corporation" in adatum.sync_error
    assert not DirectoryUser.objects.filter(customer=adatum).exists()


# --- Search --------------------------------------------------------------------------------------


def test_word_prefix_search_with_accents_and_cases_across_customers() -> None:
    mirror = synced(CONTOSO)
    tailspin = synced(str(seed_plan.LARGE_CUSTOMER_ID))
    for customer in (mirror, tailspin):
        user = DirectoryUser.objects.filter(customer=customer, state="active").first()
        assert user is not None
    lopez = DirectoryUser.objects.filter(
        customer=tailspin, generation=tailspin.generation, last_name="López"
    ).first()
    assert lopez is not None, "the seed has a López"
    first = lopez.first_name
    for query in ("lopez", "LÓPEZ", f"{first[:2]} lop", lopez.user_principal_name[:6]):
        found = users_of(tailspin, search=query)
        assert found.filter(pk=lopez.pk).exists(), query
    # Every word must match the start of a word: "opez" starts none.
    assert not users_of(tailspin, search="opez").filter(pk=lopez.pk).exists()
    # The dashboard's search spans customers and says where each user is.
    page = users_search("lopez", 1)
    assert page.paginator.count >= 1
    assert {row.customer.tenant_id for row in page.object_list} <= {CONTOSO, tailspin.tenant_id}
    # "jdoe@fab"-style: the username's words.
    alias, _, domain = lopez.user_principal_name.partition("@")
    assert users_search(f"{alias}@{domain[:4]}", 1).paginator.count >= 1


def test_exact_matches_come_first_in_the_dashboard_search() -> None:
    synced(str(seed_plan.LARGE_CUSTOMER_ID))
    tailspin = customer_get(str(seed_plan.LARGE_CUSTOMER_ID))
    assert tailspin is not None
    sample = users_of(tailspin).order_by("display_key")[100]
    page = users_search(sample.display_name, 1)
    assert page.object_list[0].display_name == sample.display_name


def test_the_dashboard_search_orders_the_whole_name_then_whole_words_then_prefixes() -> None:
    synced(CONTOSO)
    tailspin = str(seed_plan.LARGE_CUSTOMER_ID)
    synced(tailspin)
    people = [
        (CONTOSO, "Zyxa Quorbel-Ames", "zyxa.qa"),  # every word whole, the name longer
        (tailspin, "Zyxabeth Quorbel", "zq"),  # a word only started
        (tailspin, "Zyxa Quorbel", "zyxa.q"),  # the whole name
        (CONTOSO, "Zyxa Quorbel", "zyxa.quorbel"),  # the same name at another customer
        (CONTOSO, "Zyxa Other", "zyxa.other"),  # one word only: not found
    ]
    _written(people, series="51")
    page = users_search("zyxa QUÒRBEL", 1)
    found = [(row.display_name, row.customer.company_name) for row in page.object_list]
    contoso, tailspin_name = customer_get(CONTOSO), customer_get(tailspin)
    assert contoso is not None and tailspin_name is not None
    exact = sorted(
        [("Zyxa Quorbel", contoso.company_name), ("Zyxa Quorbel", tailspin_name.company_name)]
    )
    assert found == [
        *exact,
        ("Zyxa Quorbel-Ames", contoso.company_name),
        ("Zyxabeth Quorbel", tailspin_name.company_name),
    ]
    assert page.paginator.count == 4
    # Paged: the second page of two a page starts where the first ended.
    assert [
        row.display_name for row in users_search("zyxa quorbel", 2, per_page=2).object_list
    ] == [
        "Zyxa Quorbel-Ames",
        "Zyxabeth Quorbel",
    ]


def test_a_one_word_search_lists_each_user_once_at_its_best_word_on_every_page() -> None:
    synced(CONTOSO)
    tailspin = str(seed_plan.LARGE_CUSTOMER_ID)
    synced(tailspin)
    # Most have several words starting "zyxa"; each is listed once, where its best word puts it.
    people = [
        (CONTOSO, "Zyxabel Zyxaline", "u1"),  # two words only started
        (tailspin, "Zyxa", "u2"),  # the whole name
        (CONTOSO, "Zyxabeth Zyxa", "u3"),  # one word whole, one started
        (tailspin, "Moor Zyxa", "zyxa.moor"),  # whole in the name and the username
        (CONTOSO, "Zyxaline Moor", "zyxaline"),  # only started, twice
        (tailspin, "Zyxa Zyxabel", "zyxabel.z"),  # whole, and started three times
    ]
    _written(people, series="52")
    expected = [
        "Zyxa",
        "Moor Zyxa",
        "Zyxa Zyxabel",
        "Zyxabeth Zyxa",
        "Zyxabel Zyxaline",
        "Zyxaline Moor",
    ]
    for per_page in (1, 2, 4, 50):
        pages = -(-len(expected) // per_page)
        listed = [
            row.display_name
            for number in range(1, pages + 1)
            for row in users_search("ZYXA", number, per_page=per_page).object_list
        ]
        assert listed == expected, per_page
        assert users_search("zyxa", pages, per_page=per_page).paginator.count == len(expected)
    # Every page of a word most users have several of: each user once, none left out.
    many = users_search("a", 1, per_page=20)
    seen = [
        row.pk
        for number in many.paginator.page_range
        for row in users_search("a", number, per_page=20).object_list
    ]
    assert len(seen) == len(set(seen)) == many.paginator.count > 100


def _written(people: list[tuple[str, str, str]], *, series: str) -> None:
    """Each (tenant, display name, alias) written through to the directory as a new user, its
    id numbered in `series` (two digits)."""
    for number, (tenant, name, alias) in enumerate(people):
        directory_user_write(
            tenant_id=tenant,
            user=UserResource(
                id=f"00000000-0000-4000-8000-00000000{series}{number:02d}",
                user_principal_name=f"{alias}@example.com",
                display_name=name,
            ),
        )


def test_a_search_matching_many_users_finds_the_same_as_one_matching_few(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tailspin = synced(str(seed_plan.LARGE_CUSTOMER_ID))
    by_key = set(users_of(tailspin, search="a").values_list("pk", flat=True))
    assert len(by_key) > 100
    searches = ("a", "a m", "m a", "maria a", "a maria", "j a")
    pages = {search: _listed(tailspin, search) for search in searches}
    assert all(count for count, _, _ in pages.values()), {s: p[0] for s, p in pages.items()}
    # Past FEW_MATCHES the users are given to the database as a subquery instead of keys, and
    # counted from their words.
    monkeypatch.setattr(user_queries, "FEW_MATCHES", 10)
    assert set(users_of(tailspin, search="a").values_list("pk", flat=True)) == by_key
    for search, listed in pages.items():
        assert _listed(tailspin, search) == listed, search


def _listed(
    customer: DirectoryCustomer, search: str
) -> tuple[int, list[str], tuple[int, list[str]]]:
    """A search's count and its last page, and those of the Deleted users tab."""
    users = users_page(customer, UserListQuery(search=search), 1, per_page=20)
    last = users_page(customer, UserListQuery(search=search), users.paginator.num_pages)
    deleted = deleted_page(customer, search, 1)
    names = [row.user_principal_name for row in last.object_list]
    deleted_names = [row.user_principal_name for row in deleted.object_list]
    return users.paginator.count, names, (deleted.paginator.count, deleted_names)


def test_a_search_matching_many_users_is_counted_from_its_words_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Counted from the users, each looked up among the words' thousands, a search for 'a' in
    50,000 users took 32 ms (PostgreSQL) and 37 ms (SQLite)."""
    tailspin = synced(str(seed_plan.LARGE_CUSTOMER_ID))
    monkeypatch.setattr(user_queries, "FEW_MATCHES", 10)
    for search in ("a", "a m"):
        with CaptureQueriesContext(connection) as queries:
            assert users_page(tailspin, UserListQuery(search=search), 1).paginator.count > 10
        (count,) = [query["sql"] for query in queries if "COUNT(" in query["sql"].upper()]
        assert "customers_directoryuser" not in count, count


def test_a_search_sorted_by_username_sorts_its_few_users_and_walks_no_index() -> None:
    """Ordered by the column, PostgreSQL walked every customer's usernames in order
    (directory_user_upn), testing each against the search's keys: 23 ms for a page of 'maria'
    in 50,000 users."""
    synced(CONTOSO)
    tailspin = synced(str(seed_plan.LARGE_CUSTOMER_ID))
    everyone = sorted(users_of(tailspin, search="maria").values_list("upn_key", flat=True))
    assert 3 < len(everyone) <= user_queries.FEW_MATCHES
    for descending in (False, True):
        query = UserListQuery(search="maria", sort="username", descending=descending)
        with CaptureQueriesContext(connection) as queries:
            page = users_page(tailspin, query, 1, per_page=3)
            listed = [row.user_principal_name.lower() for row in page.object_list]
        assert listed == (everyone[::-1] if descending else everyone)[:3]
        (sql,) = [
            query["sql"] for query in queries if "customers_directoryword" not in query["sql"]
        ]
        plan = _plan(sql, sorts=False)
        assert not any("directory_user_upn" in step for step in plan), plan


def test_a_customer_is_found_by_any_of_its_domains() -> None:
    synced(CONTOSO)
    assert [row.tenant_id for row in customers_matching(seed_plan.CUSTOM_DOMAIN)] == [CONTOSO]
    assert [row.tenant_id for row in customers_matching("CONTOSO.COM")] == [CONTOSO]


def test_rows_read_in_sandbox_mode_never_show_in_live_mode(settings: Settings) -> None:
    mirror = synced(CONTOSO)
    user = users_of(mirror).first()
    assert user is not None
    settings.PARTNER_CENTER_MODE = "live"
    assert customer_get(CONTOSO) is None
    assert not customers_matching("").exists()
    assert user_by_username(user.user_principal_name) is None
    assert users_search(user.display_name, 1).paginator.count == 0


def test_the_search_index_holds_every_word_of_a_user() -> None:
    mirror = synced(CONTOSO)
    user = users_of(mirror).exclude(first_name="").first()
    assert user is not None
    words = set(DirectoryWord.objects.filter(user=user).values_list("word", flat=True))
    alias, _, domain = user.user_principal_name.partition("@")
    assert alias.split(".")[0] in words
    assert domain.split(".")[0] in words


# --- The background budget and the sweep -----------------------------------------------------


def test_the_budget_spaces_calls_and_slows_down_after_a_429() -> None:
    clock = [datetime(2026, 12, 1, 9, tzinfo=UTC)]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock[0] += timedelta(seconds=seconds)

    budget = BackgroundBudget(calls_per_second=20, sleep=sleep, now=lambda: clock[0])
    for _ in range(5):
        budget.before_call()
    assert slept == pytest.approx([0.05] * 4)  # 20 a second: one every 50 ms
    budget.throttled(2.0)
    budget.before_call()
    assert slept[-1] == pytest.approx(2.0)  # Retry-After first
    budget.before_call()
    assert slept[-1] == pytest.approx(0.1)  # then half the rate
    # A second budget (another process) shares the same slots.
    other = BackgroundBudget(calls_per_second=20, sleep=sleep, now=lambda: clock[0])
    other.before_call()
    assert slept[-1] == pytest.approx(0.1)


def test_the_sweep_reads_every_customer_due_then_nothing(sdk_sleeps: list[float]) -> None:
    report = directory_sweep(seconds=120, budget=CallCounter())
    assert report.customers_listed == len(seed_plan.CUSTOMERS)
    assert len(report.synced) == len(seed_plan.CUSTOMERS) - 1
    assert report.failed == [ADATUM]
    assert report.calls > len(seed_plan.CUSTOMERS)
    again = directory_sweep(seconds=120, budget=CallCounter())
    assert again.synced == [] and again.failed == [] and again.customers_listed is None
    assert all(
        row.mirrored or row.access == DirectoryCustomer.ACCESS_NONE
        for row in DirectoryCustomer.objects.all()
    )


def test_a_sweep_asked_to_stop_reads_no_further_customer(sdk_sleeps: list[float]) -> None:
    """A maintenance loop told to stop (SIGTERM) ends its slice at the next customer, not at
    the slice's deadline: `docker stop` waits 10 s by default."""
    stop = threading.Event()
    stop.set()
    report = directory_sweep(seconds=120, budget=CallCounter(), stop=stop)
    assert report.synced == [] and report.failed == []
    assert not DirectoryCustomer.objects.filter(generation__gt=0).exists()
    assert directory_sweep(seconds=120, budget=CallCounter()).synced  # not stopped: it reads


@pytest.mark.parametrize(
    "query",
    [
        UserListQuery(),
        UserListQuery(sort="location", descending=True),
        UserListQuery(search="a", sort="username"),
    ],
    ids=["by name", "by location, descending", "a search, by username"],
)
def test_every_page_holds_the_next_rows_of_the_list_at_any_depth(query: UserListQuery) -> None:
    tailspin = synced(str(seed_plan.LARGE_CUSTOMER_ID))
    columns = user_queries._ORDER[query.sort]
    order = [f"-{column}" if query.descending else column for column in columns]
    whole = list(users_of(tailspin, search=query.search).order_by(*order).values_list("pk"))
    paged = []
    first = users_page(tailspin, query, 1, per_page=97)
    for number in first.paginator.page_range:
        paged += [(user.pk,) for user in users_page(tailspin, query, number, per_page=97)]
    assert len(whole) > 500
    assert paged == whole  # pages past the middle are read from the end, in reverse


def test_every_deleted_page_holds_the_next_rows_at_any_depth() -> None:
    many = synced(str(seed_plan.MANY_DELETED_CUSTOMER_ID))
    whole = list(
        users_of(many, state=DirectoryUser.DELETED)
        .order_by("deleted_at", "display_key", "upn_key", "pk")
        .values_list("pk", flat=True)
    )
    paged = []
    for number in deleted_page(many, "", 1).paginator.page_range:
        paged += [user.pk for user in deleted_page(many, "", number)]
    assert len(whole) >= seed_plan.MANY_DELETED_USERS
    assert paged == whole


def test_a_searched_page_is_read_with_its_count_and_any_page_number_lands_on_a_page(
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    tailspin = synced(str(seed_plan.LARGE_CUSTOMER_ID))
    query = UserListQuery(search="a")
    whole = list(users_of(tailspin, search="a").order_by("display_key", "upn_key"))
    pages = -(-len(whole) // 50)
    assert pages > 2
    with django_assert_num_queries(2):  # the search's words, then the page with the count
        second = users_page(tailspin, query, 2)
        assert list(second) == whole[50:100]
    assert second.paginator.count == len(whole)
    # Past the end: the last page; not a number: the first; the same count either way.
    for number, shown in [("999", pages), ("x", 1), ("0", pages), (None, 1)]:
        page = users_page(tailspin, query, number)
        assert (page.number, page.paginator.count) == (shown, len(whole)), number
        assert list(page) == whole[(shown - 1) * 50 : shown * 50], number
    assert users_page(tailspin, UserListQuery(search="zzqx"), 3).paginator.count == 0


def test_a_searched_page_counts_only_the_users_its_state_and_filters_leave() -> None:
    tailspin = synced(str(seed_plan.LARGE_CUSTOMER_ID))
    searched = list(users_of(tailspin, search="m").order_by("display_key", "upn_key"))
    in_us = [user for user in searched if user.usage_location == "US"]
    admins = [user for user in searched if user.roles_key]
    for query, kept in [
        (UserListQuery(search="m", location="US"), in_us),
        (UserListQuery(search="m", role=ANY_ROLE), admins),
    ]:
        page = users_page(tailspin, query, 1)
        assert 0 < page.paginator.count == len(kept) < len(searched), query
        assert list(page) == kept[:50], query
    # Each tab's search reads the words of its own users.
    deleted = users_of(tailspin, state=DirectoryUser.DELETED, search="m")
    gone = list(deleted.order_by("deleted_at", "display_key", "upn_key", "pk"))
    page = deleted_page(tailspin, "m", 1)
    assert 0 < page.paginator.count == len(gone) < len(searched)
    assert list(page) == gone


def test_a_searched_list_is_counted_from_its_words_and_follows_a_user_deleted(
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    tailspin = synced(str(seed_plan.LARGE_CUSTOMER_ID))
    user = users_of(tailspin).exclude(first_name="").order_by("display_key")[10]
    word = user.first_name.split()[0]

    def listed(state: str, search: str) -> list[int]:
        users = users_of(tailspin, state=state, search=search)
        return list(users.order_by("display_key", "upn_key").values_list("pk", flat=True))

    with django_assert_num_queries(2):  # the word's users, then their page: no count query
        page = users_page(tailspin, UserListQuery(search=word), 1)
        shown, count = [row.pk for row in page], page.paginator.count
    assert user.pk in listed(DirectoryUser.ACTIVE, word)
    assert (shown, count) == (
        listed(DirectoryUser.ACTIVE, word)[:50],
        len(listed(DirectoryUser.ACTIVE, word)),
    )
    # Two words, each naming its users: the list is counted from the keys both name.
    both = f"{word} {user.user_principal_name[:2]}"
    assert users_page(tailspin, UserListQuery(search=both), 1).paginator.count == len(
        listed(DirectoryUser.ACTIVE, both)
    )
    deleted_before = deleted_page(tailspin, word, 1).paginator.count

    directory_user_deleted(tenant_id=tailspin.tenant_id, user_id=user.user_id)

    page = users_page(tailspin, UserListQuery(search=word), 1)
    assert user.pk not in [row.pk for row in page]
    assert page.paginator.count == len(listed(DirectoryUser.ACTIVE, word))
    gone = deleted_page(tailspin, word, 1)
    assert gone.paginator.count == deleted_before + 1
    assert user.pk in [row.pk for row in gone]


def test_the_migration_marks_the_words_of_users_deleted_before_it() -> None:
    many = synced(str(seed_plan.MANY_DELETED_CUSTOMER_ID))
    words = DirectoryWord.objects.filter(customer=many)
    deleted = words.filter(user__state=DirectoryUser.DELETED)
    assert deleted.exists()
    words.update(state=DirectoryUser.ACTIVE)  # as the column's default left them
    migration = importlib.import_module("customers.migrations.0007_word_state")
    # What the migration uses of its schema editor (a real one cannot open in a test's
    # transaction on SQLite).
    editor = SimpleNamespace(connection=connection, execute=connection.cursor().execute)
    migration.mark_deleted_users_words(django_apps, editor)
    assert not deleted.exclude(state=DirectoryUser.DELETED).exists()
    assert not words.exclude(user__state=DirectoryUser.DELETED).exclude(state="active").exists()


def test_the_dashboard_search_reads_its_page_with_its_count_in_one_query(
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    synced(str(seed_plan.LARGE_CUSTOMER_ID))
    with django_assert_num_queries(2):  # the ordered words with their count, then the users
        first = users_search("a", 1, per_page=10)
        assert len(first.object_list) == 10
    total = first.paginator.count
    assert total > 30
    last = users_search("a", "999", per_page=10)
    assert (last.number, last.paginator.count) == (-(-total // 10), total)
    assert len(last.object_list) == total - (last.number - 1) * 10
    second = users_search("a", 2, per_page=10)
    assert not {row.pk for row in first.object_list} & {row.pk for row in second.object_list}


def test_every_search_reads_its_words_from_the_word_index_alone() -> None:
    """The search across customers and a tab's search find, order and count their users from
    directory_word_prefix without reading a word's row: at 550,000 users the search across
    customers read 6,126 rows by rowid on SQLite for its display keys (13.1 ms, not 8.8)."""
    synced(CONTOSO)
    tailspin = synced(str(seed_plan.LARGE_CUSTOMER_ID))
    for search in (
        lambda: users_search("a", 1),
        lambda: users_search("a m", 1),
        lambda: users_page(tailspin, UserListQuery(search="m"), 1),
        lambda: deleted_page(tailspin, "m", 1),
    ):
        with CaptureQueriesContext(connection) as queries:
            search()
        words = [query["sql"] for query in queries if "customers_directoryword" in query["sql"]]
        assert words
        for sql in words:
            assert _reads_the_index_alone(sql), sql
    # Every sync writes every index of the words: no other holds the word.
    table = DirectoryWord._meta.db_table
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    indexed = {name for name, index in constraints.items() if "word" in index["columns"]}
    assert indexed == {"directory_word_prefix"}


def test_a_page_of_deleted_users_is_read_in_its_order_without_a_sort() -> None:
    many = synced(str(seed_plan.MANY_DELETED_CUSTOMER_ID))
    with CaptureQueriesContext(connection) as queries:
        page = deleted_page(many, "", 2)
        assert len(page.object_list) == 50
    (sql,) = [query["sql"] for query in queries]
    plan = _plan(sql, sorts=False)  # as with 1,500: a test's few rows are cheaper sorted
    assert any("directory_user_by_deletion" in step for step in plan), plan
    assert not any("TEMP B-TREE" in step or "Sort" in step for step in plan), plan


def _reads_the_index_alone(sql: str) -> bool:
    """Whether the database plans `sql` to read the search words from directory_word_prefix
    alone."""
    if connection.vendor == "sqlite":
        return any("COVERING INDEX directory_word_prefix" in step for step in _plan(sql))
    return any("Index Only Scan using directory_word_prefix" in step for step in _plan(sql))


def _plan(sql: str, *, sorts: bool = True) -> list[str]:
    """The steps the database plans for `sql` (as run, its parameters in it). PostgreSQL is kept
    from reading a test's few rows whole, as it would, and without `sorts` from sorting rows an
    index could give in order, as it would with 50,000 users."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
            return [str(row[-1]) for row in cursor.fetchall()]
        off = ["enable_seqscan", "enable_bitmapscan"] + ([] if sorts else ["enable_sort"])
        for setting in off:
            cursor.execute(f"SET LOCAL {setting} = off")
        try:
            cursor.execute(f"EXPLAIN {sql}")
            return [row[0] for row in cursor.fetchall()]
        finally:
            for setting in off:
                cursor.execute(f"RESET {setting}")


def test_the_directory_health_counts_every_figure_in_one_query(
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    synced(CONTOSO)
    synced(str(seed_plan.LARGE_CUSTOMER_ID))
    customers = DirectoryCustomer.objects.filter(mode="sandbox")
    customers.filter(tenant_id=ADATUM).update(access=DirectoryCustomer.ACCESS_NONE)
    customers.exclude(synced_at__isnull=False).exclude(tenant_id=ADATUM).update(
        sync_state=DirectoryCustomer.SYNC_QUEUED
    )
    with django_assert_num_queries(1):
        health = directory_health()
    mirrored = customers.filter(synced_at__isnull=False)
    assert health.customers == customers.count() > health.mirrored == mirrored.count() == 2
    assert health.no_access == 1
    assert health.reading == customers.filter(sync_state=DirectoryCustomer.SYNC_QUEUED).count()
    assert health.reading > 0
    assert health.oldest == mirrored.order_by("synced_at").values_list("synced_at", flat=True)[0]
