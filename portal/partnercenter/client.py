"""`PartnerCenterClient`: the one place that builds Partner Center URLs, sends requests and reads
the answers. The fluent collections (`client.customers...`) in `operations.py` call it.

Every logical operation has one MS-RequestId — a new uuid4, or the caller's own — which every
retry of it re-sends, because Partner Center deduplicates changes by it. A caller that gets an
error with `outcome_unknown` repeats the operation with `request_id=error.request_id`.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

import requests

from portal.partnercenter.auth import TokenProvider
from portal.partnercenter.errors import PartnerCenterError, Unavailable, error_for, read_fault
from portal.partnercenter.retry import RetryPolicy
from portal.partnercenter.wire import Link

if TYPE_CHECKING:
    from portal.partnercenter.operations import CustomerCollection

logger = logging.getLogger("portal.partnercenter")

READS = frozenset({"GET", "HEAD"})
# Transport failures worth another attempt: the connection failed or broke, or the answer did
# not come in time. Anything else from requests means a bad URL or similar, which no retry fixes.
_TRANSIENT = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)


@dataclass(frozen=True)
class Answer:
    """A successful answer: its status, its parsed JSON body (None when empty), and the ids."""

    status: int
    body: Any
    request_id: str
    correlation_id: str
    # An earlier attempt of this same call got no definite answer and may have taken effect:
    # this answer can then be Partner Center's replay of that attempt (same id, same body).
    after_unknown_attempt: bool = False


class ChangeWithheld(Exception):
    """A change a what-if client did not send (`PartnerCenterClient(what_if=True)`), with what
    it would have sent. Not a PartnerCenterError: nothing was tried, so nothing failed."""

    def __init__(
        self, method: str, url: str, params: Mapping[str, Any] | None, body: Any, request_id: str
    ) -> None:
        super().__init__(f"{method} {url} was not sent (what-if)")
        self.method = method
        self.url = url
        self.params = dict(params or {})
        self.body = body
        self.request_id = request_id


@dataclass(frozen=True)
class _Call:
    """One HTTP request of an operation, as sent on every attempt."""

    method: str
    url: str
    params: Mapping[str, Any] | None
    data: bytes | None
    headers: dict[str, str]
    request_id: str


class PartnerCenterClient:
    """A client for Partner Center's REST API at `api_root` (the `/v1` root, e.g.
    `https://api.partnercenter.microsoft.com/v1`).

    Use `portal.partnercenter.partner_center()` to get one configured from settings.
    `correlation_id` ties together the calls made through this client (one per web request or job
    is a good scope); each call still gets its own MS-RequestId. A `what_if` client reads as usual
    but sends no change: each raises `ChangeWithheld` with what it would have sent.
    """

    def __init__(
        self,
        *,
        api_root: str,
        token_provider: TokenProvider,
        app_token_provider: TokenProvider | None = None,
        session: requests.Session | None = None,
        policy: RetryPolicy | None = None,
        correlation_id: str | None = None,
        locale: str = "en-US",
        application: str = "Partner Portal",
        what_if: bool = False,
    ) -> None:
        self.api_root = api_root.rstrip("/")
        self.what_if = what_if
        self.policy = policy or RetryPolicy()
        self.correlation_id = correlation_id or str(uuid.uuid4())
        self._tokens = token_provider
        # App-only tokens, for the few calls Partner Center accepts them on (customers, domains):
        # those then work even while the partner user's sign-in has lapsed.
        self._app_tokens = app_token_provider
        self._session = session or requests.Session()
        self._root_path = urlsplit(self.api_root).path.rstrip("/")
        self._base_headers = {
            "Accept": "application/json",
            "X-Locale": locale,
            "MS-PartnerCenter-Application": application,
        }

    @cached_property
    def customers(self) -> CustomerCollection:
        """The partner's customers: `.list()`, `.iter_all()`, `.by_id(customer_id)`."""
        from portal.partnercenter.operations import CustomerCollection

        return CustomerCollection(self)

    # --- URLs --------------------------------------------------------------------------------

    @staticmethod
    def path(*segments: str) -> str:
        """A path below the API root with each segment escaped: ids never change the route."""
        return "".join(f"/{quote(str(segment), safe='')}" for segment in segments)

    def link_url(self, uri: str) -> str:
        """The URL of a `links.*.uri`, which may or may not start with `/v1` (production writes
        it, the documentation does not) and may even be absolute: only its path and query count,
        so a token is never sent to a host other than the API's."""
        parts = urlsplit(uri)
        path = parts.path
        for prefix in (self._root_path, "/v1"):
            if prefix and (path == prefix or path.startswith(f"{prefix}/")):
                path = path[len(prefix) :]
                break
        if not path.startswith("/"):
            path = f"/{path}"
        return f"{self.api_root}{path}" + (f"?{parts.query}" if parts.query else "")

    # --- Sending -----------------------------------------------------------------------------

    def get(
        self,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        app_only: bool = False,
    ) -> Any:
        """GET `path` (below the API root) and return its parsed body."""
        return self.send("GET", path, params=params, headers=headers, app_only=app_only).body

    def follow(self, link: Link, *, app_only: bool = False) -> Any:
        """Fetch a `links.next` (or other) link with every header it names, as Partner Center's
        paging protocol requires (the MS-ContinuationToken travels in one)."""
        url = self.link_url(link.uri)
        return self.send(link.method, url, headers=link.headers, app_only=app_only).body

    def send(
        self,
        method: str,
        path_or_url: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        request_id: str | None = None,
        app_only: bool = False,
    ) -> Answer:
        """Send one logical operation, retrying as `policy` says, and return its answer.

        Raises a `PartnerCenterError` subclass for every failure, never a `requests` exception.
        """
        call = self._call(method, path_or_url, params, body, headers, request_id)
        attempt = _Attempts(self.policy, is_change=call.method not in READS)
        tokens = self._app_tokens if app_only and self._app_tokens else self._tokens

        while True:
            call.headers["Authorization"] = (
                f"Bearer {tokens.access_token(force_refresh=attempt.refresh_token)}"
            )
            response = self._transmit(call, attempt)
            if response is None:
                continue  # no answer, and the policy allows another attempt
            answer = self._answer(call, response, attempt)
            if answer is not None:
                return answer

    def _call(
        self,
        method: str,
        path_or_url: str,
        params: Mapping[str, Any] | None,
        body: Any,
        headers: Mapping[str, str] | None,
        request_id: str | None,
    ) -> _Call:
        """The request every attempt of an operation sends (the token is set per attempt);
        `ChangeWithheld` for a change when this client is what-if."""
        method = method.upper()
        url = path_or_url if "://" in path_or_url else f"{self.api_root}{path_or_url}"
        request_id = request_id or str(uuid.uuid4())
        if self.what_if and method not in READS:
            raise ChangeWithheld(method, url, params, body, request_id)
        data = None if body is None else json.dumps(body).encode("utf-8")
        sending = {**self._base_headers, **(headers or {})}
        sending["MS-RequestId"] = request_id
        sending["MS-CorrelationId"] = self.correlation_id
        if data is not None:
            sending["Content-Type"] = "application/json"
        return _Call(method, url, params, data, sending, request_id)

    def _answer(
        self, call: _Call, response: requests.Response, attempt: _Attempts
    ) -> Answer | None:
        """What a response means: the operation's `Answer`, None when `attempt` goes again,
        or the `PartnerCenterError` it amounts to."""
        status = response.status_code
        _log_answer(call, status)
        correlation_id = response.headers.get("MS-CorrelationId", self.correlation_id)
        if 200 <= status < 300:
            return Answer(
                status=status,
                body=self._read_body(response, call.request_id),
                request_id=call.request_id,
                correlation_id=correlation_id,
                after_unknown_attempt=attempt.outcome_unknown,
            )
        retry_after = _retry_after(response.headers.get("Retry-After"))
        if status == 429 and self.policy.pacer is not None:
            self.policy.pacer.throttled(retry_after)
        if attempt.retry_after_answer(status, retry_after):
            return None
        raise error_for(
            status,
            read_fault(response.content, response.reason or ""),
            # The id this client sent, never one a gateway made up: a caller re-drives an
            # operation with it, so it must be the operation's idempotency key.
            request_id=call.request_id,
            correlation_id=correlation_id,
            retry_after=retry_after,
            outcome_unknown=attempt.outcome_unknown,
        )

    def _transmit(self, call: _Call, attempt: _Attempts) -> requests.Response | None:
        """One HTTP request of an operation: its response, or None when it got no answer and
        `attempt` allows another; `Unavailable` when it may not be tried again."""
        if self.policy.pacer is not None:
            self.policy.pacer.before_call()
        try:
            return self._session.request(
                call.method,
                call.url,
                params=call.params,
                data=call.data,
                headers=call.headers,
                timeout=self.policy.timeout,
                allow_redirects=False,
            )
        except _TRANSIENT as error:
            logger.warning(
                "Partner Center %s %s failed: %s request_id=%s",
                call.method,
                _log_path(call.url),
                type(error).__name__,
                call.request_id,
            )
            if attempt.retry_after_transport_failure():
                return None
            raise Unavailable(
                f"No answer ({type(error).__name__})",
                request_id=call.request_id,
                correlation_id=self.correlation_id,
                outcome_unknown=attempt.is_change,
            ) from error
        except requests.RequestException as error:
            raise Unavailable(
                f"The request could not be sent ({type(error).__name__})",
                request_id=call.request_id,
                correlation_id=self.correlation_id,
                outcome_unknown=attempt.outcome_unknown,
            ) from error

    def _read_body(self, response: requests.Response, request_id: str) -> Any:
        # Partner Center may start a body with a UTF-8 BOM, which response.json() rejects.
        try:
            text = response.content.decode("utf-8-sig").strip()
            return json.loads(text) if text else None
        except ValueError as error:
            raise PartnerCenterError(
                "Its answer could not be read",
                status=response.status_code,
                request_id=request_id,
                correlation_id=self.correlation_id,
            ) from error


class _Attempts:
    """The retry state of one logical operation: what has happened, and whether to go again."""

    def __init__(self, policy: RetryPolicy, *, is_change: bool) -> None:
        self.policy = policy
        self.is_change = is_change
        self.failures = 0  # 5xx, 408 and transport failures so far
        self.throttles = 0
        self.throttle_waited = 0.0
        self.started = policy.clock()
        self.refresh_token = False
        self.refreshed = False
        # Set once an attempt of a change got no definite answer: it may have taken effect.
        self.outcome_unknown = False

    def retry_after_transport_failure(self) -> bool:
        self.outcome_unknown = self.is_change
        return self._back_off()

    def retry_after_answer(self, status: int, retry_after: float | None) -> bool:
        self.refresh_token = False
        if status == 401 and not self.refreshed:
            # An access token can be revoked or expire early: get a new one, once.
            self.refreshed = self.refresh_token = True
            return True
        if status == 429:
            return self._wait_out_throttling(retry_after)
        if status == 408 or status >= 500:
            self.outcome_unknown = self.outcome_unknown or self.is_change
            return self._back_off()
        return False

    def _back_off(self) -> bool:
        self.failures += 1
        if self.failures >= self.policy.max_attempts:
            return False
        self.policy.sleep(self.policy.backoff(self.failures))
        return True

    def _wait_out_throttling(self, retry_after: float | None) -> bool:
        wait = self.policy.throttle_wait(retry_after, self.throttles)
        # Time spent so far counts against the cap as well as time slept: a page must not hang.
        spent = max(self.policy.clock() - self.started, self.throttle_waited)
        if spent + wait > self.policy.throttle_wait_cap:
            return False
        self.throttles += 1
        self.throttle_waited += wait
        self.policy.sleep(wait)
        return True


def _retry_after(value: str | None) -> float | None:
    """Retry-After in seconds: a number, or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())


def _log_answer(call: _Call, status: int) -> None:
    logger.log(
        logging.DEBUG if status < 400 else logging.INFO,
        "Partner Center %s %s -> %s request_id=%s",
        call.method,
        _log_path(call.url),
        status,
        call.request_id,
    )


def _log_path(url: str) -> str:
    # The path only: query strings can carry filters with names in them.
    return urlsplit(url).path


__all__ = ["Answer", "PartnerCenterClient"]
