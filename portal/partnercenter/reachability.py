"""Whether Partner Center's host answers at all, for /healthz: a plain GET of the API root.

Kept in the SDK so that the SDK stays the only code that talks to Partner Center. It sends no
token and reads no body; any HTTP answer (even 401 or 404) means the host is reachable.
"""

from __future__ import annotations

from typing import Any

import requests


def partner_center_reachability(base_url: str, *, timeout: float) -> dict[str, Any]:
    """`{"reachable": True, "status": ...}`, or `{"reachable": False, "error": ...}`."""
    try:
        response = requests.get(base_url, timeout=timeout, allow_redirects=False)
    except requests.RequestException as error:
        return {"reachable": False, "error": type(error).__name__}
    return {"reachable": True, "status": response.status_code}
