"""The shared test set-up: both databases, plain static files, and no real waiting."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import pytest
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse, HttpResponseBase, StreamingHttpResponse
from pytest_django import DjangoDbBlocker, Settings

from portal.routers import SANDBOX_DB
from portal.sandbox import seed
from tests.flush import sql_flush_holding_rows
from tests.sandbox_copy import SEED_COPY

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# Playwright's sync API runs an event loop in the test thread; Django's ORM must still be usable.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _plain_static_files(settings: Settings) -> None:
    # The manifest storage needs `collectstatic`; tests render templates without it.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # Staff passwords are hashed for every cast member of every test: a slow, strong hasher
    # would cost seconds per test and test nothing the fast one does not.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # A sync a page asks for runs at once, inside the request, on one thread: tests see the
    # directory filled as a worker would fill it (tests of the waiting itself say otherwise).
    settings.TASKS = {
        **settings.TASKS,
        "directory": {
            "BACKEND": "django.tasks.backends.immediate.ImmediateBackend",
            "QUEUES": ["directory"],
        },
    }
    settings.PORTAL_DIRECTORY_SYNC_CONCURRENCY = 1


# --- The staff cast (DESIGN.md section 3): one member per role, an outsider, a superuser ------
STAFF_PASSWORD = "a-long-test-password-4-staff"


def _staff(
    username: str,
    full_name: str,
    role: str | None,
    *,
    is_staff: bool = False,
    is_superuser: bool = False,
) -> User:
    # Imported here: conftest modules load before Django's app registry is ready.
    from django.contrib.auth.models import Group, User

    first_name, last_name = full_name.split(" ", 1)
    user = User.objects.create_user(
        username=username,
        password=STAFF_PASSWORD,
        first_name=first_name,
        last_name=last_name,
        is_staff=is_staff,
        is_superuser=is_superuser,
    )
    if role is not None:
        # get_or_create: a transactional (live_server) test flushes the migration-made groups.
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    return user


@pytest.fixture
def admin_agent(db: None) -> User:
    return _staff("amara", "Amara Okafor", "Admin agent")


@pytest.fixture
def helpdesk_agent(db: None) -> User:
    return _staff("hugo", "Hugo Lindqvist", "Helpdesk agent")


@pytest.fixture
def sales_agent(db: None) -> User:
    return _staff("sofia", "Sofia Marin", "Sales agent")


@pytest.fixture
def no_role_staff(db: None) -> User:
    """The outsider: a staff account nobody has given a role yet."""
    return _staff("oscar", "Oscar Outsider", None)


@pytest.fixture
def superuser(db: None) -> User:
    return _staff("sam", "Sam Root", None, is_staff=True, is_superuser=True)


@pytest.fixture
def scoped_staff(db: None) -> Callable[..., User]:
    """`scoped_staff(role, [customer ids], username=...)`: a staff member in no role group whose
    only role is `role` on a scope of those customers."""
    from portal.models import CustomerScope, ScopeCustomer, StaffGrant

    def make(role: str, customers: list[str], *, username: str = "") -> User:
        name = username or f"{role.split()[0].lower()}-scoped"
        user = _staff(name, f"{name.title()} Scoped", None)
        scope = CustomerScope.objects.create(name=f"Scope of {name}")
        ScopeCustomer.objects.bulk_create(
            ScopeCustomer(scope=scope, customer_id=str(customer).lower()) for customer in customers
        )
        StaffGrant.objects.create(staff=user, role=role, scope=scope)
        return user

    return make


@pytest.fixture
def empty_cache() -> Iterator[None]:
    """The test starts and ends with an empty cache (one per worker, shared by its tests):
    `pytest.mark.usefixtures("empty_cache")` in the modules whose tests read or fill it."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def sdk_sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Every back-off and throttling wait of the Partner Center client, recorded, not slept."""
    slept: list[float] = []
    monkeypatch.setattr("portal.partnercenter.retry._sleep", slept.append)
    return slept


@pytest.fixture(scope="session", autouse=True)
def _flush_holding_rows() -> Iterator[None]:
    """After a transactional test, PostgreSQL truncates only the tables that hold rows
    (`tests/flush.py`)."""
    from django.db.backends.postgresql.operations import DatabaseOperations

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            DatabaseOperations, "sql_flush", sql_flush_holding_rows(DatabaseOperations.sql_flush)
        )
        yield


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix: None) -> None:
    """Close connections at the end of each request in tests.

    Persistent connections (CONN_MAX_AGE) opened by live-server request threads outlive their
    threads and keep PostgreSQL from dropping the test databases at the end of the run.
    """
    from django.conf import settings

    for database in settings.DATABASES.values():
        database["CONN_MAX_AGE"] = 0


def downloaded(response: HttpResponseBase) -> bytes:
    """The body of a download, streamed (CSV exports) or not."""
    if isinstance(response, StreamingHttpResponse):
        return response.getvalue()  # the streamed content, joined
    assert isinstance(response, HttpResponse)  # every other response has its content whole
    return response.content


@pytest.fixture
def no_directory_worker(settings: Settings) -> None:
    """Syncs a page asks for are queued and never run: a customer never read stays so."""
    settings.TASKS = {
        **settings.TASKS,
        "directory": {
            "BACKEND": "django.tasks.backends.dummy.DummyBackend",
            "QUEUES": ["directory"],
        },
    }


class _SandboxSeed:
    """Whether this worker's sandbox database holds the demo data now, and how to reach it.

    Seeded once, the data stays while the tests that follow want it: each of them runs in a
    transaction that is rolled back, so one seed serves every such test in a row, across
    modules, not one seed and one wipe per module (seconds each). `pytest_runtest_setup` wipes
    it before a test that did not ask for it. After a transactional test nobody knows: its
    flush may have emptied the sandbox or not (it flushes only the databases it names), so the
    next test seeds or wipes again.
    """

    def __init__(self) -> None:
        self.blocker: DjangoDbBlocker | None = None  # set once the test databases exist
        self.seeded: bool | None = False  # None: not known

    def seed(self) -> None:
        assert self.blocker is not None
        with self.blocker.unblock():
            SEED_COPY.seed()
        self.seeded = True

    def wipe(self) -> None:
        assert self.blocker is not None
        with self.blocker.unblock(), transaction.atomic(using=SANDBOX_DB):
            seed.sandbox_wipe()
        self.seeded = False


_SANDBOX_SEED = _SandboxSeed()


@pytest.fixture(scope="session")
def _sandbox_seed_state(
    django_db_setup: None, django_db_blocker: DjangoDbBlocker
) -> Iterator[_SandboxSeed]:
    _SANDBOX_SEED.blocker = django_db_blocker
    yield _SANDBOX_SEED
    if _SANDBOX_SEED.seeded is not False:  # a reused test database starts empty next time
        _SANDBOX_SEED.wipe()


@pytest.fixture(scope="module")
def seeded_sandbox(_sandbox_seed_state: _SandboxSeed) -> None:
    """The demo data in the sandbox, seeded before the module's first test (outside its
    transaction) unless the tests before left it there; kept up for each later test of the
    module that asks for it by `pytest_runtest_setup`."""
    if _sandbox_seed_state.seeded is not True:
        _sandbox_seed_state.seed()


def _is_transactional(item: pytest.Item) -> bool:
    marker = item.get_closest_marker("django_db")
    if marker is not None and (marker.kwargs.get("transaction") or marker.args[:1] == (True,)):
        return True
    return bool({"transactional_db", "live_server"} & set(getattr(item, "fixturenames", ())))


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Before each test's fixtures (and its transaction): the sandbox seeded if it asks for
    `seeded_sandbox`, empty if not. Nothing to do before the test databases exist: then
    nothing has been seeded yet."""
    if _SANDBOX_SEED.blocker is None:
        return
    wants = "seeded_sandbox" in getattr(item, "fixturenames", ())
    if wants and _SANDBOX_SEED.seeded is not True:
        _SANDBOX_SEED.seed()
    elif not wants and _SANDBOX_SEED.seeded is not False:
        _SANDBOX_SEED.wipe()


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item) -> None:
    if _is_transactional(item):
        _SANDBOX_SEED.seeded = None  # its flush emptied the sandbox, unless it named only default
