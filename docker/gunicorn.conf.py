"""gunicorn's settings for the container (and for `docker/entrypoint web` anywhere).

Environment: PORT (default 8000), WEB_CONCURRENCY (worker processes, default 3),
GUNICORN_THREADS (threads per worker, default 4), GUNICORN_TIMEOUT (seconds, default 60).
"""

import os
from pathlib import Path

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# A page may wait out Partner Center's throttling for a few seconds; the bulk work is the worker's.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
# The portal logs one line per request itself (portal.request_context), with its request id.
accesslog = None
errorlog = "-"
# Django alone decides whether a request came over https (SECURE_PROXY_SSL_HEADER, believed only
# from PORTAL_TRUSTED_PROXIES): gunicorn must not turn X-Forwarded-Proto into the URL scheme.
secure_scheme_headers: dict[str, str] = {}
# Temporary files of worker heartbeats in memory, not on the container's overlay filesystem.
_SHM = Path("/dev/shm")  # noqa: S108 (gunicorn's own advice for containers)
worker_tmp_dir = str(_SHM) if _SHM.is_dir() else None
# PORTAL_LOG_FORMAT=json: gunicorn's own lines (start, workers, errors) as the portal's JSON too.
if os.environ.get("PORTAL_LOG_FORMAT", "").strip().lower() == "json":
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "portal.log_format.JsonFormatter"}},
        "handlers": {
            "stdout": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stdout",
            }
        },
        "loggers": {
            "gunicorn.error": {"handlers": ["stdout"], "level": "INFO", "propagate": False},
        },
    }
