"""The pipeline every sandbox call goes through, in the order Partner Center's front door would:

authentication → latency → throttling → 5xx before any change → query parameters → idempotency →
the change, in one transaction with its stored answer → "committed, then the answer was lost" →
headers, BOM.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from portal.sandbox.api import faults, idempotency
from portal.sandbox.api.query import Query, accepted_by
from portal.sandbox.api.wire import NOT_FOUND, TOKEN_MISSING, Answer, ApiError
from portal.sandbox.models import FaultSettings

logger = logging.getLogger("portal.sandbox")

Handler = Callable[..., Answer]
READ_METHODS = frozenset({"GET", "HEAD"})
BOM = "\ufeff".encode()


def endpoint(**handlers: Handler) -> Callable[..., HttpResponse]:
    """A view that dispatches on the HTTP method to `handlers` (GET=..., POST=...)."""

    @csrf_exempt
    def view(request: HttpRequest, **kwargs: Any) -> HttpResponse:
        request_id = request.headers.get("MS-RequestId", "").strip()
        correlation_id = request.headers.get("MS-CorrelationId", "").strip() or str(uuid.uuid4())
        settings = FaultSettings.current()
        handler = handlers.get(request.method or "")
        if handler is None:
            answer = ApiError(
                405, 405, f"The method {request.method} is not allowed here."
            ).answer()
        else:
            answer = _run(request, handler, kwargs, settings, request_id)
        logger.debug(
            "sandbox %s %s -> %s request_id=%s",
            request.method,
            request.path,
            answer.status,
            request_id or "-",
        )
        return _render(answer, settings, request_id, correlation_id)

    return view


@csrf_exempt
def not_found(request: HttpRequest) -> HttpResponse:
    """The answer for a path that names no resource."""
    answer = ApiError(404, NOT_FOUND, f"No resource at {request.path}.").answer()
    return _render(answer, FaultSettings.current(), "", "")


def _run(
    request: HttpRequest,
    handler: Handler,
    kwargs: dict[str, Any],
    settings: FaultSettings,
    request_id: str,
) -> Answer:
    try:
        _authenticate(request)
        faults.sleep_latency(settings)
        faults.check_throttle(settings, str(kwargs.get("customer_id", "partner")).lower())
        faults.check_server_error(settings)
        # Every resource reads its query through Query: an unknown, repeated or empty parameter
        # answers 400 here, for resources that take none as well.
        accepted = accepted_by(handler)
        query = Query.parse(request, accepted)
        if accepted:
            kwargs = {**kwargs, "query": query}
        if request.method in READ_METHODS:
            return handler(request, **kwargs)
        return _change(request, handler, kwargs, settings, request_id)
    except ApiError as error:
        return error.answer()


def _change(
    request: HttpRequest,
    handler: Handler,
    kwargs: dict[str, Any],
    settings: FaultSettings,
    request_id: str,
) -> Answer:
    # Requests without an MS-RequestId are never deduplicated, as in Partner Center.
    claim = (
        idempotency.Claim(request_id, request.method or "", request.path) if request_id else None
    )
    if claim:
        replay = idempotency.claim_or_replay(claim)
        if replay is not None:
            return replay
    try:
        with transaction.atomic(using="sandbox"):
            answer = handler(request, **kwargs)
            if claim:
                idempotency.record(claim, answer)
    except BaseException:
        if claim:
            idempotency.release(claim)
        raise
    if faults.lost_answer(settings):
        raise ApiError(504, 504, "The gateway timed out waiting for the service.")
    return answer


def _authenticate(request: HttpRequest) -> None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(
            401,
            TOKEN_MISSING,
            "The request has no bearer token: send Authorization: Bearer <access token>.",
            headers={"WWW-Authenticate": 'OAuth realm="urn:cpsvc:cpid:sandbox"'},
        )


def _render(
    answer: Answer, settings: FaultSettings, request_id: str, correlation_id: str
) -> HttpResponse:
    if answer.body is None:
        response = HttpResponse(status=answer.status)
    else:
        content = json.dumps(answer.body).encode()
        if settings.emit_bom:
            content = BOM + content
        response = HttpResponse(
            content, status=answer.status, content_type="application/json; charset=utf-8"
        )
    for name, value in answer.headers.items():
        response[name] = value
    response["MS-RequestId"] = request_id or str(uuid.uuid4())
    response["MS-CorrelationId"] = correlation_id or str(uuid.uuid4())
    response["MS-CV"] = uuid.uuid4().hex[:16] + ".0"
    response["MS-ServerId"] = "sandbox"
    return response
