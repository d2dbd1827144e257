"""What views share about HTTP: the request type, and the one way a CSV leaves the portal."""

from __future__ import annotations

from collections.abc import Iterable

from django.http import HttpRequest, StreamingHttpResponse
from django.utils.http import content_disposition_header
from django_htmx.middleware import HtmxDetails


class HtmxHttpRequest(HttpRequest):
    """A request that went through `HtmxMiddleware`, so `request.htmx` is typed."""

    htmx: HtmxDetails


def csv_attachment(content: Iterable[bytes] | bytes, file_name: str) -> StreamingHttpResponse:
    """A CSV download: streamed as it is made (`portal.csvsafe.csv_stream`), never cached.

    `content` is a stream of chunks, or the bytes of a small file made at once.
    """
    chunks = [content] if isinstance(content, bytes) else content
    response = StreamingHttpResponse(chunks, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, file_name)
    response["Cache-Control"] = "no-store"
    return response
