"""The secrets sweep: drive every flow that handles a password or a token, then look for each
value in the captured logs, both databases, the audit table and every CSV the portal wrote.

The only places a temporary password may appear are the response that shows it once and the
password download made for it; a token appears nowhere at all.
"""

from __future__ import annotations

# ruff: noqa: F811 (pytest fixtures imported from lifecycle_support, used as arguments)
import json
import logging
from io import StringIO

import pytest
import responses
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from pytest_django import Settings

from portal.audit.records import Actor
from portal.models import AuditRecord
from portal.partnercenter import msal_auth
from tests.conftest import downloaded
from tests.db_dump import dump_database
from tests.directory_data import synced
from tests.partnercenter.fake_identity import CLIENT_SECRET, FakeEntra, live_mode
from tests.users.bulk_jobs_support import Scene as BulkScene
from tests.users.bulk_jobs_support import save_job
from tests.users.lifecycle_support import (  # noqa: F401 (fixtures)
    Scene,
    add_user,
    reset_fields,
    scene,
    shown_password,
    signed_in,
)
from users.bulk.job_selectors import bulk_job_results_csv
from users.bulk.passwords import bulk_passwords_download
from users.bulk.worker import bulk_job_run

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])

TYPED = "Typed!Sweep-4711"


def test_no_password_or_token_is_left_anywhere(
    client: Client,
    admin_agent: User,
    scene: Scene,
    caplog: pytest.LogCaptureFixture,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.DEBUG)
    signed_in(client, admin_agent)
    passwords: dict[str, str] = {}
    written_csvs: dict[str, bytes] = {}

    # The web UI: Add user (generated and typed passwords) and Reset password.
    passwords.update(_web_passwords(client, scene))

    # The commands: a generated password, printed once.
    passwords["command new"] = _command_password(admin_agent, scene)

    # A bulk upload: passwords stored encrypted, then downloaded once.
    bulk_passwords, bulk_results = _bulk_passwords(admin_agent, scene)
    passwords.update(bulk_passwords)
    written_csvs["bulk results"] = bulk_results

    # Every other CSV the portal writes: the users export and the audit log export.
    written_csvs.update(_exported_csvs(client, scene))

    # The Partner Center sign-in: tokens from a (faked) Entra, imported and renewed.
    tokens = _connect_to_a_fake_entra(settings, monkeypatch)

    assert len(passwords) == 7
    assert all(passwords.values())
    assert caplog.records, "the log capture works"
    _assert_left_nowhere([*passwords.items(), *tokens.items()], caplog, written_csvs)


def _web_passwords(client: Client, scene: Scene) -> dict[str, str]:
    """Add two users (generated and typed password) and reset one, through the web UI."""
    passwords: dict[str, str] = {}
    _, generated = add_user(client, scene, alias="sweep1", display_name="Sweep One")
    passwords["web add, generated"] = shown_password(generated.content.decode())
    _, typed = add_user(
        client,
        scene,
        alias="sweep2",
        display_name="Sweep Two",
        password_choice="typed",
        password=TYPED,
    )
    passwords["web add, typed"] = shown_password(typed.content.decode())
    reset = client.post(
        scene.user_url(scene.bob, "reset-password"),
        reset_fields(client, scene.user_url(scene.bob), **{"reset-ticket": "INC-1"}),
    )
    passwords["web reset"] = shown_password(reset.content.decode())
    return passwords


def _command_password(admin_agent: User, scene: Scene) -> str:
    """Create a user with `customer_user_new --json` and return the password it printed."""
    out = StringIO()
    call_command(
        "customer_user_new",
        "--as",
        admin_agent.username,
        "--tenant-id",
        str(scene.customer.id),
        "--user-principal-name",
        "sweep3@contoso.com",
        "--display-name",
        "Sweep Three",
        "--json",
        stdout=out,
        stderr=StringIO(),
    )
    password: str = json.loads(out.getvalue())["password"]
    return password


def _bulk_passwords(admin_agent: User, scene: Scene) -> tuple[dict[str, str], bytes]:
    """Run a three-row bulk job; return its downloaded passwords and its results CSV."""
    bulk = BulkScene(scene.customer, synced(str(scene.customer.id)), admin_agent)
    job = save_job(bulk, 3)
    bulk_job_run(job_id=job.pk, concurrency=1)
    job.refresh_from_db()
    download = bulk_passwords_download(
        job=job, staff=admin_agent, actor=Actor.for_command(admin_agent)
    )
    rows = download.content.decode("utf-8-sig").splitlines()[1:]
    passwords: dict[str, str] = {}
    for number, row in enumerate(rows):
        passwords[f"bulk row {number}"] = row.split(",")[2]
    return passwords, bulk_job_results_csv(job=job)


def _exported_csvs(client: Client, scene: Scene) -> dict[str, bytes]:
    """Download the users export and the audit log export."""
    written_csvs: dict[str, bytes] = {}
    written_csvs["users export"] = downloaded(
        client.post(reverse("customers:export", args=[scene.customer.id]))
    )
    audit_export = client.post(reverse("audit:export"))
    assert audit_export.status_code == 200
    written_csvs["audit export"] = downloaded(audit_export)
    return written_csvs


def _assert_left_nowhere(
    secrets: list[tuple[str, str]],
    caplog: pytest.LogCaptureFixture,
    written_csvs: dict[str, bytes],
) -> None:
    """No secret is in the logs, the audit log, either database or any written CSV."""
    databases = {alias: dump_database(alias) for alias in ("default", "sandbox")}
    audit = "\n".join(
        f"{r.changes} {r.message} {r.target_username} {r.ticket}" for r in AuditRecord.objects.all()
    )
    for kind, secret in secrets:
        assert secret not in caplog.text, f"the {kind} secret is in the logs"
        assert secret not in audit, f"the {kind} secret is in the audit log"
        for alias, dump in databases.items():
            assert secret not in dump, f"the {kind} secret is in the {alias} database"
        for name, content in written_csvs.items():
            assert secret.encode() not in content, f"the {kind} secret is in the {name} CSV"


def _connect_to_a_fake_entra(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    live_mode(settings, monkeypatch)
    entra = FakeEntra()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        entra.register(rsps)
        call_command(
            "partnercenter_connect",
            stdin=StringIO(f"{entra.new_refresh_token()}\n"),
            stdout=StringIO(),
            stderr=StringIO(),
        )
        msal_auth.MsalTokenProvider().access_token(force_refresh=True)
    secrets = [*entra.issued_access_tokens, *entra.issued_refresh_tokens, CLIENT_SECRET]
    assert len(secrets) >= 4
    return {f"token {number}": secret for number, secret in enumerate(secrets)}
