"""The client's IP address for the audit log, trusting X-Forwarded-For only from known proxies.

Behind a reverse proxy REMOTE_ADDR is the proxy. X-Forwarded-For is written by every hop and
can be forged by the client, so it is read from the right: addresses added by proxies listed in
PORTAL_TRUSTED_PROXIES are skipped, and the first address not in that list is the client.
"""

from __future__ import annotations

import ipaddress
from functools import cache

from django.conf import settings
from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@cache
def _trusted(proxies: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(proxy, strict=False) for proxy in proxies)


def _parse(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(address.strip())
    except ValueError:
        return None


def _is_trusted(address: str, networks: tuple[Network, ...]) -> bool:
    ip = _parse(address)
    return ip is not None and any(ip in network for network in networks)


def client_ip(request: HttpRequest) -> str | None:
    """The address the request came from, or None when it is not a valid IP address."""
    networks = _trusted(tuple(settings.PORTAL_TRUSTED_PROXIES))
    remote = request.META.get("REMOTE_ADDR", "")
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if forwarded and _is_trusted(remote, networks):
        # A hop that is not an address at all is ignored rather than believed.
        hops = [hop for hop in forwarded.split(",") if _parse(hop) is not None]
        for hop in reversed(hops):
            if not _is_trusted(hop, networks):
                remote = hop
                break
    ip = _parse(remote)
    return str(ip) if ip is not None else None


def client_ip_or_empty(request: HttpRequest) -> str:
    """`client_ip` for django-axes, which wants a string."""
    return client_ip(request) or ""
