"""`/healthz`: can this web process serve? For the container's HEALTHCHECK and a load balancer
(liveness: 200 while this process can serve, 503 without its database). `/healthz?full` adds,
for monitoring, every task worker and maintenance loop and when each was last seen.

Answered by `HealthCheckMiddleware` before Django's security and host checks: the container's
own check calls http://127.0.0.1:8000/healthz, which is neither an allowed host nor https, and it
must not be redirected or refused for that. It reveals nothing secret and needs no sign-in.

- The database must answer, or the answer is 503 (`"status": "fail"`): without it nothing works.
- Partner Center's reachability is reported but never fails the check: an outage at Microsoft
  must not make an orchestrator restart healthy portal containers. In live mode it is the
  sign-in's state from the token cache and a probe of `PARTNER_CENTER_BASE_URL` (any HTTP answer
  means reachable), kept in the shared cache for a minute so health checks never hammer it.
- Stalled bulk uploads (active, but no worker renews their lease) are counted and make the status
  "warn": the worker or the maintenance loop needs a look, the web process itself is fine.
- Redis, when it is the cache, is reported and makes the status "warn" when it does not answer:
  the portal goes on without it (`portal.cache`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connections
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone

from portal import crypto
from portal.partnercenter.reachability import partner_center_reachability
from portal.request_context import FAILURE_CAUSE, failure_cause

logger = logging.getLogger(__name__)

PATH = "/healthz"
PROBE_CACHE_KEY = "portal:health:partner-center-probe"
PROBE_CACHE_SECONDS = 60
PROBE_TIMEOUT = 3.0


def database_problem() -> DatabaseError | None:
    """Why the portal's database does not answer a trivial query, or None when it does."""
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as error:
        return error
    return None


def bulk_jobs_stalled() -> int:
    """How many bulk uploads are active but held by no live worker (`job_selectors.is_stalled`)."""
    from users.bulk.job_selectors import is_stalled
    from users.bulk.models import BulkJob

    now = timezone.now()
    active = BulkJob.objects.filter(state__in=BulkJob.ACTIVE_STATES).only(
        "state", "lease_owner", "lease_expires_at", "enqueued_at", "created_at"
    )
    return sum(1 for job in active if is_stalled(job, now))


def partner_center_status() -> dict[str, Any]:
    """Reported, never failing: the mode, and in live mode the sign-in and a reachability probe."""
    if settings.SANDBOX_ENABLED:
        return {"mode": "sandbox", "reachable": True}
    from portal.models import PartnerCenterTokenCache

    row = PartnerCenterTokenCache.objects.filter(pk=PartnerCenterTokenCache.SINGLETON_ID).first()
    connected = row is not None and bool(row.encrypted_cache)
    readable = True
    if connected and row is not None:
        try:
            crypto.decrypt(row.encrypted_cache)
        except crypto.DecryptionError:  # the key it was encrypted with is gone: not connected
            connected = readable = False
    probe = cache.get(PROBE_CACHE_KEY)
    if probe is None:
        probe = partner_center_reachability(settings.PARTNER_CENTER_BASE_URL, timeout=PROBE_TIMEOUT)
        cache.set(PROBE_CACHE_KEY, probe, PROBE_CACHE_SECONDS)
    return {
        "mode": "live",
        **probe,
        "connected": connected,
        "token_cache": "ok" if readable else "unreadable with the configured keys",
        "sign_in_failing": bool(row and row.last_error),
        "last_success_at": row.last_success_at.isoformat() if row and row.last_success_at else None,
    }


def processes_seen() -> list[dict[str, Any]] | None:
    """Every task worker and maintenance loop, and how long ago each was last seen (for
    monitoring; a load balancer's check need not ask)."""
    from portal.heartbeat import heartbeats

    try:
        return [
            {
                "process": seen.process,
                "role": seen.role,
                "seconds_ago": seen.seconds_ago,
                "alive": seen.alive,
            }
            for seen in heartbeats()
        ]
    except DatabaseError:
        logger.exception("Health check: heartbeats could not be read")
        return None


def health_report(request: HttpRequest | None = None) -> tuple[int, dict[str, Any]]:
    """The HTTP status and the JSON body of `/healthz`. Without its database, the request's
    access line says why (one line per probe through an outage, not a traceback each)."""
    problem = database_problem()
    if problem is not None:
        if request is not None:
            setattr(request, FAILURE_CAUSE, f"database: {failure_cause(problem)}")
        return 503, {"status": "fail", "database": "unreachable"}
    report: dict[str, Any] = {"status": "ok", "database": "ok"}
    try:
        report["bulk_jobs_stalled"] = stalled = bulk_jobs_stalled()
        if stalled:
            report["status"] = "warn"
    except DatabaseError:  # e.g. not migrated yet: say so, the database itself answers
        logger.exception("Health check: bulk jobs could not be read")
        report["bulk_jobs_stalled"] = None
        report["status"] = "warn"
    available = getattr(cache, "available", None)
    if callable(available):  # Redis: a cache, not a dependency (portal.cache)
        report["cache"] = "ok" if available() else "unavailable"
        if report["cache"] != "ok":
            report["status"] = "warn"
    try:
        report["partner_center"] = pc = partner_center_status()
        if pc.get("token_cache", "ok") != "ok":
            report["status"] = "warn"
    except DatabaseError:
        logger.exception("Health check: the Partner Center sign-in could not be read")
        report["partner_center"] = {"error": "token cache unreadable"}
    return 200, report


class HealthCheckMiddleware:
    """Answers `/healthz` ahead of every other middleware but the request context's."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.path != PATH or request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        status, report = health_report(request)
        if "full" in request.GET and status == 200:
            report["processes"] = processes_seen()
        response = HttpResponse(json.dumps(report), status=status, content_type="application/json")
        response["Cache-Control"] = "no-store"
        # A 503 is the access line's to log (one line per request, with its id): Django would
        # add "Service Unavailable: /healthz" for every probe through a database outage.
        response._has_been_logged = True  # type: ignore[attr-defined]
        return response
