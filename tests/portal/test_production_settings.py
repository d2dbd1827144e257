"""Live mode's settings: every required variable missing or malformed stops the portal with its
name; with all of them set, `manage.py check --deploy` has nothing to say."""

from __future__ import annotations

import os
import runpy
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

import portal

ROOT = Path(portal.__file__).resolve().parent.parent
SECRET = "hX3k9-Qz7LwP2mN8vB4cR6tY1uI0oA5sD_fG3hJ7kL9zX2cV4bN6mQ8wE0rT1yU"
GUID = "0b1e2c3d-1111-4222-8333-000000000a99"

LIVE: dict[str, str] = {
    "PARTNER_CENTER_MODE": "live",
    "DJANGO_SECRET_KEY": SECRET,
    "ALLOWED_HOSTS": "portal.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://portal.example.com",
    "DATABASE_URL": "postgres://portal:pw@db.internal:5432/portal",
    "PORTAL_ENCRYPTION_KEY": Fernet.generate_key().decode(),
    "PARTNER_CENTER_TENANT_ID": "contosopartner.onmicrosoft.com",
    "PARTNER_CENTER_APP_ID": GUID,
    "PARTNER_CENTER_APP_SECRET": "app-secret-value",
}
# Every variable the settings read, so a test sees only what it sets.
CLEARED = [
    *LIVE,
    "SANDBOX_DATABASE_URL",
    "REDIS_URL",
    "DEBUG",
    "PORTAL_PLAIN_HTTP",
    "PORTAL_BEHIND_TLS_PROXY",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "PORTAL_TRUSTED_PROXIES",
    "PORTAL_TIME_ZONE",
    "PARTNER_CENTER_BASE_URL",
    "DJANGO_SECRET_KEY_FALLBACKS",
    "PORTAL_LOG_FORMAT",
]


def load(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, **variables: str | None) -> Any:
    """portal/settings.py run afresh with LIVE, changed by `variables` (None removes one)."""
    for name in CLEARED:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(f"{name}_FILE", raising=False)
    monkeypatch.setenv("PORTAL_DATA_DIR", str(tmp_path))
    for name, value in {**LIVE, **variables}.items():
        if value is not None:
            monkeypatch.setenv(name, value)
    return type("Settings", (), runpy.run_path(str(ROOT / "portal" / "settings.py")))


def test_live_settings_load_with_every_variable_set(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    settings = load(monkeypatch, tmp_path)
    assert settings.SANDBOX_ENABLED is False
    assert settings.SECURE_PROXY_SSL_HEADER == ("HTTP_X_FORWARDED_PROTO", "https")
    assert settings.SECURE_SSL_REDIRECT is True
    assert settings.SESSION_COOKIE_SECURE is True and settings.CSRF_COOKIE_SECURE is True
    assert settings.SECURE_HSTS_SECONDS >= 31536000


@pytest.mark.parametrize("redis", [None, "redis://127.0.0.1:6379/0"], ids=["database", "redis"])
def test_cache_keys_carry_the_mode(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, redis: str | None
) -> None:
    """Nothing cached in sandbox mode is read in live mode on the same cache."""
    live = load(monkeypatch, tmp_path, REDIS_URL=redis)
    sandbox = load(monkeypatch, tmp_path, REDIS_URL=redis, PARTNER_CENTER_MODE="sandbox")
    live_prefix = live.CACHES["default"]["KEY_PREFIX"]
    assert "live" in live_prefix
    assert live_prefix != sandbox.CACHES["default"]["KEY_PREFIX"]


@pytest.mark.parametrize(
    ("variables", "named"),
    [
        ({"DJANGO_SECRET_KEY": None}, "DJANGO_SECRET_KEY"),
        ({"DJANGO_SECRET_KEY": "too-short"}, "DJANGO_SECRET_KEY"),
        ({"DJANGO_SECRET_KEY": "ab" * 30}, "DJANGO_SECRET_KEY"),
        ({"DJANGO_SECRET_KEY": "django-insecure-" + SECRET}, "DJANGO_SECRET_KEY"),
        ({"ALLOWED_HOSTS": None}, "ALLOWED_HOSTS"),
        ({"ALLOWED_HOSTS": "https://portal.example.com"}, "ALLOWED_HOSTS"),
        ({"ALLOWED_HOSTS": "*"}, "ALLOWED_HOSTS"),
        ({"DATABASE_URL": None}, "DATABASE_URL"),
        ({"DATABASE_URL": "not a url"}, "DATABASE_URL"),
        ({"DATABASE_URL": "postgres://db.internal:5432"}, "DATABASE_URL"),
        ({"PORTAL_ENCRYPTION_KEY": None}, "PORTAL_ENCRYPTION_KEY"),
        ({"PORTAL_ENCRYPTION_KEY": "not-a-fernet-key"}, "PORTAL_ENCRYPTION_KEY"),
        ({"PARTNER_CENTER_TENANT_ID": None}, "PARTNER_CENTER_TENANT_ID"),
        ({"PARTNER_CENTER_TENANT_ID": "contoso partner"}, "PARTNER_CENTER_TENANT_ID"),
        ({"PARTNER_CENTER_APP_ID": None}, "PARTNER_CENTER_APP_ID"),
        ({"PARTNER_CENTER_APP_ID": "my-app"}, "PARTNER_CENTER_APP_ID"),
        ({"PARTNER_CENTER_APP_SECRET": None}, "PARTNER_CENTER_APP_SECRET"),
        ({"DEBUG": "true"}, "DEBUG"),
        ({"PORTAL_PLAIN_HTTP": "true"}, "PORTAL_PLAIN_HTTP"),
        ({"SECURE_SSL_REDIRECT": "yes"}, "SECURE_SSL_REDIRECT"),
        ({"SECURE_HSTS_SECONDS": "a year"}, "SECURE_HSTS_SECONDS"),
        ({"DATABASE_URL": "sqlite:////data/portal.sqlite3"}, "DATABASE_URL"),
        ({"DATABASE_URL": "postgres://portal:portal@db:5432/portal"}, "DATABASE_URL"),
        ({"PARTNER_CENTER_BASE_URL": "http://api.partnercenter.microsoft.com"}, "BASE_URL"),
        ({"PARTNER_CENTER_BASE_URL": "api.partnercenter.microsoft.com"}, "BASE_URL"),
        ({"REDIS_URL": "localhost:6379"}, "REDIS_URL"),
        ({"REDIS_URL": "redis://"}, "REDIS_URL"),
        ({"REDIS_URL": f"redis//:{SECRET}@cache:6379"}, "REDIS_URL"),  # not echoed
        ({"PORTAL_TRUSTED_PROXIES": "10.0.0.0/8,the-proxy"}, "PORTAL_TRUSTED_PROXIES"),
        ({"PORTAL_TIME_ZONE": "Mars/Olympus"}, "PORTAL_TIME_ZONE"),
        ({"PORTAL_TIME_ZONE": "../../etc/passwd"}, "PORTAL_TIME_ZONE"),
    ],
)
def test_live_mode_refuses_to_start_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, variables: dict[str, str | None], named: str
) -> None:
    with pytest.raises(ImproperlyConfigured, match=named) as refused:
        load(monkeypatch, tmp_path, **variables)
    # A secret's value is never echoed back.
    for secret in (SECRET, LIVE["PORTAL_ENCRYPTION_KEY"], LIVE["PARTNER_CENTER_APP_SECRET"]):
        assert secret not in str(refused.value)


def test_sandbox_mode_on_plain_http_relaxes_cookies_redirect_and_hsts(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    settings = load(
        monkeypatch,
        tmp_path,
        PARTNER_CENTER_MODE="sandbox",
        PORTAL_PLAIN_HTTP="true",
        DATABASE_URL=None,
    )
    assert settings.SESSION_COOKIE_SECURE is False and settings.CSRF_COOKIE_SECURE is False
    assert settings.SECURE_SSL_REDIRECT is False and settings.SECURE_HSTS_SECONDS == 0
    assert not hasattr(settings, "SECURE_PROXY_SSL_HEADER")


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def live_env(tmp_path: Path) -> dict[str, str]:
    # Not DJANGO_ALLOW_ASYNC_UNSAFE, which the test run sets for Playwright (check --deploy
    # rightly objects to it).
    unwanted = {*CLEARED, "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {key: value for key, value in os.environ.items() if key not in unwanted}
    return {**env, **LIVE, "PORTAL_DATA_DIR": str(tmp_path)}


def test_check_deploy_is_clean_with_production_settings(tmp_path: Path) -> None:
    # The checks that need no database (--deploy adds the security ones); the database URL
    # points nowhere on purpose.
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=live_env(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_check_deploy_would_say_if_something_were_off(tmp_path: Path) -> None:
    env = {**live_env(tmp_path), "SESSION_COOKIE_SECURE": "false"}
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode != 0
    assert "security.W012" in result.stderr + result.stdout


def test_live_mode_has_no_sandbox_api_and_no_demo_account(tmp_path: Path) -> None:
    code = (
        "import django; django.setup();"
        "from django.urls import Resolver404, resolve\n"
        "try:\n resolve('/sandbox/v1/customers')\nexcept Resolver404:\n print('no sandbox')"
    )
    env = {**live_env(tmp_path), "DJANGO_SETTINGS_MODULE": "portal.settings"}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert result.stdout.strip() == "no sandbox", result.stderr
    demo = run_manage("portal_demo_user", env=env)
    assert demo.returncode != 0
    assert "no demo account in live mode" in demo.stderr


def test_a_refused_setting_stops_manage_py_with_one_line_naming_it(tmp_path: Path) -> None:
    env = {**live_env(tmp_path), "PORTAL_TIME_ZONE": "Mars/Olympus"}
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        "Partner Portal cannot start: PORTAL_TIME_ZONE: 'Mars/Olympus' is not a time zone; "
        "use an IANA name such as Europe/Berlin."
    ]


def test_good_values_of_the_checked_variables_start(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    settings = load(
        monkeypatch,
        tmp_path,
        PORTAL_TIME_ZONE="Europe/Berlin",
        PORTAL_TRUSTED_PROXIES="10.0.0.0/8, 192.168.1.4, fd00::/8",
        REDIS_URL="rediss://cache.internal:6380/0",
    )
    assert settings.TIME_ZONE == "Europe/Berlin"
    assert settings.PORTAL_TRUSTED_PROXIES == ["10.0.0.0/8", "192.168.1.4", "fd00::/8"]
    sandbox = load(
        monkeypatch,
        tmp_path,
        PARTNER_CENTER_MODE="sandbox",
        PARTNER_CENTER_BASE_URL="http://127.0.0.1:8000/sandbox",
        DATABASE_URL=None,
    )
    assert sandbox.PARTNER_CENTER_BASE_URL == "http://127.0.0.1:8000/sandbox"
