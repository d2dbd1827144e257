"""Where the client gets its bearer token.

The client asks a `TokenProvider` for a token before every call, and once more with
`force_refresh=True` when Partner Center answers 401 (an access token can be revoked or expire
early); a second 401 raises `Unauthorized`.

In sandbox mode `SandboxTokenProvider` hands out a fixed opaque token: the sandbox accepts any
bearer token and rejects none.

Live mode plugs a provider built on msal into this same protocol: a
`ConfidentialClientApplication` for the partner's Entra app whose `SerializableTokenCache` is kept
encrypted in the portal's database (so every web and worker process shares one cache), answering
`access_token()` with `acquire_token_silent` for the App+User scope
`https://api.partnercenter.microsoft.com/user_impersonation`, and `force_refresh=True` with the
same call forced past the cache. `portal.partnercenter.partner_center()` is the one place that
chooses the provider for the mode.
"""

from __future__ import annotations

from typing import Protocol

SANDBOX_TOKEN = "sandbox-token"  # noqa: S105 - an opaque placeholder, not a credential


class TokenProvider(Protocol):
    def access_token(self, *, force_refresh: bool = False) -> str:
        """A bearer token for Partner Center; a new one (not from a cache) if `force_refresh`."""
        ...


class SandboxTokenProvider:
    """The embedded sandbox's token: fixed, since the sandbox checks only that one is sent."""

    def __init__(self, token: str = SANDBOX_TOKEN) -> None:
        self._token = token

    def access_token(self, *, force_refresh: bool = False) -> str:
        return self._token


__all__ = ["SANDBOX_TOKEN", "SandboxTokenProvider", "TokenProvider"]
