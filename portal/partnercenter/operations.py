"""The fluent surface, shaped like the .NET SDK so its C# reads across:

    pc.customers.by_id(cid).users.create(CustomerUser(...))
    pc.customers.by_id(cid).users.by_id(uid).patch(CustomerUser(display_name="..."))

One method per endpoint; each names its endpoint (paths below the `/v1` root). Changes take an
optional `request_id`: pass one to make the change idempotent across your own re-tries (the add
form and bulk rows do), or after an error with `outcome_unknown`, pass that error's `request_id`.

Here: customers and their users. The role and license collections below them are in
`roles_and_licenses.py`; walking a collection page by page is in `paging.py`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace

from portal.partnercenter.client import Answer, PartnerCenterClient
from portal.partnercenter.paging import MAX_PAGE_SIZE, iter_pages, iter_unique, page_of, size_param
from portal.partnercenter.resources import (
    USER_ACTIVE,
    CompanyProfile,
    Customer,
    CustomerUser,
    PasswordProfile,
)
from portal.partnercenter.roles_and_licenses import (
    DirectoryRoleCollection,
    LicenseUpdates,
    SubscribedSkuCollection,
    UserDirectoryRoles,
    UserLicenses,
)
from portal.partnercenter.wire import Page, Sort, read_strings

# The one filter Partner Center's users collection honours: the soft-deleted users.
DELETED_USERS_FILTER = json.dumps(
    {"Field": "UserState", "Value": "Inactive", "Operator": "equals"}, separators=(",", ":")
)


# --- Customers ---------------------------------------------------------------------------------


class CustomerCollection:
    """`pc.customers`: the partner's customers."""

    def __init__(self, client: PartnerCenterClient) -> None:
        self._client = client

    def list(
        self, *, size: int | None = MAX_PAGE_SIZE, continuation: str | None = None
    ) -> Page[Customer]:
        """`GET /customers?size=` (or the next page for `continuation`)."""
        return page_of(
            self._client,
            "/customers",
            Customer.from_wire,
            size_param(size),
            continuation,
            app_only=True,
        )

    def iter_all(self, *, size: int = MAX_PAGE_SIZE) -> Iterator[Customer]:
        """Every customer, each once, following `links.next` page by page."""
        pages = iter_pages(self._client, self.list(size=size), Customer.from_wire, app_only=True)
        return iter_unique(pages, lambda customer: customer.id)

    def search(
        self, *, company_name: str | None = None, domain: str | None = None
    ) -> Iterator[Customer]:
        """`GET /customers?size=&filter={"Field": "CompanyName"|"Domain", "Value": ...,
        "Operator": "starts_with"}`: customers whose company name or domain starts with the value
        (any case), every page. Give exactly one of the two."""
        if (company_name is None) == (domain is None):
            raise ValueError("Search customers by company_name or by domain, not both or neither.")
        field, value = (
            ("CompanyName", company_name) if company_name is not None else ("Domain", domain)
        )
        spec = json.dumps(
            {"Field": field, "Value": value, "Operator": "starts_with"}, separators=(",", ":")
        )
        params = {**size_param(MAX_PAGE_SIZE), "filter": spec}
        first = page_of(self._client, "/customers", Customer.from_wire, params, None, app_only=True)
        pages = iter_pages(self._client, first, Customer.from_wire, app_only=True)
        return iter_unique(pages, lambda customer: customer.id)

    def by_id(self, customer_id: str) -> CustomerOperations:
        return CustomerOperations(self._client, customer_id)


class CustomerOperations:
    """`pc.customers.by_id(cid)`: one customer and its directory."""

    def __init__(self, client: PartnerCenterClient, customer_id: str) -> None:
        self._client = client
        self.customer_id = customer_id
        self._path = client.path("customers", customer_id)
        self.users = UserCollection(client, customer_id)
        self.directory_roles = DirectoryRoleCollection(client, customer_id)
        self.subscribed_skus = SubscribedSkuCollection(client, customer_id)

    def get(self) -> Customer:
        """`GET /customers/{cid}`."""
        return Customer.from_wire(self._client.get(self._path, app_only=True))

    def company_profile(self) -> CompanyProfile:
        """`GET /customers/{cid}/profiles/company`."""
        return CompanyProfile.from_wire(self._client.get(f"{self._path}/profiles/company"))

    def domains(self) -> list[str]:
        """`GET /customers/{cid}/customDomains`: every domain, the initial one included."""
        return read_strings(self._client.get(f"{self._path}/customDomains", app_only=True))


# --- Users -------------------------------------------------------------------------------------


class UserCollection:
    """`pc.customers.by_id(cid).users`: a customer's user accounts."""

    def __init__(self, client: PartnerCenterClient, customer_id: str) -> None:
        self._client = client
        self.customer_id = customer_id
        self._path = client.path("customers", customer_id, "users")

    def list(
        self,
        *,
        size: int | None = MAX_PAGE_SIZE,
        sort: Sort | None = None,
        continuation: str | None = None,
    ) -> Page[CustomerUser]:
        """`GET /customers/{cid}/users?size=&sortField=&sortDirection=`: active users, one page.

        With `continuation` (a page's `continuation_token`), the page after that one.
        """
        params = size_param(size)
        if sort:
            params.update(sort.to_params())
        return page_of(self._client, self._path, CustomerUser.from_wire, params, continuation)

    def iter_all(
        self, *, size: int = MAX_PAGE_SIZE, sort: Sort | None = None
    ) -> Iterator[CustomerUser]:
        """Every active user, each exactly once, following `links.next` page by page."""
        return self._iter(self.list(size=size, sort=sort))

    def deleted(
        self, *, size: int | None = MAX_PAGE_SIZE, continuation: str | None = None
    ) -> Page[CustomerUser]:
        """`GET /customers/{cid}/users?size=&filter={"Field":"UserState","Value":"Inactive",
        "Operator":"equals"}`: users deleted in the last 30 days, one page."""
        params = {**size_param(size), "filter": DELETED_USERS_FILTER}
        return page_of(self._client, self._path, CustomerUser.from_wire, params, continuation)

    def iter_deleted(self, *, size: int = MAX_PAGE_SIZE) -> Iterator[CustomerUser]:
        """Every deleted (still restorable) user, each exactly once."""
        return self._iter(self.deleted(size=size))

    def _iter(self, first: Page[CustomerUser]) -> Iterator[CustomerUser]:
        pages = iter_pages(self._client, first, CustomerUser.from_wire)
        return iter_unique(pages, lambda user: user.id)

    def create(
        self, user: CustomerUser, *, request_id: str | None = None, first_use: bool = False
    ) -> CustomerUser:
        """`POST /customers/{cid}/users` (answers 200). A taken username raises AlreadyExists.

        The answer echoes the password only on the first execution: a replay of the same
        `request_id` returns the user without it (see `_with_password_sent` for `first_use`).
        """
        answer = self._client.send("POST", self._path, body=user.to_wire(), request_id=request_id)
        return _with_password_sent(CustomerUser.from_wire(answer.body), user, answer, first_use)

    def by_id(self, user_id: str) -> UserOperations:
        return UserOperations(self._client, self.customer_id, user_id)


class UserOperations:
    """`pc.customers.by_id(cid).users.by_id(uid)`: one user account."""

    def __init__(self, client: PartnerCenterClient, customer_id: str, user_id: str) -> None:
        self._client = client
        self.customer_id = customer_id
        self.user_id = user_id
        self._path = client.path("customers", customer_id, "users", user_id)
        self.directory_roles = UserDirectoryRoles(client, self._path)
        self.licenses = UserLicenses(client, self._path)
        self.license_updates = LicenseUpdates(client, self._path)

    def get(self) -> CustomerUser:
        """`GET /customers/{cid}/users/{uid}`."""
        return CustomerUser.from_wire(self._client.get(self._path))

    def patch(
        self, changes: CustomerUser, *, request_id: str | None = None, first_use: bool = False
    ) -> CustomerUser:
        """`PATCH /customers/{cid}/users/{uid}` with the fields set in `changes` (unset fields
        are left as they are)."""
        answer = self._client.send(
            "PATCH", self._path, body=changes.to_wire(), request_id=request_id
        )
        return _with_password_sent(CustomerUser.from_wire(answer.body), changes, answer, first_use)

    def reset_password(
        self,
        password: str,
        *,
        force_change: bool = True,
        request_id: str | None = None,
        first_use: bool = False,
    ) -> CustomerUser:
        """`PATCH /customers/{cid}/users/{uid}` with a `passwordProfile`.

        The answer's `password_profile.password` is the password that was set when the answer
        proves it (see `_with_password_sent`), else None: an earlier request with the same
        `request_id` may have set another one.
        """
        profile = PasswordProfile(password=password, force_change_password=force_change)
        return self.patch(
            CustomerUser(password_profile=profile), request_id=request_id, first_use=first_use
        )

    def require_password_change(
        self, *, required: bool = True, request_id: str | None = None
    ) -> CustomerUser:
        """`PATCH /customers/{cid}/users/{uid}` with a `passwordProfile` that has only
        `forceChangePassword`: the user must choose a new password at their next sign-in (or,
        with `required=False`, no longer must); the password itself stays as it is.

        This is what `Set-PartnerCustomerUser -ForceChangePasswordNextLogin` sends.
        """
        profile = PasswordProfile(force_change_password=required)
        answer = self._client.send(
            "PATCH",
            self._path,
            body=CustomerUser(password_profile=profile).to_wire(),
            request_id=request_id,
        )
        return CustomerUser.from_wire(answer.body)

    def delete(self, *, request_id: str | None = None) -> None:
        """`DELETE /customers/{cid}/users/{uid}` (answers 204): a soft delete, restorable for
        30 days."""
        self._client.send("DELETE", self._path, request_id=request_id)

    def restore(self, *, request_id: str | None = None) -> CustomerUser:
        """`PATCH /customers/{cid}/users/{uid}` with `{"state": "active"}`.

        Raises NotFound (code 60002) once the user was purged (30 days after deletion), and
        AlreadyExists when an active user has taken its username meanwhile.
        """
        return self.patch(CustomerUser(state=USER_ACTIVE), request_id=request_id)


def _with_password_sent(
    answer_user: CustomerUser, sent: CustomerUser, answer: Answer, first_use: bool
) -> CustomerUser:
    """The answer's user, with the password this call sent when it is certainly the one set.

    Partner Center echoes a password only on a request's first execution; a replay of the same
    MS-RequestId comes back without it. When this call's own retry got that replay (an earlier
    attempt of the call had no definite answer) and the caller says the request id was never
    used before (`first_use`), the first execution was this call's, with this very body: the
    password it sent is the one that was set. After an earlier call with the same id, nobody can
    tell which password was set, and the answer stays without one.
    """
    echoed = answer_user.password_profile and answer_user.password_profile.password
    if echoed or sent.password_profile is None:
        return answer_user
    if first_use and answer.after_unknown_attempt:
        return replace(answer_user, password_profile=sent.password_profile)
    return replace(answer_user, password_profile=None)


__all__ = [
    "DELETED_USERS_FILTER",
    "CustomerCollection",
    "CustomerOperations",
    "UserCollection",
    "UserOperations",
]
