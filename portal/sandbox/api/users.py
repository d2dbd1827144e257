"""Customer users: list, the deleted-users filter, get, create, update/restore/reset, delete."""

from __future__ import annotations

import json
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest

from portal.sandbox import clock
from portal.sandbox.api import paging, resources, rules
from portal.sandbox.api.lookup import (
    domain_names,
    find_active_user,
    find_customer,
    find_user,
    purge_expired,
)
from portal.sandbox.api.query import Query, takes
from portal.sandbox.api.wire import (
    DUPLICATE_UPN_TEXT,
    INVALID_INPUT,
    Answer,
    ApiError,
    casefold_keys,
    collection,
    invalid,
    optional_text,
    read_body,
    without_nulls,
)
from portal.sandbox.models import Customer, CustomerUser, FaultSettings

_SORT_FIELDS = {"DisplayName": "display_name", "UserPrincipalName": "user_principal_name"}
_DESCENDING = {"Ascending": False, "Descending": True}
# Optional text fields: absent or null leaves them unchanged, "" clears them.
_OPTIONAL_FIELDS = {
    "firstname": "first_name",
    "lastname": "last_name",
    "immutableid": "immutable_id",
    "phonenumber": "phone_number",
}


def _state_filter(query: Query) -> str:
    """`active`, or `inactive` for the deleted-users filter ({"Field": "UserState", ...})."""
    raw = query.text("filter")
    if raw is None:
        return CustomerUser.ACTIVE
    try:
        spec: Any = casefold_keys(json.loads(raw))
    except ValueError:
        raise invalid("The query parameter filter is not valid JSON.") from None
    if (
        not isinstance(spec, dict)
        # The docs use UserState; their own sample links and the old PowerShell module UserStatus.
        or str(spec.get("field", "")).lower() not in {"userstate", "userstatus"}
        or str(spec.get("operator", "")).lower() != "equals"
        or str(spec.get("value", "")).lower() not in {"active", "inactive"}
    ):
        raise invalid(
            'The query parameter filter can only be {"Field": "UserState", "Value": "Inactive", '
            '"Operator": "equals"} for users.'
        )
    return str(spec["value"]).lower()


@takes("size", "filter", "sortField", "sortDirection", "seekOperation")
def list_users(request: HttpRequest, customer_id: str, *, query: Query) -> Answer:
    """GET /v1/customers/{id}/users[?size=&filter=&sortField=&sortDirection=] and next pages.

    The AutoRest client's `sortOption.sortField`/`sortOption.sortDirection` are accepted too.
    """
    customer = find_customer(customer_id)
    purge_expired(customer)
    state = _state_filter(query)
    size, clamped = paging.page_size(query)
    first = paging.Position(
        scope=f"users:{customer.id}:{state}",
        sort_field=query.choice("sortField", _SORT_FIELDS) or "display_name",
        descending=bool(query.choice("sortDirection", _DESCENDING)),
        size=size,
    )
    # A next-page request's token holds the sort and the size (see paging.start).
    position = paging.start(request, query, first)
    rows, following = paging.page(
        CustomerUser.objects.filter(customer=customer, state=state), position
    )
    # The next link keeps the filter: its token belongs to the filtered collection (a next page
    # of the deleted users is a page of the deleted users).
    keep = {"filter": query.text("filter") or ""} if state != CustomerUser.ACTIVE else {}
    return Answer(
        200,
        collection(
            [without_nulls(resources.user(user)) for user in rows],
            **paging.links(
                query, f"/customers/{customer.id}/users", following, clamped=clamped, keep=keep
            ),
        ),
    )


def get_user(request: HttpRequest, customer_id: str, user_id: str) -> Answer:
    """GET /v1/customers/{id}/users/{user-id} (a deleted user answers with state inactive)."""
    user = find_user(find_customer(customer_id), user_id)
    return Answer(200, without_nulls(resources.user(user)))


def create_user(request: HttpRequest, customer_id: str) -> Answer:
    """POST /v1/customers/{id}/users: answers 200 (not 201) with the new user."""
    customer = find_customer(customer_id)
    body = read_body(request)
    upn = optional_text(body, "userprincipalname")
    if not upn:
        raise invalid("The property userPrincipalName is required.")
    rules.check_username(upn, set(domain_names(customer)))
    display_name = optional_text(body, "displayname")
    if not display_name:
        raise invalid("The property displayName is required.")
    password, force_change = _password_profile(body, required=True)
    now = clock.now()
    user = CustomerUser(
        customer=customer,
        user_principal_name=upn,
        display_name=rules.check_length("displayname", display_name),
        password_last_set_at=now,
        force_change_password=force_change is not False,
        created_at=now,
    )
    for key, attribute in _OPTIONAL_FIELDS.items():
        value = optional_text(body, key)
        if value:
            setattr(user, attribute, rules.check_length(key, value))
    location = optional_text(body, "usagelocation")
    if location:
        user.usage_location = rules.check_usage_location(location)
    purge_expired(customer)
    _ensure_username_free(customer, upn)
    _save(user)
    return Answer(200, resources.user(user, password=password))


def update_user(request: HttpRequest, customer_id: str, user_id: str) -> Answer:
    """PATCH /v1/customers/{id}/users/{user-id}: update, reset the password, or restore.

    Absent and null fields stay unchanged (the .NET SDK sends every unset field as null), an
    empty string clears an optional field, and `state: active` restores a deleted user.
    """
    customer = find_customer(customer_id)
    user = find_user(customer, user_id)
    body = read_body(request)
    state = (optional_text(body, "state") or "").lower()
    if state and state not in {CustomerUser.ACTIVE, CustomerUser.INACTIVE}:
        raise invalid("The property state must be active or inactive.")
    if state == CustomerUser.INACTIVE and user.state == CustomerUser.ACTIVE:
        raise invalid("To delete a user, send DELETE to the user.")
    if user.state == CustomerUser.INACTIVE:
        if state != CustomerUser.ACTIVE:
            raise invalid("The user is deleted: restore it (state active) before changing it.")
        _ensure_username_free(customer, user.user_principal_name, exclude=user)
        user.state, user.soft_deletion_time = CustomerUser.ACTIVE, None

    _apply_changes(customer, user, body)
    password, force_change = _password_profile(body, required=False)
    if password is not None:
        user.password_last_set_at = clock.now()
    if force_change is not None:
        user.force_change_password = force_change
    _save(user)
    if password is not None:  # the reset answer echoes the profile, with nulls, as documented
        return Answer(200, resources.user(user, password=password))
    answer = without_nulls(resources.user(user))
    if force_change is not None:
        # Sandbox choice (undocumented): a flag-only change echoes the profile without a
        # password, so the caller sees the flag it set.
        answer["passwordProfile"] = {"forceChangePassword": user.force_change_password}
    return Answer(200, answer)


def delete_user(request: HttpRequest, customer_id: str, user_id: str) -> Answer:
    """DELETE /v1/customers/{id}/users/{user-id}: a soft delete, answered 204.

    The user keeps its roles and licenses; a restore within 30 days brings them back with it.
    """
    user = find_active_user(find_customer(customer_id), user_id)
    user.state, user.soft_deletion_time = CustomerUser.INACTIVE, clock.now()
    user.save(update_fields=["state", "soft_deletion_time"])
    return Answer(204)


def _apply_changes(customer: Customer, user: CustomerUser, body: dict[str, Any]) -> None:
    display_name = optional_text(body, "displayname")
    if display_name is not None:
        if not display_name:
            raise invalid("The property displayName cannot be empty.")
        user.display_name = rules.check_length("displayname", display_name)
    for key, attribute in _OPTIONAL_FIELDS.items():
        value = optional_text(body, key)
        if value is not None:
            setattr(user, attribute, rules.check_length(key, value))
    location = optional_text(body, "usagelocation")
    if location is not None:
        if not location and user.licenses.exists():
            raise invalid("The usageLocation of a user with licenses cannot be cleared.")
        user.usage_location = rules.check_usage_location(location) if location else ""
    upn = optional_text(body, "userprincipalname")
    if upn is not None and upn != user.user_principal_name:
        if not upn:
            raise invalid("The property userPrincipalName cannot be empty.")
        rules.check_username(upn, set(domain_names(customer)))
        _ensure_username_free(customer, upn, exclude=user)
        user.user_principal_name = upn


def _password_profile(body: dict[str, Any], *, required: bool) -> tuple[str | None, bool | None]:
    """The password and the force-change flag of a body's `passwordProfile` (None when absent).

    A profile with `forceChangePassword` and no password only sets the flag: that is what
    `Set-PartnerCustomerUser -ForceChangePasswordNextLogin` sends. A create needs a password.
    """
    profile = body.get("passwordprofile")
    if profile is None:
        if required:
            raise invalid("The property passwordProfile with a password is required.")
        return None, None
    if not isinstance(profile, dict):
        raise invalid("passwordProfile must be an object with a password or forceChangePassword.")
    password, force_change = profile.get("password"), profile.get("forcechangepassword")
    if force_change is not None and not isinstance(force_change, bool):
        raise invalid("passwordProfile.forceChangePassword must be true or false.")
    if password is None:
        if required:
            raise invalid("The property passwordProfile with a password is required.")
        if force_change is None:
            raise invalid("passwordProfile must have a password, forceChangePassword, or both.")
        return None, force_change
    if not isinstance(password, str):
        raise invalid("passwordProfile.password must be a string.")
    rules.check_password(password)
    return password, True if force_change is None else force_change


def _duplicate_username() -> ApiError:
    # Partner Center's real status for this is unknown (409 or 400): the sandbox answers either.
    status = FaultSettings.current().duplicate_status
    return ApiError(status, INVALID_INPUT, DUPLICATE_UPN_TEXT)


def _ensure_username_free(
    customer: Customer, upn: str, *, exclude: CustomerUser | None = None
) -> None:
    taken = CustomerUser.objects.filter(
        customer=customer, state=CustomerUser.ACTIVE, user_principal_name__iexact=upn
    )
    if exclude is not None:
        taken = taken.exclude(pk=exclude.pk)
    if taken.exists():
        raise _duplicate_username()


def _save(user: CustomerUser) -> None:
    # The unique constraint on active usernames catches a concurrent create of the same name
    # that the check above could not see yet.
    try:
        with transaction.atomic(using="sandbox"):
            user.save()
    except IntegrityError:
        raise _duplicate_username() from None
