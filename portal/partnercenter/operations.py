"""The fluent surface, shaped like the .NET SDK so its C# reads across:

    pc.customers.by_id(cid).users.create(CustomerUser(...))
    pc.customers.by_id(cid).users.by_id(uid).patch(CustomerUser(display_name="..."))

One method per endpoint; each names its endpoint (paths below the `/v1` root). Changes take an
optional `request_id`: pass one to make the change idempotent across your own re-tries (the add
form and bulk rows do), or after an error with `outcome_unknown`, pass that error's `request_id`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from typing import Any

from portal.partnercenter.client import Answer, PartnerCenterClient
from portal.partnercenter.errors import PartnerCenterError
from portal.partnercenter.licenses import License, LicenseGroupId, LicenseUpdate, SubscribedSku
from portal.partnercenter.resources import (
    USER_ACTIVE,
    CompanyProfile,
    Customer,
    CustomerUser,
    DirectoryRole,
    PasswordProfile,
    UserMember,
)
from portal.partnercenter.wire import Page, Sort, read_items, read_page, read_strings

# The largest page Partner Center serves, and every list's default here: without `size` the
# server picks a smaller page (100 users has been seen), so reading a collection takes more calls.
MAX_PAGE_SIZE = 500

# The one filter Partner Center's users collection honours: the soft-deleted users.
DELETED_USERS_FILTER = json.dumps(
    {"Field": "UserState", "Value": "Inactive", "Operator": "equals"}, separators=(",", ":")
)


def _paged[T](
    client: PartnerCenterClient,
    path: str,
    make: Callable[[Any], T],
    params: dict[str, Any],
    continuation: str | None,
    *,
    app_only: bool = False,
) -> Page[T]:
    if continuation:
        # Partner Center's explicit next-page form: filter, size and sort stay with the token.
        body = client.get(
            path,
            params={"seekOperation": "Next"},
            headers={"MS-ContinuationToken": continuation},
            app_only=app_only,
        )
    else:
        body = client.get(path, params=params, app_only=app_only)
    return read_page(body, make)


def _iter_pages[T](
    client: PartnerCenterClient,
    first: Page[T],
    make: Callable[[Any], T],
    *,
    app_only: bool = False,
) -> Iterator[Page[T]]:
    """`first` and every page after it, following `links.next` with its headers."""
    page = first
    tokens: set[str] = set()
    while True:
        yield page
        if page.next_link is None:
            return
        token = page.continuation_token or page.next_link.headers.get("MS-ContinuationToken", "")
        if token in tokens:
            raise PartnerCenterError("Its paging went round in a circle (a continuation repeated)")
        tokens.add(token)
        page = read_page(client.follow(page.next_link, app_only=app_only), make)


def _iter_unique[T](pages: Iterator[Page[T]], key: Callable[[T], str | None]) -> Iterator[T]:
    # Pages are read at different moments: an item can move between them while they are read.
    seen: set[str] = set()
    for page in pages:
        for item in page.items:
            item_key = key(item)
            if item_key is not None and item_key in seen:
                continue
            if item_key is not None:
                seen.add(item_key)
            yield item


def _size(size: int | None) -> dict[str, Any]:
    if size is None:
        return {}
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise ValueError(f"A page holds 1 to {MAX_PAGE_SIZE} items, not {size}.")
    return {"size": size}


# --- Customers ---------------------------------------------------------------------------------


class CustomerCollection:
    """`pc.customers`: the partner's customers."""

    def __init__(self, client: PartnerCenterClient) -> None:
        self._client = client

    def list(
        self, *, size: int | None = MAX_PAGE_SIZE, continuation: str | None = None
    ) -> Page[Customer]:
        """`GET /customers?size=` (or the next page for `continuation`)."""
        return _paged(
            self._client,
            "/customers",
            Customer.from_wire,
            _size(size),
            continuation,
            app_only=True,
        )

    def iter_all(self, *, size: int = MAX_PAGE_SIZE) -> Iterator[Customer]:
        """Every customer, each once, following `links.next` page by page."""
        pages = _iter_pages(self._client, self.list(size=size), Customer.from_wire, app_only=True)
        return _iter_unique(pages, lambda customer: customer.id)

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
        params = {**_size(MAX_PAGE_SIZE), "filter": spec}
        first = _paged(self._client, "/customers", Customer.from_wire, params, None, app_only=True)
        pages = _iter_pages(self._client, first, Customer.from_wire, app_only=True)
        return _iter_unique(pages, lambda customer: customer.id)

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
        params = _size(size)
        if sort:
            params.update(sort.to_params())
        return _paged(self._client, self._path, CustomerUser.from_wire, params, continuation)

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
        params = {**_size(size), "filter": DELETED_USERS_FILTER}
        return _paged(self._client, self._path, CustomerUser.from_wire, params, continuation)

    def iter_deleted(self, *, size: int = MAX_PAGE_SIZE) -> Iterator[CustomerUser]:
        """Every deleted (still restorable) user, each exactly once."""
        return self._iter(self.deleted(size=size))

    def _iter(self, first: Page[CustomerUser]) -> Iterator[CustomerUser]:
        pages = _iter_pages(self._client, first, CustomerUser.from_wire)
        return _iter_unique(pages, lambda user: user.id)

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


class UserDirectoryRoles:
    """`...users.by_id(uid).directory_roles`."""

    def __init__(self, client: PartnerCenterClient, user_path: str) -> None:
        self._client = client
        self._path = f"{user_path}/directoryroles"

    def list(self) -> list[DirectoryRole]:
        """`GET /customers/{cid}/users/{uid}/directoryroles`: the roles the user holds."""
        return read_items(self._client.get(self._path), DirectoryRole.from_wire)


def _license_groups(groups: Iterable[LicenseGroupId | str] | None) -> dict[str, Any]:
    # A plain string is read as the enum (any case): an unknown group raises ValueError here
    # rather than an empty list from Partner Center.
    named = [LicenseGroupId(group).value for group in groups or ()]
    return {"licenseGroupIds": named} if named else {}


class UserLicenses:
    """`...users.by_id(uid).licenses`."""

    def __init__(self, client: PartnerCenterClient, user_path: str) -> None:
        self._client = client
        self._path = f"{user_path}/licenses"

    def list(
        self, *, license_groups: Iterable[LicenseGroupId | str] | None = None
    ) -> list[License]:
        """`GET /customers/{cid}/users/{uid}/licenses[?licenseGroupIds=Group1...]` (Group1 only
        by default)."""
        body = self._client.get(self._path, params=_license_groups(license_groups))
        return read_items(body, License.from_wire)


class LicenseUpdates:
    """`...users.by_id(uid).license_updates`."""

    def __init__(self, client: PartnerCenterClient, user_path: str) -> None:
        self._client = client
        self._path = f"{user_path}/licenseupdates"

    def create(self, update: LicenseUpdate, *, request_id: str | None = None) -> LicenseUpdate:
        """`POST /customers/{cid}/users/{uid}/licenseupdates` (answers 201). No seat left raises
        InvalidInput with code 60012."""
        answer = self._client.send("POST", self._path, body=update.to_wire(), request_id=request_id)
        return LicenseUpdate.from_wire(answer.body)


# --- Directory roles and SKUs ----------------------------------------------------------------


class DirectoryRoleCollection:
    """`pc.customers.by_id(cid).directory_roles`."""

    def __init__(self, client: PartnerCenterClient, customer_id: str) -> None:
        self._client = client
        self._path = client.path("customers", customer_id, "directoryroles")

    def list(self) -> list[DirectoryRole]:
        """`GET /customers/{cid}/directoryroles`."""
        return read_items(self._client.get(self._path), DirectoryRole.from_wire)

    def by_id(self, role_id: str) -> DirectoryRoleOperations:
        return DirectoryRoleOperations(self._client, f"{self._path}{self._client.path(role_id)}")


class DirectoryRoleOperations:
    """`...directory_roles.by_id(rid)`."""

    def __init__(self, client: PartnerCenterClient, role_path: str) -> None:
        self.user_members = UserMemberCollection(client, f"{role_path}/usermembers")


class UserMemberCollection:
    """`...directory_roles.by_id(rid).user_members`: the users who hold the role."""

    def __init__(self, client: PartnerCenterClient, path: str) -> None:
        self._client = client
        self._path = path

    def list(
        self, *, size: int | None = MAX_PAGE_SIZE, continuation: str | None = None
    ) -> Page[UserMember]:
        """`GET /customers/{cid}/directoryroles/{rid}/usermembers[?size=]`, one page."""
        return _paged(self._client, self._path, UserMember.from_wire, _size(size), continuation)

    def iter_all(self, *, size: int | None = MAX_PAGE_SIZE) -> Iterator[UserMember]:
        """Every member, each once."""
        pages = _iter_pages(self._client, self.list(size=size), UserMember.from_wire)
        return _iter_unique(pages, lambda member: member.id)

    def add(self, member: UserMember, *, request_id: str | None = None) -> UserMember:
        """`POST /customers/{cid}/directoryroles/{rid}/usermembers` (answers 201); build `member`
        with `UserMember.of(user)`."""
        answer = self._client.send("POST", self._path, body=member.to_wire(), request_id=request_id)
        return UserMember.from_wire(answer.body)

    def remove(self, user_id: str, *, request_id: str | None = None) -> None:
        """`DELETE /customers/{cid}/directoryroles/{rid}/usermembers/{uid}` (answers 204)."""
        path = f"{self._path}{self._client.path(user_id)}"
        self._client.send("DELETE", path, request_id=request_id)


class SubscribedSkuCollection:
    """`pc.customers.by_id(cid).subscribed_skus`: what licenses the customer has, and seats."""

    def __init__(self, client: PartnerCenterClient, customer_id: str) -> None:
        self._client = client
        self._path = client.path("customers", customer_id, "subscribedskus")

    def list(
        self, *, license_groups: Iterable[LicenseGroupId | str] | None = None
    ) -> list[SubscribedSku]:
        """`GET /customers/{cid}/subscribedskus[?licenseGroupIds=Group1...]` (Group1 only by
        default)."""
        body = self._client.get(self._path, params=_license_groups(license_groups))
        return read_items(body, SubscribedSku.from_wire)


__all__ = [
    "DELETED_USERS_FILTER",
    "MAX_PAGE_SIZE",
    "CustomerCollection",
    "CustomerOperations",
    "DirectoryRoleCollection",
    "DirectoryRoleOperations",
    "LicenseUpdates",
    "SubscribedSkuCollection",
    "UserCollection",
    "UserDirectoryRoles",
    "UserLicenses",
    "UserMemberCollection",
    "UserOperations",
]
