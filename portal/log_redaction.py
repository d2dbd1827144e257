"""Secrets out of logs: every log record, from any logger, is redacted when it is made.

Passwords and tokens must never reach a log line (DESIGN.md section 3). The code avoids logging
them in the first place; this is the net under it. It replaces the logging record factory, so it
applies to every logger — Django's, msal's, requests', ours, and pytest's capture alike — which
a filter on one logger or handler would not: a logger's filters never see its children's records.

What is masked: JWT-shaped strings (access and id tokens), Entra refresh tokens, the value after
`Bearer`, and the value of any key named like a password, secret or token in `key=value`,
`key: value` and JSON `"key": "value"` forms.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

MASK = "[redacted]"

_TOKEN = re.compile(
    r"eyJ[\w-]{8,}\.[\w-]{8,}\.[\w-]*"  # a JWT
    r"|\b[01]\.A[\w.-]{40,}"  # an Entra refresh token
)
_BEARER = re.compile(r"(?i)\b(bearer\s+)[\w.~+/=-]{6,}")
_SECRET_NAME = r"[\w-]*(?:password|passwd|secret|token|credential)[\w-]*"  # noqa: S105 (a pattern of names, not a password)
_KEY_VALUE = re.compile(
    rf"""(?ix)
    (["']?{_SECRET_NAME}["']?\s*[:=]\s*)   # the key and its separator
    (?:"(?:[^"\\]|\\.)*"|'[^']*'|[^\s,;&}}\])]+)   # a quoted or bare value
    """
)


def redact(text: str) -> str:
    """`text` with every secret-shaped part replaced by [redacted]."""
    text = _TOKEN.sub(MASK, text)
    text = _BEARER.sub(rf"\g<1>{MASK}", text)
    return _KEY_VALUE.sub(rf"\g<1>{MASK}", text)


_installed = False


def install() -> None:
    """Wrap the logging record factory once, so every record is redacted as it is made."""
    global _installed
    if _installed:
        return
    make_record: Callable[..., logging.LogRecord] = logging.getLogRecordFactory()

    def redacting_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a malformed call: leave it for logging to report
            return record
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and record.exc_info[1] is not None:
            # Exception text (e.g. a requests error echoing a URL) is formatted later from
            # exc_info; format it now, redacted, so the traceback cannot carry a secret.
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        return record

    logging.setLogRecordFactory(redacting_factory)
    _installed = True
