"""Finding users across every customer (the dashboard's search): by words, exact matches
first, counted and paged from the word index alone.
"""

from __future__ import annotations

import operator
from functools import reduce
from typing import Any

from django.core.paginator import Page
from django.db.models import Case, F, IntegerField, Max, Q, QuerySet, Value, When

from customers.directory.customer_queries import PAGE_SIZE, CustomerIds
from customers.directory.models import DirectoryUser, DirectoryWord
from customers.directory.paging import FirstWords, FoundUsers, Rows, expected_page, paginate
from customers.directory.sync import mode
from customers.directory.text import ascii_lower, fold, query_words
from customers.directory.user_queries import starts_with


def user_by_username(username: str, *, customer_ids: CustomerIds = None) -> DirectoryUser | None:
    """The active user with exactly this username in any mirrored customer (current mirrors),
    of `customer_ids` only when given."""
    users = _current_users()
    if customer_ids is not None:
        users = users.filter(customer__tenant_id__in=customer_ids)
    return (
        users.filter(upn_key=ascii_lower(username.strip()), state=DirectoryUser.ACTIVE)
        .select_related("customer")
        .first()
    )


def users_search(
    query: str,
    number: str | int | None,
    *,
    per_page: int = PAGE_SIZE,
    customer_ids: CustomerIds = None,
) -> Page[Any]:
    """Users of every mirrored customer (of `customer_ids` when given: a user of any other is
    neither found nor counted) matching `query` by words, active and deleted: exact matches
    first (the whole display name, then every word whole: "maria" before "Mariana"), then by
    name and customer.

    Found, ordered and counted from the words alone (their index covers every column used), so
    a common first name over 500,000 users reads the few thousand words it matches and nothing
    else; the page's 50 users are then read by key."""
    words = query_words(query)
    if not words:
        return paginate(Rows(DirectoryUser.objects.none(), 0), number, per_page)
    starts = [starts_with(word) for word in words]
    matching = DirectoryWord.objects.filter(
        reduce(operator.or_, starts), customer__mode=mode(), generation=F("customer__generation")
    )
    if customer_ids is not None:
        matching = matching.filter(customer__tenant_id__in=customer_ids)
    exact = Q(display_key=fold(query.strip()))
    order = ("rank", "display_key", "customer__name_key", "user_id")
    expected = expected_page(number, per_page)
    if len(words) == 1:  # each word ranks on its own: a user is listed at its best word
        ranked = matching.annotate(rank=_rank(exact, Q(word=words[0]))).order_by(*order)
        users = matching.values("user_id").distinct()
        return paginate(FirstWords(ranked, users, expected), number, per_page)
    # A user must have a word starting each word of the query, and ranks by all its words.
    wholes = {f"whole{i}": _any(Q(word=word)) for i, word in enumerate(words)}
    has = {f"has{i}": _any(start) for i, start in enumerate(starts)}
    found = (
        matching.values("user_id", "display_key", "customer__name_key")
        .annotate(**wholes, **has)
        .filter(**dict.fromkeys(has, 1))
    )
    found = found.annotate(rank=_rank(exact, Q(**dict.fromkeys(wholes, 1)))).order_by(*order)
    users = matching.values("user_id").annotate(**has).filter(**dict.fromkeys(has, 1))
    return paginate(FoundUsers(found, users, expected), number, per_page)


def _rank(exact: Q, whole: Q) -> Case:
    """0 for the whole display name typed, 1 for every word typed whole, else 2."""
    return Case(
        When(exact, then=Value(0)),
        When(whole, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )


def _current_users() -> QuerySet[DirectoryUser]:
    return DirectoryUser.objects.filter(
        customer__mode=mode(), generation=F("customer__generation"), customer__generation__gt=0
    )


def _any(condition: Q) -> Max:
    """1 when any of a group's rows meets `condition`, else 0."""
    return Max(Case(When(condition, then=1), default=0))
