"""The sandbox's routes, relative to the `/v1/` root (mounted at /sandbox/v1/ in sandbox mode).

Literal segments match in any case (`customDomains`, `directoryroles`) and a trailing slash is
tolerated: the .NET SDK's create path is `customers/{0}/users/`. Django's URL patterns cannot
be case-insensitive and stay reversible, so the sandbox mounts one catch-all pattern and matches
its own table here.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.urls import re_path
from django.views.decorators.csrf import csrf_exempt

from portal.sandbox.api import customers, licenses, roles, users
from portal.sandbox.api.endpoint import Handler, endpoint, not_found

_SEGMENTS = {
    "{customer}": r"(?P<customer_id>[^/]+)",
    "{user}": r"(?P<user_id>[^/]+)",
    "{role}": r"(?P<role_id>[^/]+)",
    "{domain}": r"(?P<domain>[^/]+)",
}


def _route(
    template: str, **handlers: Handler
) -> tuple[re.Pattern[str], Callable[..., HttpResponse]]:
    pattern = template
    for placeholder, group in _SEGMENTS.items():
        pattern = pattern.replace(placeholder, group)
    return re.compile(pattern + "/?", re.IGNORECASE), endpoint(**handlers)


ROUTES = [
    _route("customers", GET=customers.list_customers),
    _route("customers/{customer}", GET=customers.get_customer),
    _route("customers/{customer}/profiles/company", GET=customers.company_profile),
    _route("customers/{customer}/customdomains", GET=customers.custom_domains),
    _route("customers/{customer}/users", GET=users.list_users, POST=users.create_user),
    _route(
        "customers/{customer}/users/{user}",
        GET=users.get_user,
        PATCH=users.update_user,
        DELETE=users.delete_user,
    ),
    _route("customers/{customer}/users/{user}/directoryroles", GET=roles.user_roles),
    _route("customers/{customer}/users/{user}/licenses", GET=licenses.user_licenses),
    _route("customers/{customer}/users/{user}/licenseupdates", POST=licenses.update_licenses),
    _route("customers/{customer}/directoryroles", GET=roles.list_roles),
    _route(
        "customers/{customer}/directoryroles/{role}/usermembers",
        GET=roles.list_members,
        POST=roles.add_member,
    ),
    _route(
        "customers/{customer}/directoryroles/{role}/usermembers/{user}",
        DELETE=roles.remove_member,
    ),
    _route("customers/{customer}/subscribedskus", GET=licenses.subscribed_skus),
    _route("domains/{domain}", HEAD=customers.domain_exists),
]


@csrf_exempt  # a REST API for bearer-token clients, not a browser form
def dispatch(request: HttpRequest, path: str) -> HttpResponse:
    for pattern, view in ROUTES:
        match = pattern.fullmatch(path)
        if match:
            return view(request, **match.groupdict())
    return not_found(request)


app_name = "sandbox"
urlpatterns = [re_path(r"^(?P<path>.*)$", dispatch, name="api")]
