"""The sandbox's routes, relative to the `/v1/` root (mounted at /sandbox/v1/ in sandbox mode).

Literal segments match in any case (`customDomains`, `directoryroles`) and a trailing slash is
tolerated: the .NET SDK's create path is `customers/{0}/users/`.
"""

from __future__ import annotations

from django.urls import URLPattern, re_path

from portal.sandbox.api import customers, licenses, roles, users
from portal.sandbox.api.endpoint import endpoint

_ID = r"[^/]+"


def route(pattern: str, name: str, **handlers: object) -> URLPattern:
    regex = "^" + pattern.replace("{customer}", f"(?P<customer_id>{_ID})")
    regex = regex.replace("{user}", f"(?P<user_id>{_ID})").replace("{role}", f"(?P<role_id>{_ID})")
    return re_path(regex + "/?$", endpoint(**handlers), name=name)  # type: ignore[arg-type]


app_name = "sandbox"
urlpatterns = [
    route("(?i:customers)", "customers", GET=customers.list_customers),
    route("(?i:customers)/{customer}", "customer", GET=customers.get_customer),
    route(
        "(?i:customers)/{customer}/(?i:profiles/company)",
        "company-profile",
        GET=customers.company_profile,
    ),
    route("(?i:customers)/{customer}/(?i:customdomains)", "domains", GET=customers.custom_domains),
    route(
        "(?i:customers)/{customer}/(?i:users)",
        "users",
        GET=users.list_users,
        POST=users.create_user,
    ),
    route(
        "(?i:customers)/{customer}/(?i:users)/{user}",
        "user",
        GET=users.get_user,
        PATCH=users.update_user,
        DELETE=users.delete_user,
    ),
    route(
        "(?i:customers)/{customer}/(?i:users)/{user}/(?i:directoryroles)",
        "user-roles",
        GET=roles.user_roles,
    ),
    route(
        "(?i:customers)/{customer}/(?i:users)/{user}/(?i:licenses)",
        "user-licenses",
        GET=licenses.user_licenses,
    ),
    route(
        "(?i:customers)/{customer}/(?i:users)/{user}/(?i:licenseupdates)",
        "license-updates",
        POST=licenses.update_licenses,
    ),
    route("(?i:customers)/{customer}/(?i:directoryroles)", "roles", GET=roles.list_roles),
    route(
        "(?i:customers)/{customer}/(?i:directoryroles)/{role}/(?i:usermembers)",
        "role-members",
        GET=roles.list_members,
        POST=roles.add_member,
    ),
    route(
        "(?i:customers)/{customer}/(?i:directoryroles)/{role}/(?i:usermembers)/{user}",
        "role-member",
        DELETE=roles.remove_member,
    ),
    route(
        "(?i:customers)/{customer}/(?i:subscribedskus)",
        "subscribed-skus",
        GET=licenses.subscribed_skus,
    ),
    route("(?i:domains)/(?P<domain>[^/]+)", "domain", HEAD=customers.domain_exists),
]
