"""The README's Production section, followed as written, outside a container (issue 17): from
sandbox to live on the same database, then a backup, a restore and the restore drill, with the
shell blocks of the Backups section run as they stand.

Each command is what `docker compose run --rm web …` would run: `docker/entrypoint` with the
environment Compose would give the container, on throw-away PostgreSQL databases of its own.
"""

from __future__ import annotations

import re
import secrets
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from tests.docker.test_entrypoint import ENTRYPOINT, POSTGRES, ROOT, _postgres_admin, base_env

README = ROOT / "README.md"


def run(env: dict[str, str], *command: str, ok: bool = True) -> str:
    """`docker compose run --rm web <command>`: the entrypoint, then the command."""
    result = subprocess.run(
        [str(ENTRYPOINT), *command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = result.stdout + result.stderr
    assert (result.returncode == 0) == ok, output
    return output


def shell_blocks(section: str) -> list[str]:
    """The ```sh blocks of one `###` section of the README, in order."""
    text = README.read_text()
    start = text.index(f"### {section}\n")
    end = text.find("\n### ", start + 1)
    return re.findall(r"```sh\n(.*?)```", text[start:end], flags=re.DOTALL)


@pytest.fixture
def database() -> Iterator[str]:
    """An empty database (and its sandbox twin), dropped afterwards."""
    name = f"portal_h_readme_{uuid.uuid4().hex[:8]}"
    names = [name, f"{name}_sandbox", "portal_restored"]
    with _postgres_admin() as admin:
        for each in names:
            admin.execute(f'DROP DATABASE IF EXISTS "{each}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
        admin.execute(f'CREATE DATABASE "{name}_sandbox"')
    yield name
    with _postgres_admin() as admin:
        for each in names:
            admin.execute(f'DROP DATABASE IF EXISTS "{each}" WITH (FORCE)')


def _url(name: str) -> str:
    """The database's URL with a password of the operator's (trust authentication ignores it;
    live mode refuses Compose's default `portal`)."""
    server = POSTGRES.rsplit("/", 1)[0].replace("postgres@", "postgres:an-operators-own@", 1)
    return f"{server}/{name}"


def live_env(data_dir: Path, name: str) -> dict[str, str]:
    """Step 2: the `.env` for live mode — the variables the README's table requires, live mode,
    no plain http, a password of one's own."""
    return base_env(
        data_dir,
        PARTNER_CENTER_MODE="live",
        PORTAL_PLAIN_HTTP="false",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(60),
        ALLOWED_HOSTS="portal.example.com",
        CSRF_TRUSTED_ORIGINS="https://portal.example.com",
        DATABASE_URL=_url(name),
        PORTAL_ENCRYPTION_KEY=Fernet.generate_key().decode(),
        PARTNER_CENTER_TENANT_ID=str(uuid.uuid4()),
        PARTNER_CENTER_APP_ID=str(uuid.uuid4()),
        PARTNER_CENTER_APP_SECRET="the-app-secret",
    )


def signs_in(env: dict[str, str], username: str, password: str) -> bool:
    out = run(
        env,
        "python",
        "manage.py",
        "shell",
        "-c",
        "from django.contrib.auth import authenticate\n"
        "from django.test import RequestFactory\n"
        "request = RequestFactory().post('/sign-in/')\n"
        f"print('SIGNED-IN' if authenticate(request, username={username!r}, "
        f"password={password!r}) else 'REFUSED')",
    )
    return "SIGNED-IN" in out


def create_ops_account(env: dict[str, str]) -> None:
    """Step 1: `createsuperuser` for the staff account `ops`, password `ops-own-password-1`."""
    run(
        {**env, "DJANGO_SUPERUSER_PASSWORD": "ops-own-password-1"},
        "python",
        "manage.py",
        "createsuperuser",
        "--noinput",
        "--username",
        "ops",
        "--email",
        "ops@example.com",
    )


def test_from_sandbox_to_live_then_back_up_restore_and_drill_as_the_readme_says(
    database: str, tmp_path: Path
) -> None:
    data = tmp_path / "data"  # the named volume both modes share
    data.mkdir()
    sandbox = base_env(data, DATABASE_URL=_url(database))

    # `docker compose up` in sandbox mode: the web container's set-up and demo sign-in.
    run(sandbox, "python", "manage.py", "portal_setup", "--no-seed")
    shown = run(sandbox, "python", "manage.py", "portal_demo_user", "--port", "80")
    demo = re.search(r"as (\S+) with password (\S+)", shown)
    assert demo, shown
    demo_user, demo_password = demo.groups()
    assert signs_in(sandbox, demo_user, demo_password)

    # 1. A staff account of one's own, while still in sandbox mode.
    create_ops_account(sandbox)
    # 2. The `.env` for live mode; 3. `docker compose up -d`: every container's set-up, and the
    # web log's line that the demo account is deactivated.
    live = live_env(data, database)
    started = run(live, "python", "manage.py", "portal_setup", "--no-seed")
    assert f"live mode: the sandbox's demo account '{demo_user}' is deactivated" in started
    assert "System check identified no issues" in run(
        live, "python", "manage.py", "check", "--deploy"
    )
    # 4. The account of step 1 signs in; the demo account never again.
    assert signs_in(live, "ops", "ops-own-password-1")
    assert not signs_in(live, demo_user, demo_password)

    # Backups: the README's blocks, as written.
    backup, restore = shell_blocks("Backups")
    shell = {**live, "PGHOST": "127.0.0.1", "PGUSER": "postgres"}
    subprocess.run(["sh", "-eu", "-c", backup], cwd=tmp_path, env=shell, check=True)
    (dump,) = tmp_path.glob("portal-*.dump")
    restore = re.sub(r"portal-\d{8}\.dump", dump.name, restore)  # the dump just made
    subprocess.run(["sh", "-eu", "-c", restore], cwd=tmp_path, env=shell, check=True)

    # The restore drill: one process against the scratch database with the production keys.
    restored = {**live, "DATABASE_URL": _url("portal_restored")}
    assert "System check identified no issues" in run(
        restored, "python", "manage.py", "check", "--deploy"
    )
    run(restored, "python", "manage.py", "portal_rotate_keys", "--check")
    assert signs_in(restored, "ops", "ops-own-password-1")
