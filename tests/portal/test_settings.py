"""Settings come from the environment, and a malformed value stops the portal with its name."""

from __future__ import annotations

import re
import runpy
from pathlib import Path
from typing import Any

import pytest
from django.core.cache.backends.redis import RedisCache
from django.core.exceptions import ImproperlyConfigured

import portal
from portal import env
from portal.cache import DegradingRedisCache

LIVE_KEY = "k7Q-2xWp9Lm4Zr8Tn1Vb6Yc3Hd5Gf0Js" * 2  # random-looking: "k" * 60 is a weak key


def load_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, **variables: str) -> Any:
    """Execute portal/settings.py afresh with exactly these variables (plus a data dir)."""
    for name in [
        "PARTNER_CENTER_MODE",
        "DATABASE_URL",
        "SANDBOX_DATABASE_URL",
        "DATABASE_RANDOM_PAGE_COST",
        "DJANGO_SECRET_KEY",
        "ALLOWED_HOSTS",
        "REDIS_URL",
        "DEBUG",
    ]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PORTAL_DATA_DIR", str(tmp_path))
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    settings_file = Path(portal.__file__).parent / "settings.py"
    return type("Settings", (), runpy.run_path(str(settings_file)))


@pytest.mark.parametrize(
    ("raw", "default", "expected"),
    # The value given wins over the default; an empty one is the default, either way.
    [("true", False, True), ("FALSE", True, False), ("", True, True), ("", False, False)],
)
def test_a_boolean_is_true_or_false(
    monkeypatch: pytest.MonkeyPatch, raw: str, default: bool, expected: bool
) -> None:
    monkeypatch.setenv("FLAG", raw)
    assert env.env_bool("FLAG", default=default) is expected


@pytest.mark.parametrize("raw", ["yes", "1", "on", "treu"])
def test_a_boolean_refuses_anything_else_and_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, raw: str
) -> None:
    monkeypatch.setenv("FLAG", raw)
    with pytest.raises(ImproperlyConfigured, match=f"FLAG must be 'true' or 'false', not '{raw}'"):
        env.env_bool("FLAG", default=False)


def test_an_int_and_its_minimum(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIZE", "12")
    assert env.env_int("SIZE", default=1) == 12
    monkeypatch.setenv("SIZE", "twelve")
    with pytest.raises(ImproperlyConfigured, match="SIZE must be a whole number"):
        env.env_int("SIZE", default=1)
    monkeypatch.setenv("SIZE", "0")
    with pytest.raises(ImproperlyConfigured, match="SIZE must be at least 1"):
        env.env_int("SIZE", default=1, minimum=1)


def test_a_list_drops_empty_items(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOSTS", " a.example, ,b.example,")
    assert env.env_list("HOSTS") == ["a.example", "b.example"]


def test_a_secret_comes_from_the_variable_or_its_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    secret_file = tmp_path / "secret"
    secret_file.write_text("from-a-file\n")
    monkeypatch.setenv("TOKEN_FILE", str(secret_file))
    assert env.env_secret("TOKEN") == "from-a-file"
    monkeypatch.setenv("TOKEN", "direct")
    with pytest.raises(ImproperlyConfigured, match="Set TOKEN or TOKEN_FILE, not both"):
        env.env_secret("TOKEN")
    monkeypatch.delenv("TOKEN")
    monkeypatch.setenv("TOKEN_FILE", str(tmp_path / "missing"))
    with pytest.raises(ImproperlyConfigured, match=r"TOKEN_FILE names .* cannot be read"):
        env.env_secret("TOKEN")


def test_the_default_is_sandbox_mode_on_two_sqlite_files(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    settings = load_settings(monkeypatch, tmp_path)
    assert settings.PARTNER_CENTER_MODE == "sandbox"
    assert settings.DATABASES["default"]["NAME"] == tmp_path / "portal.sqlite3"
    assert settings.DATABASES["sandbox"]["NAME"] == tmp_path / "sandbox.sqlite3"
    options = settings.DATABASES["default"]["OPTIONS"]
    assert "journal_mode=WAL" in options["init_command"]
    assert options["transaction_mode"] == "IMMEDIATE"
    assert options["timeout"] > 0
    assert settings.CACHES["default"]["BACKEND"].endswith("DatabaseCache")
    # A sandbox-mode key is made once and kept, so sessions survive restarts.
    assert load_settings(monkeypatch, tmp_path).SECRET_KEY == settings.SECRET_KEY


def test_postgresql_comes_from_a_url_and_the_sandbox_gets_its_own_database(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    settings = load_settings(
        monkeypatch, tmp_path, DATABASE_URL="postgres://portal:pw@db.internal:5432/portal"
    )
    default, sandbox = settings.DATABASES["default"], settings.DATABASES["sandbox"]
    assert default["ENGINE"] == "django.db.backends.postgresql"
    assert (default["HOST"], default["NAME"]) == ("db.internal", "portal")
    assert (sandbox["HOST"], sandbox["NAME"]) == ("db.internal", "portal_sandbox")


@pytest.mark.parametrize(
    ("given", "options"), [("", "-c random_page_cost=1.1"), ("2", "-c random_page_cost=2.0")]
)
def test_postgresql_plans_for_ssd_storage_unless_told_otherwise(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, given: str, options: str
) -> None:
    url = "postgres://portal:pw@db.internal:5432/portal"
    settings = load_settings(
        monkeypatch, tmp_path, DATABASE_URL=url, DATABASE_RANDOM_PAGE_COST=given
    )
    assert settings.DATABASES["default"]["OPTIONS"]["options"] == options
    assert settings.DATABASES["sandbox"]["OPTIONS"]["options"] == options
    kept = load_settings(
        monkeypatch, tmp_path, DATABASE_URL=url, DATABASE_RANDOM_PAGE_COST="server"
    )
    assert "options" not in kept.DATABASES["default"].get("OPTIONS", {})
    sqlite = load_settings(monkeypatch, tmp_path).DATABASES["default"]
    assert "options" not in sqlite.get("OPTIONS", {})


def test_live_mode_points_the_sandbox_alias_at_the_portals_database(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    settings = load_settings(
        monkeypatch,
        tmp_path,
        PARTNER_CENTER_MODE="live",
        DJANGO_SECRET_KEY=LIVE_KEY,
        ALLOWED_HOSTS="portal.example.com",
        DATABASE_URL="postgres://portal@db/portal",
        PORTAL_ENCRYPTION_KEY="0" * 43 + "=",
        PARTNER_CENTER_TENANT_ID="contoso.onmicrosoft.com",
        PARTNER_CENTER_APP_ID="0b1e2c3d-1111-4222-8333-000000000a99",
        PARTNER_CENTER_APP_SECRET="app-secret",
    )
    assert settings.SANDBOX_ENABLED is False
    assert settings.DATABASES["sandbox"] == settings.DATABASES["default"]


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"PARTNER_CENTER_MODE": "production"}, "PARTNER_CENTER_MODE must be one of"),
        ({"PARTNER_CENTER_MODE": "live"}, "DJANGO_SECRET_KEY"),
        ({"PARTNER_CENTER_MODE": "live", "DJANGO_SECRET_KEY": "short"}, "at least 50"),
        ({"PARTNER_CENTER_MODE": "live", "DJANGO_SECRET_KEY": LIVE_KEY}, "ALLOWED_HOSTS"),
        ({"DEBUG": "yes"}, "DEBUG must be 'true' or 'false'"),
        ({"DATABASE_URL": "not a url"}, "DATABASE_URL"),
        (
            {"DATABASE_URL": "postgres://db/portal", "DATABASE_RANDOM_PAGE_COST": "fast"},
            "DATABASE_RANDOM_PAGE_COST='fast': give a number above 0",
        ),
        (
            {"DATABASE_URL": "postgres://db/portal", "DATABASE_RANDOM_PAGE_COST": "0"},
            "DATABASE_RANDOM_PAGE_COST='0'",
        ),
    ],
)
def test_it_refuses_to_start_on_a_bad_value_and_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, variables: dict[str, str], message: str
) -> None:
    with pytest.raises(ImproperlyConfigured, match=message):
        load_settings(monkeypatch, tmp_path, **variables)


def test_redis_replaces_the_database_cache_when_configured(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    settings = load_settings(monkeypatch, tmp_path, REDIS_URL="redis://127.0.0.1:6379/3")
    # Django's Redis cache, going on without Redis when it is down (portal.cache).
    assert settings.CACHES["default"]["BACKEND"] == "portal.cache.DegradingRedisCache"
    assert issubclass(DegradingRedisCache, RedisCache)
    assert settings.CACHES["default"]["LOCATION"] == "redis://127.0.0.1:6379/3"


def test_every_variable_the_settings_read_is_listed_in_env_example() -> None:
    root = Path(portal.__file__).parent.parent
    source = (root / "portal" / "settings.py").read_text()
    read = set(re.findall(r'env_[a-z]+\(\s*"([A-Z_]+)"', source))
    listed = set(re.findall(r"^([A-Z_]+)=", (root / ".env.example").read_text(), re.MULTILINE))
    assert read - listed == set()
