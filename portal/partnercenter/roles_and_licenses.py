"""The fluent surface's role and license endpoints, below a customer and below one of its users:

    pc.customers.by_id(cid).directory_roles.by_id(rid).user_members.add(UserMember.of(user))
    pc.customers.by_id(cid).users.by_id(uid).license_updates.create(LicenseUpdate.assign(sku))
    pc.customers.by_id(cid).subscribed_skus.list()

One method per endpoint, each naming it, as in `operations.py`, which hangs these collections
off a customer (`directory_roles`, `subscribed_skus`) and a user (`directory_roles`, `licenses`,
`license_updates`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from portal.partnercenter.client import PartnerCenterClient
from portal.partnercenter.licenses import License, LicenseGroupId, LicenseUpdate, SubscribedSku
from portal.partnercenter.paging import MAX_PAGE_SIZE, iter_pages, iter_unique, page_of, size_param
from portal.partnercenter.resources import DirectoryRole, UserMember
from portal.partnercenter.wire import Page, read_items

# --- A user's roles and licenses ---------------------------------------------------------------


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
        params = size_param(size)
        return page_of(self._client, self._path, UserMember.from_wire, params, continuation)

    def iter_all(self, *, size: int | None = MAX_PAGE_SIZE) -> Iterator[UserMember]:
        """Every member, each once."""
        pages = iter_pages(self._client, self.list(size=size), UserMember.from_wire)
        return iter_unique(pages, lambda member: member.id)

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
    "DirectoryRoleCollection",
    "DirectoryRoleOperations",
    "LicenseUpdates",
    "SubscribedSkuCollection",
    "UserDirectoryRoles",
    "UserLicenses",
    "UserMemberCollection",
]
