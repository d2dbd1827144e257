"""Checks and builders for the core settings, run by `portal/settings.py` as it loads.

Each takes what the settings read from the environment (the reads stay in `settings.py`, so every
variable is visible there) and returns the setting, or raises `ImproperlyConfigured` saying which
variable to fix: the secret key, the allowed hosts, the encryption keys, the Partner Center app
of live mode, and the two databases. A value that is itself a secret is never echoed. The Sign
in with Microsoft settings have their own checks (`portal/staff/entra_settings.py`).
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path
from typing import Any

import dj_database_url
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

SQLITE = "django.db.backends.sqlite3"

# `manage.py portal_encryption_key` prints one too, but only once settings load.
_MAKE_A_KEY = (
    'Make one with: python -c "from cryptography.fernet import Fernet; '
    'print(Fernet.generate_key().decode())"'
)
_GUID = r"(?i)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_DOMAIN = r"(?i)[a-z0-9-]+(\.[a-z0-9-]+)+"


def secret_key(configured: str, *, sandbox: bool, data_dir: Path) -> str:
    """DJANGO_SECRET_KEY when it is long and random enough; in sandbox mode without one, a key
    made once and kept in `data_dir`, so sessions survive restarts with nothing configured."""
    if configured:
        if len(configured) < 50:
            raise ImproperlyConfigured("DJANGO_SECRET_KEY must be at least 50 characters long.")
        # What `check --deploy` calls weak (security.W009): few distinct characters, or the key
        # `startproject` generates for development.
        if len(set(configured)) < 5 or configured.startswith("django-insecure-"):
            raise ImproperlyConfigured(
                "DJANGO_SECRET_KEY is not random enough: use at least 50 random characters."
            )
        return configured
    if not sandbox:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY (or DJANGO_SECRET_KEY_FILE) is required.")
    key_file = data_dir / "secret_key"
    if not key_file.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(64), encoding="utf-8")
        key_file.chmod(0o600)
    return key_file.read_text(encoding="utf-8").strip()


def checked_hosts(hosts: list[str], *, sandbox: bool) -> list[str]:
    """ALLOWED_HOSTS, required in live mode, and host names only: a URL here would never match,
    and `*` (sandbox mode only) accepts forged Host headers."""
    if not hosts:
        raise ImproperlyConfigured("ALLOWED_HOSTS is required in live mode (comma-separated).")
    for host in hosts:
        if "/" in host or (host == "*" and not sandbox):
            raise ImproperlyConfigured(
                f"ALLOWED_HOSTS takes host names such as portal.example.com, not {host!r}."
            )
    return hosts


def encryption_keys(raw: str, *, sandbox: bool) -> list[str]:
    """PORTAL_ENCRYPTION_KEY's comma-separated Fernet keys, each checked; required in live mode."""
    keys = [key.strip() for key in raw.split(",") if key.strip()]
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except (ValueError, TypeError):
            # The value itself is a secret: name its position, never echo it.
            raise ImproperlyConfigured(
                f"PORTAL_ENCRYPTION_KEY: key {position} is not a Fernet key (32 bytes, url-safe "
                f"base64). {_MAKE_A_KEY}"
            ) from None
    if not keys and not sandbox:
        raise ImproperlyConfigured(
            "PORTAL_ENCRYPTION_KEY (or PORTAL_ENCRYPTION_KEY_FILE) is required in live mode. "
            + _MAKE_A_KEY
        )
    return keys


def check_partner_center_app(*, tenant_id: str, app_id: str, app_secret: str) -> None:
    """Live mode's Partner Center app: all three given, the app id a GUID, the tenant a GUID or
    a domain."""
    missing = [
        name
        for name, value in [
            ("PARTNER_CENTER_TENANT_ID", tenant_id),
            ("PARTNER_CENTER_APP_ID", app_id),
            ("PARTNER_CENTER_APP_SECRET", app_secret),
        ]
        if not value
    ]
    if missing:
        raise ImproperlyConfigured(f"Live mode needs {', '.join(missing)}.")
    if not re.fullmatch(_GUID, app_id):
        raise ImproperlyConfigured(
            f"PARTNER_CENTER_APP_ID must be the app's application (client) id, a GUID, not "
            f"{app_id!r}."
        )
    if not re.fullmatch(_GUID, tenant_id) and not re.fullmatch(_DOMAIN, tenant_id):
        raise ImproperlyConfigured(
            "PARTNER_CENTER_TENANT_ID must be the partner's tenant id (a GUID) or its domain "
            f"(contoso.onmicrosoft.com), not {tenant_id!r}."
        )


def sqlite_database(name: str, data_dir: Path) -> dict[str, Any]:
    """A SQLite database file in `data_dir`, set up for several processes at once."""
    return {
        "ENGINE": SQLITE,
        "NAME": data_dir / f"{name}.sqlite3",
        "OPTIONS": {
            # Several processes (web, worker, maintenance) share these files: WAL lets readers
            # work beside a writer, the timeout waits for a lock instead of failing at once, and
            # IMMEDIATE takes the write lock at BEGIN so a transaction never fails half-way when
            # it upgrades from reading to writing.
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
        },
        # File-backed test databases, so that tests can hand them to a child process.
        "TEST": {"NAME": data_dir / f"test_{name}.sqlite3"},
    }


def database(
    variable: str, url: str, fallback: dict[str, Any], *, data_dir: Path
) -> dict[str, Any]:
    """The database `url` (the value of `variable`) names, or `fallback` when it is empty."""
    if not url:
        return fallback
    try:
        config: dict[str, Any] = dict(
            dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
        )
    except ValueError as error:
        raise ImproperlyConfigured(f"{variable} is not a database URL: {error}") from None
    if config.get("ENGINE") == SQLITE:
        return {**sqlite_database("unused", data_dir), "NAME": config["NAME"], "TEST": {}}
    return config


def portal_database(
    url: str, *, sandbox: bool, data_dir: Path, random_page_cost: str = "server"
) -> dict[str, Any]:
    """The portal's own database from DATABASE_URL: SQLite in `data_dir` by default in sandbox
    mode; live mode needs PostgreSQL with a password of its own. On PostgreSQL, its sessions
    plan with `random_page_cost` unless it is "server" (DATABASE_RANDOM_PAGE_COST)."""
    if not sandbox and not url:
        raise ImproperlyConfigured(
            "DATABASE_URL is required in live mode, e.g. postgres://portal:secret@db:5432/portal."
        )
    config = database("DATABASE_URL", url, sqlite_database("portal", data_dir), data_dir=data_dir)
    if not config.get("NAME"):
        raise ImproperlyConfigured("DATABASE_URL names no database (postgres://host:5432/<name>).")
    if not sandbox and config["ENGINE"] == SQLITE:
        raise ImproperlyConfigured(
            "DATABASE_URL: live mode needs PostgreSQL (postgres://...), not SQLite: several "
            "processes write at once, and backups and upgrades assume PostgreSQL."
        )
    if not sandbox and config.get("PASSWORD") == "portal":
        raise ImproperlyConfigured(
            "DATABASE_URL uses the default password 'portal' in live mode: set POSTGRES_PASSWORD "
            "(Docker Compose) or a password of your own in DATABASE_URL."
        )
    if config["ENGINE"] != SQLITE and random_page_cost != "server":
        config.setdefault("OPTIONS", {})["options"] = (
            f"-c random_page_cost={_cost(random_page_cost)}"
        )
    return config


def _cost(value: str) -> float:
    try:
        cost = float(value)
    except ValueError:
        cost = -1.0
    if not 0 < cost <= 100:
        raise ImproperlyConfigured(
            f"DATABASE_RANDOM_PAGE_COST={value!r}: give a number above 0 (1.1 for SSD storage, "
            "PostgreSQL's own default is 4), or 'server' to keep the server's setting."
        )
    return cost


def sandbox_database(url: str, portal: dict[str, Any], *, data_dir: Path) -> dict[str, Any]:
    """Sandbox mode's database for the sandbox, from SANDBOX_DATABASE_URL; by default beside the
    portal's (its own SQLite file, or `<name>_sandbox` on the same server)."""
    if portal["ENGINE"] == SQLITE:
        fallback = sqlite_database("sandbox", data_dir)
    else:
        fallback = {**portal, "NAME": f"{portal['NAME']}_sandbox"}
    return database("SANDBOX_DATABASE_URL", url, fallback, data_dir=data_dir)


__all__ = [
    "check_partner_center_app",
    "checked_hosts",
    "database",
    "encryption_keys",
    "portal_database",
    "sandbox_database",
    "secret_key",
    "sqlite_database",
]
