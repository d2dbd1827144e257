"""The Dockerfile, .dockerignore and compose.yaml, checked without a Docker engine.

hadolint lints the Dockerfile (at every severity); compose.yaml is validated against the Compose
Specification's JSON schema (vendored in docker/compose-spec) and read for what the portal needs
from it. Building the image and starting the services need an engine, which this suite does not
have: README "Production" says what was checked only by hand.
"""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent.parent
HADOLINT = Path(sys.executable).parent / "hadolint"


def compose() -> dict[str, Any]:
    document = yaml.safe_load((ROOT / "compose.yaml").read_text())
    assert isinstance(document, dict), "compose.yaml is a mapping at the top"
    return document


# The vendored schema (docker-compose 1.29.2) predates `env_file` entries as objects, which the
# Compose Specification has allowed since Compose 2.24: `{path, required, format}`.
ENV_FILE: dict[str, Any] = {
    "oneOf": [
        {"type": "string"},
        {
            "type": "array",
            "items": {
                "oneOf": [
                    {"type": "string"},
                    {
                        "type": "object",
                        "properties": {
                            "path": {"type": "string"},
                            "required": {"type": "boolean"},
                            "format": {"type": "string"},
                        },
                        "required": ["path"],
                        "additionalProperties": False,
                    },
                ]
            },
        },
    ]
}


def schema_errors(document: dict[str, Any]) -> list[str]:
    schema = json.loads((ROOT / "docker" / "compose-spec" / "compose_spec.json").read_text())
    schema["definitions"]["service"]["properties"]["env_file"] = ENV_FILE
    validator = jsonschema.Draft201909Validator(schema)
    return [error.message for error in validator.iter_errors(document)]


def test_hadolint_finds_nothing_in_the_dockerfile() -> None:
    result = subprocess.run(
        [str(HADOLINT), "--failure-threshold", "style", "Dockerfile"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_dockerfile_builds_wheels_then_runs_unprivileged_with_a_health_check() -> None:
    text = (ROOT / "Dockerfile").read_text()
    stages = re.findall(r"^FROM (\S+)", text, re.MULTILINE)
    assert stages == ["python:3.12.11-slim-bookworm", "python:3.12.11-slim-bookworm"]
    assert "pip wheel --wheel-dir /wheels" in text
    assert "--no-index --find-links /wheels" in text  # the runtime installs only those wheels
    assert re.search(r"^USER 10001:10001$", text, re.MULTILINE)
    assert "collectstatic --noinput" in text
    assert re.search(r"^HEALTHCHECK .*\n.*docker/healthcheck\.py", text, re.MULTILINE)
    assert 'ENTRYPOINT ["/app/docker/entrypoint"]' in text
    assert (ROOT / "docker" / "entrypoint").stat().st_mode & 0o111


def test_the_build_context_leaves_out_secrets_and_local_state() -> None:
    ignored = (ROOT / ".dockerignore").read_text().split()
    for entry in (".git", ".venv", ".env", "var", "tests"):
        assert entry in ignored


def test_compose_yaml_follows_the_compose_specification() -> None:
    assert schema_errors(compose()) == []


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("services", "web", "helthcheck"), {}),  # a typo is not silently ignored
        (("services", "web", "depends_on", "db", "condition"), 3),
        (("volumes", "postgres-data"), "not a mapping"),
    ],
)
def test_the_schema_would_catch_a_mistake(path: tuple[str, ...], value: object) -> None:
    document = copy.deepcopy(compose())
    target = document
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    assert schema_errors(document)


def test_compose_runs_web_workers_maintenance_and_postgres_health_gated() -> None:
    services = compose()["services"]
    assert {"db", "web", "worker", "directory", "maintenance", "redis"} <= set(services)
    assert services["redis"]["profiles"] == ["redis"]  # optional
    assert "postgres-data:/var/lib/postgresql/data" in services["db"]["volumes"]
    assert "postgres-data" in compose()["volumes"]
    assert services["web"]["depends_on"] == {"db": {"condition": "service_healthy"}}
    for name in ("worker", "directory", "maintenance"):
        assert services[name]["depends_on"] == {"web": {"condition": "service_healthy"}}
    roles = ("web", "worker", "directory", "maintenance")
    assert {name: services[name]["command"] for name in roles} == {name: [name] for name in roles}
    published = "${PORTAL_HTTP_BIND:-127.0.0.1}:${PORTAL_HTTP_PORT:-80}:8000"
    assert services["web"]["ports"] == [published]


def test_compose_defaults_to_sandbox_mode_on_plain_http_and_live_needs_only_variables() -> None:
    environment = compose()["services"]["web"]["environment"]
    assert environment["PARTNER_CENTER_MODE"] == "${PARTNER_CENTER_MODE:-sandbox}"
    assert environment["PORTAL_PLAIN_HTTP"] == "${PORTAL_PLAIN_HTTP:-true}"
    assert environment["DATABASE_URL"].startswith("${DATABASE_URL:-postgres://portal:")
    # Everything live mode needs is passed through from the environment or .env.
    for name in (
        "DJANGO_SECRET_KEY",
        "ALLOWED_HOSTS",
        "CSRF_TRUSTED_ORIGINS",
        "PORTAL_ENCRYPTION_KEY",
        "PARTNER_CENTER_TENANT_ID",
        "PARTNER_CENTER_APP_ID",
        "PARTNER_CENTER_APP_SECRET",
        "PORTAL_TRUSTED_PROXIES",
        "REDIS_URL",
    ):
        assert environment[name].startswith(f"${{{name}:-"), name


PORTAL_SERVICES = ("web", "worker", "directory", "maintenance")
# Set by compose.yaml for every portal container whatever `.env` says: the image's own paths.
CONTAINER_PATHS = {"PORTAL_DATA_DIR": "/data", "STATIC_ROOT": "/app/staticfiles"}


def test_every_variable_of_env_example_reaches_the_portal_services() -> None:
    """A `.env` beside compose.yaml reaches every portal container whole (env_file, optional),
    and no variable set in compose.yaml hides the value `.env` gives it."""
    listed = set(re.findall(r"^([A-Z_]+)=", (ROOT / ".env.example").read_text(), re.MULTILINE))
    services = compose()["services"]
    for name in PORTAL_SERVICES:
        service = services[name]
        assert service["env_file"] == [{"path": ".env", "required": False}], name
        for variable, value in service["environment"].items():
            if variable in CONTAINER_PATHS:
                assert value == CONTAINER_PATHS[variable]
            elif variable in listed:
                assert str(value).startswith(f"${{{variable}:-"), (name, variable, value)
        assert service["stop_grace_period"] == "45s"
    gunicorn = (ROOT / "docker" / "gunicorn.conf.py").read_text()
    graceful = re.search(r"^graceful_timeout = (\d+)", gunicorn, re.MULTILINE)
    assert graceful is not None and int(graceful[1]) < 45


def test_compose_images_are_exact_versions() -> None:
    services = compose()["services"]
    for name in ("db", "redis"):
        image = services[name]["image"]
        assert re.fullmatch(r"[a-z]+:\d+\.\d+(\.\d+)?", image), image
