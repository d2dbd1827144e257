"""Handing this test run's databases to a child process (a manage.py command, a worker).

The child reads its databases from the environment like any portal process; these URLs point it
at the test databases pytest-django created — SQLite files or PostgreSQL databases — so what
the child writes, the test sees.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.conf import settings


def database_url(alias: str) -> str:
    """The URL of the (test) database behind `alias`, as DATABASE_URL takes it."""
    config: dict[str, Any] = settings.DATABASES[alias]
    if config["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{Path(config['NAME']).resolve()}"
    if config["ENGINE"] != "django.db.backends.postgresql":
        raise ValueError(f"No URL form for {config['ENGINE']}.")
    user = quote(config.get("USER") or "", safe="")
    password = quote(config.get("PASSWORD") or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    port = f":{config['PORT']}" if config.get("PORT") else ""
    return f"postgres://{credentials}{config.get('HOST') or 'localhost'}{port}/{config['NAME']}"


def child_env(**extra: str) -> dict[str, str]:
    """This process's environment, with both databases pointing at the test databases."""
    return {
        **os.environ,
        "DATABASE_URL": database_url("default"),
        "SANDBOX_DATABASE_URL": database_url("sandbox"),
        **extra,
    }
