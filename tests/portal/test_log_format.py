"""PORTAL_LOG_FORMAT=json: one JSON object per line, for the portal's records and gunicorn's."""

from __future__ import annotations

import json
import logging
import runpy
import sys
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ImproperlyConfigured
from django.db import OperationalError
from django.http import HttpResponse
from django.test import Client, RequestFactory

from portal.log_format import JsonFormatter, RepeatedTracebackFilter
from portal.log_redaction import MASK
from portal.request_context import RequestContextMiddleware
from tests.portal.test_production_settings import load

ROOT = Path(__file__).resolve().parent.parent.parent


def _record(message: str, *args: object) -> logging.LogRecord:
    return logging.getLogger("portal.test").makeRecord(
        "portal.test", logging.WARNING, __file__, 1, message, args, None
    )


def test_a_record_is_one_json_object_with_time_level_logger_and_message() -> None:
    line = JsonFormatter().format(_record("Sync of %s failed", "contoso"))
    assert "\n" not in line
    data = json.loads(line)
    assert data["level"] == "WARNING" and data["logger"] == "portal.test"
    assert data["message"] == "Sync of contoso failed"
    assert data["time"].endswith("+00:00")


def test_a_secret_in_a_message_is_masked_in_json_too() -> None:
    data = json.loads(JsonFormatter().format(_record("login password=hunter2-secret")))
    assert "hunter2" not in data["message"] and MASK in data["message"]


@pytest.mark.django_db
def test_the_access_line_has_its_fields(
    client: Client, admin_agent: User, caplog: pytest.LogCaptureFixture
) -> None:
    client.force_login(admin_agent)
    with caplog.at_level(logging.INFO, logger="portal.staff.access"):
        response = client.get("/audit/?ticket=INC-1")
    (access,) = [r for r in caplog.records if r.name == "portal.staff.access"]
    data = json.loads(JsonFormatter().format(access))
    assert data["method"] == "GET" and data["path"] == "/audit/"  # never the query string
    assert data["status"] == 200 and data["user"] == admin_agent.username
    assert data["request_id"] == response["X-Request-ID"]
    assert isinstance(data["duration_ms"], float)


def test_gunicorn_writes_its_own_lines_as_json_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTAL_LOG_FORMAT", "json")
    conf = runpy.run_path(str(ROOT / "docker" / "gunicorn.conf.py"))
    formatter = conf["logconfig_dict"]["formatters"]["json"]["()"]
    assert formatter == "portal.log_format.JsonFormatter"
    monkeypatch.setenv("PORTAL_LOG_FORMAT", "text")
    assert "logconfig_dict" not in runpy.run_path(str(ROOT / "docker" / "gunicorn.conf.py"))


def test_the_settings_choose_the_format_and_refuse_another(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    settings = load(monkeypatch, tmp_path, PORTAL_LOG_FORMAT="json")
    assert settings.LOGGING["handlers"]["stdout"]["formatter"] == "json"
    with pytest.raises(ImproperlyConfigured, match="PORTAL_LOG_FORMAT"):
        load(monkeypatch, tmp_path, PORTAL_LOG_FORMAT="xml")


def _failed(error: Exception) -> logging.LogRecord:
    try:
        raise error
    except type(error):
        record = logging.getLogger("django.request").makeRecord(
            "django.request",
            logging.ERROR,
            __file__,
            1,
            "Internal Server Error: /",
            (),
            sys.exc_info(),
        )
    return record


def test_the_same_error_within_a_minute_is_one_line_without_its_traceback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = [1000.0]
    monkeypatch.setattr("portal.log_format.time.monotonic", lambda: clock[0])
    only_once = RepeatedTracebackFilter()
    first = _failed(OperationalError("connection refused"))
    assert only_once.filter(first) and first.exc_info is not None
    again = _failed(OperationalError("connection refused"))
    assert only_once.filter(again) and again.exc_info is None
    assert again.getMessage() == (
        "Internal Server Error: / (OperationalError: connection refused; traceback logged "
        "within the last minute)"
    )
    # The same outage in other words (the connection reset, not refused) is the same error.
    reset = _failed(OperationalError("server closed the connection unexpectedly"))
    assert only_once.filter(reset) and reset.exc_info is None
    assert "(OperationalError: server closed the connection unexpectedly; traceback" in (
        reset.getMessage()
    )
    other = _failed(ValueError("something else"))
    assert only_once.filter(other) and other.exc_info is not None
    clock[0] += 61
    later = _failed(OperationalError("connection refused"))
    assert only_once.filter(later) and later.exc_info is not None


def test_a_request_that_fails_with_the_database_down_still_gets_its_access_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class Unreadable:
        @property
        def is_authenticated(self) -> bool:
            raise OperationalError("the database does not answer")

    request = RequestFactory().get("/customers/")
    request.user = Unreadable()  # type: ignore[assignment]
    middleware = RequestContextMiddleware(lambda request: HttpResponse(status=500))
    with caplog.at_level(logging.INFO, logger="portal.staff.access"):
        assert middleware(request).status_code == 500
    (line,) = [r.getMessage() for r in caplog.records if r.name == "portal.staff.access"]
    assert line.startswith("GET /customers/ 500 ") and line.endswith("user=?")
