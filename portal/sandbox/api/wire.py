"""Partner Center's wire conventions: the error envelope, case-insensitive input, JSON answers."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest

# Error codes the sandbox answers with (partner-center-api.md section 5.3).
INVALID_INPUT = 3000
USER_NOT_FOUND = 60002
TENANT_NOT_FOUND = 60003
OUT_OF_LICENSES = 60012
ACCESS_DENIED = 2032
TOKEN_MISSING = 800001
NOT_FOUND = 1000

DUPLICATE_UPN_TEXT = (
    "Another object with the same value for property userPrincipalName already exists."
)


@dataclass
class Answer:
    """What an endpoint answers: a status and a JSON-able body (None for an empty body)."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


class ApiError(Exception):
    """An answer in Partner Center's error envelope, raised anywhere inside an endpoint."""

    def __init__(
        self,
        status: int,
        code: int,
        description: str,
        *,
        data: list[str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(description)
        self.status = status
        self.code = code
        self.description = description
        self.data = data
        self.headers = headers or {}

    def answer(self) -> Answer:
        body: dict[str, Any] = {
            "code": self.code,
            "description": self.description,
            "source": "PartnerFD",
        }
        if self.data:
            body["data"] = self.data
        return Answer(self.status, body, dict(self.headers))


def invalid(description: str) -> ApiError:
    return ApiError(400, INVALID_INPUT, description)


def casefold_keys(value: Any) -> Any:
    """The value with every object key lower-cased, recursively.

    Partner Center matches property names case-insensitively: the docs send camelCase, the
    seed's restore body is PascalCase, and the .NET SDK serialises PascalCase.
    """
    if isinstance(value, dict):
        return {str(key).lower(): casefold_keys(item) for key, item in value.items()}
    if isinstance(value, list):
        return [casefold_keys(item) for item in value]
    return value


def read_body(request: HttpRequest) -> dict[str, Any]:
    """The request's JSON object with lower-cased keys (an empty body reads as `{}`)."""
    raw = request.body.decode("utf-8-sig", errors="replace").strip()
    if not raw:
        return {}
    try:
        parsed = json.loads(raw)
    except ValueError:
        raise invalid("The request body is not valid JSON.") from None
    if not isinstance(parsed, dict):
        raise invalid("The request body must be a JSON object.")
    folded: dict[str, Any] = casefold_keys(parsed)
    return folded


def optional_text(body: dict[str, Any], key: str) -> str | None:
    """A string field of a lower-cased body: None when absent or null (meaning "unchanged")."""
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise invalid(f"The property {key} must be a string.")
    return value.strip()


def link(uri: str, headers: list[dict[str, str]] | None = None) -> dict[str, Any]:
    return {"uri": uri, "method": "GET", "headers": headers or []}


def collection(
    items: list[dict[str, Any]],
    *,
    self_uri: str,
    next_uri: str | None = None,
    continuation_token: str | None = None,
) -> dict[str, Any]:
    """A (seek-based) collection envelope; `next` and the token only when more pages exist."""
    links: dict[str, Any] = {"self": link(self_uri)}
    body: dict[str, Any] = {"totalCount": len(items), "items": items, "links": links}
    if next_uri and continuation_token:
        links["next"] = link(
            next_uri, [{"key": "MS-ContinuationToken", "value": continuation_token}]
        )
        body["continuationToken"] = continuation_token
    body["attributes"] = {"objectType": "Collection"}
    return body


def without_nulls(resource: dict[str, Any]) -> dict[str, Any]:
    """List and get answers omit null fields; create and reset answers keep them."""
    return {key: value for key, value in resource.items() if value is not None}
