"""Log lines for machines: `PORTAL_LOG_FORMAT=json` writes one JSON object per line — time,
level, logger, message, request id, and for the access line its method, path, status, duration
and staff member — for every process (web, workers, maintenance, gunicorn itself).

Plain `logging`, no Django: gunicorn's master configures its own loggers with this before the
portal is imported (`docker/gunicorn.conf.py`). Records are redacted when they are made
(`portal.log_redaction`), so what is formatted here is already safe. `logging_config` is the
portal's own `LOGGING`, which puts these to work.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime
from typing import Any, Final

from portal.log_redaction import redact

# Attributes the access line sets (`portal.request_context`), written as fields of their own.
ACCESS_FIELDS: Final = ("method", "path", "status", "duration_ms", "user")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", "") or ""
        if request_id:
            line["request_id"] = request_id
        for name in ACCESS_FIELDS:
            if hasattr(record, name):
                line[name] = getattr(record, name)
        if record.exc_info or record.exc_text:
            line["exception"] = record.exc_text or self.formatException(record.exc_info)  # type: ignore[arg-type]
        return json.dumps(line, ensure_ascii=False, default=str)


def _is_database_error(error: BaseException) -> bool:
    """A database driver's or Django's database error, known by name (this module imports
    no Django: gunicorn's master loads it first)."""
    return any(
        cls.__name__ in ("DatabaseError", "OperationalError", "InterfaceError")
        for cls in type(error).__mro__
    )


class RepeatedTracebackFilter(logging.Filter):
    """The same error again within `WINDOW` seconds is logged as one line, without its traceback
    (a database outage fails every request the same way: one traceback a minute is enough)."""

    WINDOW: Final = 60.0

    def __init__(self) -> None:
        super().__init__()
        self._shown: dict[tuple[str, str], float] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.exc_info or record.exc_info[1] is None:
            return True
        error = record.exc_info[1]
        # A lost database fails in several words ("connection refused", "server closed the
        # connection", "reset by peer"): one outage, one traceback a minute for each kind.
        message = redact(str(error))[:200]
        key = (type(error).__name__, "" if _is_database_error(error) else message)
        now = time.monotonic()
        shown = self._shown.get(key)
        if shown is not None and now - shown < self.WINDOW:
            record.msg = f"{record.getMessage()} ({key[0]}: {message}; "
            record.msg += "traceback logged within the last minute)"
            record.args, record.exc_info, record.exc_text = None, None, None
            return True
        self._shown[key] = now
        return True


def logging_config(*, level: str, as_json: bool) -> dict[str, Any]:
    """Django's `LOGGING`: every record to standard output at `level` (DEBUG, INFO, ...), as a
    readable line or (`as_json`) a JSON object, ending with the request id it was written under."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_id": {"()": "portal.request_context.RequestIdFilter"},
            "repeated_tracebacks": {"()": "portal.log_format.RepeatedTracebackFilter"},
        },
        "formatters": {
            "line": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s%(request_suffix)s"},
            "json": {"()": "portal.log_format.JsonFormatter"},
        },
        "handlers": {
            "stdout": {
                "class": "logging.StreamHandler",
                "formatter": "json" if as_json else "line",
                "filters": ["request_id", "repeated_tracebacks"],
                "stream": "ext://sys.stdout",
            },
        },
        "root": {"handlers": ["stdout"], "level": level},
    }
