"""Each request's id, and one log line per request, so a support case can be traced end to end.

`RequestContextMiddleware` runs first. It gives every request an id (`request.request_id`): the
`X-Request-ID` the trusted reverse proxy sent, when it is a GUID, else a new uuid4. The same id
is the `MS-CorrelationId` of every Partner Center call the request makes (views get their client
from `portal.web.clients.partner_center_for(request)`), is echoed in the response's `X-Request-ID`,
and is on every log line written while the request runs (`RequestIdFilter`). After the response
it logs one access line: method, path, status, duration, request id and staff member. The query
string is never logged: it may carry an authorization code or a search for a person.

Behind a proxy the request's headers are believed only from `PORTAL_TRUSTED_PROXIES`: from any
other address an `X-Request-ID` is ignored and an `X-Forwarded-Proto` is dropped before Django
reads it (`SECURE_PROXY_SSL_HEADER`), so a client cannot pretend its plain http was https. With
no trusted proxies configured, the proxy in front is trusted as Django trusts it by default.
"""

from __future__ import annotations

import contextvars
import logging
import sys
import time
import uuid
from collections.abc import Callable
from typing import Any, Final

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpRequest
from django.http.response import HttpResponseBase

from portal.client_ip import _is_trusted, _trusted

logger = logging.getLogger("portal.staff.access")

HEADER = "X-Request-ID"
_current: contextvars.ContextVar[str] = contextvars.ContextVar("portal_request_id", default="")


def current_request_id() -> str:
    """The id of the request this thread is serving, or "" outside a request."""
    return _current.get()


def _from_trusted_proxy(request: HttpRequest) -> bool:
    proxies = tuple(settings.PORTAL_TRUSTED_PROXIES)
    if not proxies:
        return False
    return _is_trusted(request.META.get("REMOTE_ADDR", ""), _trusted(proxies))


def request_id_for(request: HttpRequest) -> str:
    """The proxy's `X-Request-ID` as a GUID (nginx's 32 hex digits are one), else a new one.

    Partner Center takes a GUID as MS-CorrelationId, so anything else from the proxy is ignored.
    """
    incoming = request.META.get("HTTP_X_REQUEST_ID", "")
    if incoming and _from_trusted_proxy(request):
        try:
            return str(uuid.UUID(incoming.strip()))
        except ValueError:
            pass
    return str(uuid.uuid4())


# Where a failed request keeps why it failed, for its access line ("OperationalError: ..."): set
# by `remember_failure` for an exception no view caught, and by the health check.
FAILURE_CAUSE: Final = "portal_failure_cause"


def failure_cause(error: BaseException) -> str:
    """An error as one short line: its type and the first line of its message."""
    first = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}: {first}"[:200] if first else type(error).__name__


def remember_failure(sender: object, request: HttpRequest | None = None, **kwargs: Any) -> None:
    """`got_request_exception`: the failing request's access line says why (the traceback goes
    to django.request, once a minute for the same error: `log_format.RepeatedTracebackFilter`)."""
    error = sys.exc_info()[1]
    if request is not None and error is not None:
        setattr(request, FAILURE_CAUSE, failure_cause(error))


class RequestContextMiddleware:
    """Request id, forwarded-header hygiene and the per-request access log line."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        started = time.perf_counter()
        if settings.PORTAL_TRUSTED_PROXIES and not _from_trusted_proxy(request):
            request.META.pop("HTTP_X_FORWARDED_PROTO", None)
        request_id = request_id_for(request)
        request.request_id = request_id  # type: ignore[attr-defined]
        token = _current.set(request_id)
        try:
            response = self.get_response(request)
            response[HEADER] = request_id
            self._log(request, response.status_code, started)
            return response
        finally:
            _current.reset(token)

    @staticmethod
    def _log(request: HttpRequest, status: int, started: float) -> None:
        username = _username(request)
        # Container health checks every few seconds would drown the log; failures still show.
        level = logging.DEBUG if request.path == "/healthz" and status == 200 else logging.INFO
        duration = (time.perf_counter() - started) * 1000
        cause = getattr(request, FAILURE_CAUSE, "")
        logger.log(
            level,
            "%s %s %s %.1fms request_id=%s user=%s%s",
            request.method,
            request.path,
            status,
            duration,
            request.request_id,  # type: ignore[attr-defined]
            username,
            f" cause={cause}" if cause else "",
            # The same, as fields of their own for PORTAL_LOG_FORMAT=json (portal.log_format).
            extra={
                "method": request.method,
                "path": request.path,
                "status": status,
                "duration_ms": round(duration, 1),
                "user": username,
                "request_id": request.request_id,  # type: ignore[attr-defined]
            },
        )


def _username(request: HttpRequest) -> str:
    """The staff member of the access line; "-" when nobody is signed in, "?" when it cannot be
    known (the database is down: the line is still written)."""
    user = getattr(request, "user", None)
    try:
        return user.get_username() if user is not None and user.is_authenticated else "-"
    except DatabaseError:
        return "?"


class RequestIdFilter(logging.Filter):
    """Adds `request_suffix` to every record for the log format: ` request_id=<id>` while a
    request runs (the access line names it already), nothing outside one (commands, worker)."""

    def filter(self, record: logging.LogRecord) -> bool:
        request_id = _current.get()
        inside = request_id and record.name != logger.name
        record.request_suffix = f" request_id={request_id}" if inside else ""
        if request_id and not getattr(record, "request_id", ""):
            record.request_id = request_id
        return True
