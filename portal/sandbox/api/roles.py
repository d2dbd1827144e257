"""Directory roles: the customer's roles, their user members, a user's roles."""

from __future__ import annotations

import uuid

from django.http import HttpRequest

from portal.sandbox.api import paging, resources
from portal.sandbox.api.lookup import find_active_user, find_customer, find_user, purge_expired
from portal.sandbox.api.query import Query, takes
from portal.sandbox.api.wire import (
    NOT_FOUND,
    USER_NOT_FOUND,
    Answer,
    ApiError,
    collection,
    invalid,
    optional_text,
    read_body,
)
from portal.sandbox.models import Customer, CustomerUser, DirectoryRole, RoleMember


def _find_role(customer: Customer, role_id: str) -> DirectoryRole:
    try:
        key = uuid.UUID(role_id.strip())
    except ValueError:
        key = None
    role = DirectoryRole.objects.filter(customer=customer, role_id=key).first() if key else None
    if role is None:
        raise ApiError(404, NOT_FOUND, f"The directory role {role_id} was not found.")
    return role


def list_roles(request: HttpRequest, customer_id: str) -> Answer:
    """GET /v1/customers/{id}/directoryroles"""
    customer = find_customer(customer_id)
    roles = DirectoryRole.objects.filter(customer=customer).order_by("name")
    items = [resources.directory_role(role) for role in roles]
    return Answer(200, collection(items, self_uri=f"/customers/{customer.id}/directoryroles"))


@takes("size", "seekOperation")
def list_members(request: HttpRequest, customer_id: str, role_id: str, *, query: Query) -> Answer:
    """GET /v1/customers/{id}/directoryroles/{role-id}/usermembers (seek paging).

    Deleted users keep their memberships but, as in Entra, are not listed until restored.
    """
    customer = find_customer(customer_id)
    role = _find_role(customer, role_id)
    purge_expired(customer)
    size, clamped = paging.page_size(query)
    first = paging.Position(
        scope=f"members:{customer.id}:{role.role_id}",
        sort_field="display_name",
        descending=False,
        size=size,
    )
    position = paging.start(request, query, first)
    members = CustomerUser.objects.filter(
        customer=customer, state=CustomerUser.ACTIVE, role_members__role=role
    )
    rows, following = paging.page(members, position)
    base = f"/customers/{customer.id}/directoryroles/{role.role_id}/usermembers"
    return Answer(
        200,
        collection(
            [resources.user_member(user, role) for user in rows],
            **paging.links(query, base, following, clamped=clamped),
        ),
    )


def add_member(request: HttpRequest, customer_id: str, role_id: str) -> Answer:
    """POST /v1/customers/{id}/directoryroles/{role-id}/usermembers: answers 201."""
    customer = find_customer(customer_id)
    role = _find_role(customer, role_id)
    user_id = optional_text(read_body(request), "id")
    if not user_id:
        raise invalid("The property Id (the user's id) is required.")
    user = find_active_user(customer, user_id)
    _, created = RoleMember.objects.get_or_create(role=role, user=user)
    if not created:
        raise ApiError(409, 3000, f"The user is already a member of the role {role.name}.")
    return Answer(201, resources.user_member(user, role))


def remove_member(request: HttpRequest, customer_id: str, role_id: str, user_id: str) -> Answer:
    """DELETE /v1/customers/{id}/directoryroles/{role-id}/usermembers/{user-id}: answers 204."""
    customer = find_customer(customer_id)
    role = _find_role(customer, role_id)
    # The docs' own example has "%20" after the ids: tolerate surrounding spaces.
    user = find_user(customer, user_id.strip())
    removed, _ = RoleMember.objects.filter(role=role, user=user).delete()
    if not removed:
        raise ApiError(
            404, USER_NOT_FOUND, f"The user {user.id} is not a member of the role {role.name}."
        )
    return Answer(204)


def user_roles(request: HttpRequest, customer_id: str, user_id: str) -> Answer:
    """GET /v1/customers/{id}/users/{user-id}/directoryroles (deleted users keep theirs)."""
    customer = find_customer(customer_id)
    user = find_user(customer, user_id)
    roles = DirectoryRole.objects.filter(members__user=user).order_by("name")
    return Answer(
        200,
        collection(
            [resources.directory_role(role) for role in roles],
            self_uri=f"/customers/{customer.id}/users/{user.id}/directoryroles",
        ),
    )
