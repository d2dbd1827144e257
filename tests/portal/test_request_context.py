"""One log line per request with its id; the same id reaches Partner Center as MS-CorrelationId."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory
from pytest_django import Settings

from portal.request_context import HEADER, RequestContextMiddleware, current_request_id
from portal.web.clients import partner_center_for
from tests.conftest import STAFF_PASSWORD

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.5"


def access_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        record.getMessage() for record in caplog.records if record.name == "portal.staff.access"
    ]


def test_every_response_carries_a_new_request_id_and_one_access_line(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="portal.staff.access")
    first = client.get("/sign-in/?next=/secret-query")
    second = client.get("/sign-in/")
    ids = [first[HEADER], second[HEADER]]
    assert ids[0] != ids[1]
    assert all(uuid.UUID(value).version == 4 for value in ids)
    lines = access_lines(caplog)
    assert len(lines) == 2
    assert lines[0].startswith("GET /sign-in/ 200 ")
    assert f"request_id={ids[0]}" in lines[0] and "user=-" in lines[0]
    assert "secret-query" not in lines[0]  # never the query string


def test_the_line_names_the_signed_in_staff_member(
    client: Client, admin_agent: User, caplog: pytest.LogCaptureFixture
) -> None:
    client.force_login(admin_agent)
    caplog.set_level(logging.INFO, logger="portal.staff.access")
    client.get("/audit/")
    assert access_lines(caplog)[0].endswith("user=amara")


def test_an_incoming_id_is_honoured_only_from_a_trusted_proxy(
    client: Client, settings: Settings
) -> None:
    settings.PORTAL_TRUSTED_PROXIES = ["10.0.0.0/24"]
    nginx_id = "0123456789abcdef0123456789abcdef"  # nginx's $request_id: 32 hex digits
    from_proxy = client.get("/sign-in/", HTTP_X_REQUEST_ID=nginx_id, REMOTE_ADDR=PROXY)
    assert from_proxy[HEADER] == str(uuid.UUID(nginx_id))
    forged = client.get("/sign-in/", HTTP_X_REQUEST_ID=nginx_id, REMOTE_ADDR="203.0.113.9")
    assert forged[HEADER] != str(uuid.UUID(nginx_id))
    not_a_guid = client.get("/sign-in/", HTTP_X_REQUEST_ID="abc; drop", REMOTE_ADDR=PROXY)
    assert uuid.UUID(not_a_guid[HEADER]).version == 4


def test_x_forwarded_proto_is_believed_only_from_a_trusted_proxy(settings: Settings) -> None:
    settings.PORTAL_TRUSTED_PROXIES = ["10.0.0.0/24"]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    seen: dict[str, bool] = {}

    def view(request: HttpRequest) -> HttpResponse:
        seen[request.META["REMOTE_ADDR"]] = request.is_secure()
        return HttpResponse()

    middleware = RequestContextMiddleware(view)
    factory = RequestFactory()
    for address in (PROXY, "203.0.113.9"):
        middleware(factory.get("/", HTTP_X_FORWARDED_PROTO="https", REMOTE_ADDR=address))
    assert seen == {PROXY: True, "203.0.113.9": False}


def test_views_clients_send_the_request_id_as_correlation_id() -> None:
    seen: list[str] = []

    def view(request: HttpRequest) -> HttpResponse:
        pc = partner_center_for(request)
        # `request_id` is the middleware's own attribute, which HttpRequest does not declare.
        seen.extend([pc.correlation_id, current_request_id(), vars(request)["request_id"]])
        return HttpResponse()

    response = RequestContextMiddleware(view)(RequestFactory().get("/"))
    assert seen == [response[HEADER]] * 3
    assert current_request_id() == ""  # reset after the request


@pytest.mark.django_db(databases=["default", "sandbox"])
def test_a_pages_partner_center_calls_carry_its_request_id(
    client: Client, admin_agent: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through a real view and the sandbox: every call the page makes has the request's id."""
    from portal.partnercenter.client import PartnerCenterClient

    sent: list[str] = []
    original = PartnerCenterClient.__init__

    def recording(self: PartnerCenterClient, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        sent.append(self.correlation_id)

    monkeypatch.setattr(PartnerCenterClient, "__init__", recording)
    client.force_login(admin_agent)
    response = client.get("/customers/")
    assert response.status_code == 200
    assert sent and set(sent) == {response[HEADER]}


def test_no_secret_reaches_a_log_line(client: Client, capsys: pytest.CaptureFixture[str]) -> None:
    password = "Sup3r-secret-pa55word"
    client.post("/sign-in/", {"username": "nobody", "password": password})
    client.get("/sign-in/", {"password": password})
    out = capsys.readouterr()
    assert password not in out.out + out.err
    assert STAFF_PASSWORD not in out.out + out.err


def test_a_request_that_fails_says_why_on_its_access_line(
    client: Client,
    admin_agent: User,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(**_: object) -> None:
        raise RuntimeError("the panel could not be read\nsecond line")

    monkeypatch.setattr("customers.views.home.directory_health", broken)
    client.raise_request_exception = False
    client.force_login(admin_agent)
    caplog.set_level(logging.INFO, logger="portal.staff.access")
    assert client.get("/").status_code == 500
    (line,) = access_lines(caplog)
    assert line.startswith("GET / 500 ")
    assert line.endswith(" user=amara cause=RuntimeError: the panel could not be read")
