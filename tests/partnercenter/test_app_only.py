"""Calls Partner Center accepts app-only tokens for use them; everything else the user's token."""

from __future__ import annotations

import json

import responses

from portal.partnercenter import PartnerCenterClient

ROOT = "https://api.example.test/v1"
CUSTOMER = "11111111-1111-1111-1111-111111111111"


class Fixed:
    def __init__(self, token: str) -> None:
        self.token = token

    def access_token(self, *, force_refresh: bool = False) -> str:
        return self.token


def _collection(items: list[object]) -> str:
    return json.dumps({"totalCount": len(items), "items": items, "links": {}, "attributes": {}})


@responses.activate
def test_customers_and_domains_use_the_app_token_and_users_the_users_token() -> None:
    customer = {"id": CUSTOMER, "companyProfile": {"companyName": "Contoso"}}
    responses.get(f"{ROOT}/customers", body=_collection([customer]))
    responses.get(f"{ROOT}/customers/{CUSTOMER}", json=customer)
    responses.get(f"{ROOT}/customers/{CUSTOMER}/customDomains", json=["contoso.com"])
    responses.get(f"{ROOT}/customers/{CUSTOMER}/users", body=_collection([]))
    pc = PartnerCenterClient(
        api_root=ROOT, token_provider=Fixed("user-token"), app_token_provider=Fixed("app-token")
    )
    list(pc.customers.iter_all())
    list(pc.customers.search(domain="contoso.com"))
    pc.customers.by_id(CUSTOMER).get()
    pc.customers.by_id(CUSTOMER).domains()
    pc.customers.by_id(CUSTOMER).users.list()
    sent = [
        (call.request.path_url.split("?")[0], call.request.headers["Authorization"])
        for call in responses.calls
    ]
    assert sent == [
        ("/v1/customers", "Bearer app-token"),
        ("/v1/customers", "Bearer app-token"),
        (f"/v1/customers/{CUSTOMER}", "Bearer app-token"),
        (f"/v1/customers/{CUSTOMER}/customDomains", "Bearer app-token"),
        (f"/v1/customers/{CUSTOMER}/users", "Bearer user-token"),
    ]


@responses.activate
def test_without_an_app_token_provider_everything_uses_the_users_token() -> None:
    responses.get(f"{ROOT}/customers", body=_collection([]))
    pc = PartnerCenterClient(api_root=ROOT, token_provider=Fixed("user-token"))
    pc.customers.list()
    assert responses.calls[0].request.headers["Authorization"] == "Bearer user-token"
