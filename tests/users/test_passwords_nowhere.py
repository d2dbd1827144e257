"""Every flow that handles a temporary password shows it once, then it is nowhere: not in the logs,
the audit log, either database, or any page seen afterwards."""

from __future__ import annotations

# ruff: noqa: F811 (pytest fixtures imported from lifecycle_support, used as arguments)
import logging

import pytest
from django.contrib.auth.models import User
from django.test import Client

from portal.models import AuditRecord
from portal.sandbox.models import CustomerUser
from tests.db_dump import dump_database
from tests.users.lifecycle_support import (  # noqa: F401 (fixtures)
    Scene,
    add_user,
    reset_fields,
    scene,
    shown_password,
    signed_in,
)

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])

TYPED = "Typed!Secret-4711"


def test_passwords_are_shown_once_and_found_nowhere_afterwards(
    client: Client, admin_agent: User, scene: Scene, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    signed_in(client, admin_agent)

    _, generated = add_user(client, scene, alias="gen", display_name="Gen Erated")
    _, typed = add_user(
        client, scene, alias="typed", display_name="Ty Ped", password_choice="typed", password=TYPED
    )
    bob_reset = client.post(
        scene.user_url(scene.bob, "reset-password"),
        reset_fields(client, scene.user_url(scene.bob), **{"reset-ticket": "INC-1"}),
    )
    passwords = {
        "generated": shown_password(generated.content.decode()),
        "typed": shown_password(typed.content.decode()),
        "reset": shown_password(bob_reset.content.decode()),
    }
    assert passwords["typed"] == TYPED
    assert len(set(passwords.values())) == 3
    for response in (generated, typed, bob_reset):
        assert response["Cache-Control"] == "no-store"

    gen = CustomerUser.objects.get(user_principal_name="gen@contoso.com")
    later_pages = {
        "user page": client.get(scene.user_url(gen)),
        "reset user's page": client.get(scene.user_url(scene.bob)),
        "users list": client.get(scene.users_url()),
        "dashboard": client.get("/"),
        "add form": client.get(scene.add_url()),
    }
    assert all(page.status_code == 200 for page in later_pages.values())
    audit_rows = "\n".join(
        f"{r.changes} {r.message} {r.target_username}" for r in AuditRecord.objects.all()
    )
    assert AuditRecord.objects.filter(action="user_reset_password").exists()
    assert len(caplog.records) > 0  # the capture works (the sandbox logs each call)
    for kind, password in passwords.items():
        assert password not in caplog.text, f"the {kind} password is in the logs"
        assert password not in audit_rows, f"the {kind} password is in the audit log"
        for alias in ("default", "sandbox"):
            assert password not in dump_database(alias), (
                f"the {kind} password is in the {alias} database"
            )
        for name, page in later_pages.items():
            assert password not in page.content.decode(), f"the {kind} password is on the {name}"
