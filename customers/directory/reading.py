"""Reading one customer from Partner Center for a sync: its profile, domains, roles with their
members, subscribed SKUs and deleted users at the same time on other threads, its active users
page by page on a thread of their own, handed to the sync's writer as they come (`sync.py`)."""

from __future__ import annotations

import queue
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from django.db import connections

from portal.partnercenter import (
    CompanyProfile,
    CustomerUser,
    PartnerCenterClient,
    SubscribedSku,
)
from portal.partnercenter import (
    DirectoryRole as RoleResource,
)
from portal.partnercenter.operations import UserCollection
from portal.partnercenter.paging import MAX_PAGE_SIZE


@dataclass
class CustomerRead:
    """What a sync read besides the active users (which are written as they come)."""

    profile: CompanyProfile
    domains: list[str]
    roles: list[RoleResource]
    members: dict[str, list[str]]  # user id -> role ids
    skus: list[SubscribedSku]
    deleted: list[CustomerUser]


def read_customer(
    pc: PartnerCenterClient,
    tenant_id: str,
    add_active: Callable[[Iterator[CustomerUser]], None],
    concurrency: int,
) -> CustomerRead:
    """Every list of one customer: the small independent ones on other threads (when
    `concurrency` > 1), the active users here, page by page into `add_active` (the
    sync's writer, which writes them as they come)."""
    customer = pc.customers.by_id(tenant_id)
    jobs: dict[str, Callable[[], Any]] = {
        # First: a customer without delegated access answers 403 here, before anything else.
        "profile": customer.company_profile,
        "roles": lambda: _roles_and_members(pc, tenant_id),
        "deleted": lambda: list(customer.users.iter_deleted()),
        "skus": customer.subscribed_skus.list,
        "domains": customer.domains,
    }
    results: dict[str, Any] = {}
    if concurrency <= 1:
        results = {name: job() for name, job in jobs.items()}
        add_active(customer.users.iter_all())
    else:
        # The users are read on a thread of their own and written here as they come, so
        # reading the next page never waits for the last one to be written.
        pages = _Pages()
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            futures: dict[str, Future[Any]] = {
                name: pool.submit(_on_own_connections, job) for name, job in jobs.items()
            }
            pool.submit(_on_own_connections, lambda: pages.read(customer.users))
            try:
                add_active(iter(pages))
            except BaseException:
                pages.drain()
                raise
            finally:
                results = {name: future.result() for name, future in futures.items()}
    roles, members = results["roles"]
    return CustomerRead(
        results["profile"], results["domains"], roles, members, results["skus"], results["deleted"]
    )


class _Pages:
    """Pages of active users passed from the thread reading them to the one writing them."""

    def __init__(self) -> None:
        self.queue: queue.Queue[list[CustomerUser] | BaseException | None] = queue.Queue(4)
        self.finished = False  # the writer has seen the end (or the reader's failure)

    def read(self, users: UserCollection) -> None:
        """Every active user, a page at a time, then None (or what went wrong)."""
        batch: list[CustomerUser] = []
        try:
            for user in users.iter_all():
                batch.append(user)
                if len(batch) == MAX_PAGE_SIZE:
                    self.queue.put(batch)
                    batch = []
            self.queue.put(batch)
            self.queue.put(None)
        except BaseException as error:  # handed to the writer, which raises it
            self.queue.put(error)

    def __iter__(self) -> Iterator[CustomerUser]:
        while (page := self.queue.get()) is not None:
            if isinstance(page, BaseException):
                self.finished = True
                raise page
            yield from page
        self.finished = True

    def drain(self) -> None:
        """After the writer failed: let the reader finish instead of waiting on a full queue."""
        while not self.finished:
            page = self.queue.get()
            self.finished = page is None or isinstance(page, BaseException)


def _on_own_connections[T](job: Callable[[], T]) -> T:
    try:
        return job()
    finally:
        connections.close_all()  # this thread's own: threads do not share connections


def _roles_and_members(
    pc: PartnerCenterClient, tenant_id: str
) -> tuple[list[RoleResource], dict[str, list[str]]]:
    roles = pc.customers.by_id(tenant_id).directory_roles
    found = roles.list()
    members: dict[str, list[str]] = {}
    for role in found:
        for member in roles.by_id(role.id).user_members.iter_all(size=500):
            members.setdefault(member.id, []).append(role.id)
    return found, members
