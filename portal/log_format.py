"""Log lines for machines: `PORTAL_LOG_FORMAT=json` writes one JSON object per line — time,
level, logger, message, request id, and for the access line its method, path, status, duration
and staff member — for every process (web, workers, maintenance, gunicorn itself).

Plain `logging`, no Django: gunicorn's master configures its own loggers with this before the
portal is imported (`docker/gunicorn.conf.py`). Records are redacted when they are made
(`portal.log_redaction`), so what is formatted here is already safe.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any, Final

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
