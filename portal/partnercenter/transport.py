"""The in-process transport: requests to the embedded sandbox, handled without a network.

`SandboxAdapter` is a `requests` transport adapter. Mounted on `SANDBOX_ORIGIN`, it turns each
prepared request into a WSGI request, has Django resolve it against the sandbox's own URLconf
(`portal.sandbox.inprocess_urls`, which serves the REST API under `/v1/`) and turns the answer back
into a `requests.Response`. Everything above the adapter — headers, retries, parsing — is the
same code that talks to Partner Center over HTTPS.

Like Django's test client, and unlike a WSGI server, it fires neither `request_started` nor
`request_finished`: their receivers close database connections, which would break a caller that
is inside a transaction. The portal's middleware does not run either: the sandbox stands for a
separate service, and its views need none of it.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote, urlsplit

import requests
from django.core.handlers.base import BaseHandler
from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIRequest
from django.http import HttpResponseBase
from django.urls import get_urlconf, set_urlconf
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers

SANDBOX_ORIGIN = "http://sandbox.invalid"
SANDBOX_API_ROOT = f"{SANDBOX_ORIGIN}/v1"
SANDBOX_URLCONF = "portal.sandbox.inprocess_urls"


class _SandboxHandler(BaseHandler):
    """A request handler with no middleware that resolves against the sandbox's URLconf."""

    def __init__(self) -> None:
        super().__init__()
        self._view_middleware: list[Any] = []
        self._template_response_middleware: list[Any] = []
        self._exception_middleware: list[Any] = []
        # What load_middleware() builds when settings.MIDDLEWARE is empty (the stubs lack it).
        get_response = self._get_response  # type: ignore[attr-defined]
        self._middleware_chain = convert_exception_to_response(get_response)

    def handle(self, request: WSGIRequest) -> HttpResponseBase:
        request.urlconf = SANDBOX_URLCONF
        # get_response leaves the URLconf it resolved with as the thread's current one; put the
        # caller's back, or its own reverse() calls would resolve against the sandbox afterwards.
        previous = get_urlconf()
        try:
            return self.get_response(request)
        finally:
            set_urlconf(previous)


class SandboxAdapter(BaseAdapter):
    """A `requests` adapter that hands every request to the sandbox, in this process."""

    def __init__(self) -> None:
        super().__init__()
        self._handler = _SandboxHandler()

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: float | tuple[float, float] | tuple[float, None] | None = None,
        verify: bool | str = True,
        cert: Any = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        wsgi_request = WSGIRequest(_environ(request))
        response = self._handler.handle(wsgi_request)
        # What a WSGI server does on completion, minus the request_finished signal that
        # HttpResponse.close() would send.
        wsgi_request.close()
        return _to_requests_response(request, response)

    def close(self) -> None:
        pass


def _environ(request: requests.PreparedRequest) -> dict[str, Any]:
    url = urlsplit(request.url or "")
    body = request.body or b""
    if isinstance(body, str):
        body = body.encode("utf-8")
    elif not isinstance(body, bytes):
        raise TypeError("The sandbox transport sends only bodies held in memory.")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": (request.method or "GET").upper(),
        "SCRIPT_NAME": "",
        "PATH_INFO": unquote(url.path, encoding="latin-1") or "/",
        "QUERY_STRING": url.query,
        "SERVER_NAME": url.hostname or "sandbox.invalid",
        "SERVER_PORT": str(url.port or 80),
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": url.scheme or "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multiprocess": True,
        "wsgi.multithread": True,
        "wsgi.run_once": False,
    }
    for name, value in request.headers.items():
        key = name.upper().replace("-", "_")
        if key == "CONTENT_LENGTH":
            continue
        if key != "CONTENT_TYPE":
            key = f"HTTP_{key}"
        environ[key] = value
    return environ


def _to_requests_response(
    request: requests.PreparedRequest, response: HttpResponseBase
) -> requests.Response:
    result = requests.Response()
    result.status_code = response.status_code
    result.reason = response.reason_phrase
    result.headers = CaseInsensitiveDict(dict(response.items()))
    result.encoding = get_encoding_from_headers(result.headers)
    if response.streaming:
        chunks = response.streaming_content  # type: ignore[attr-defined]
        content = b"".join(chunks)
    else:
        content = response.content  # type: ignore[attr-defined]
    result._content = content
    result.url = request.url or ""
    result.request = request
    return result


def sandbox_session() -> requests.Session:
    """A session whose requests to `SANDBOX_ORIGIN` are served in-process by the sandbox."""
    session = requests.Session()
    session.mount(f"{SANDBOX_ORIGIN}/", SandboxAdapter())
    return session


__all__ = ["SANDBOX_API_ROOT", "SANDBOX_ORIGIN", "SandboxAdapter", "sandbox_session"]
