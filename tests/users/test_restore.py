"""Deleted users (N) → Restore through the views: check boxes, a result per user, protected
accounts read live, roles, tickets, and an empty selection refused with a message."""

from __future__ import annotations

# ruff: noqa: F811 (pytest fixtures imported from lifecycle_support, used as arguments)
import pytest
from django.contrib.auth.models import User
from django.test import Client

from portal.sandbox.models import CustomerUser
from tests.sandbox_data import make_user
from tests.users.lifecycle_support import (  # noqa: F401 (fixtures)
    Scene,
    audit,
    scene,
    signed_in,
    ticket_links,
)

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])


def test_the_tab_has_a_check_box_per_user_select_all_restore_and_a_ticket(
    client: Client, helpdesk_agent: User, scene: Scene
) -> None:
    signed_in(client, helpdesk_agent)
    page = client.get(scene.deleted_url() + "?ticket=INC-4").content.decode()
    assert "Deleted users (2)" in page
    assert f'<form id="restore-form" method="post" action="{scene.restore_url()}"' in page
    for user in (scene.dora, scene.eve):
        assert f'name="users" value="{user.pk}" form="restore-form"' in page
    assert "data-select-all hidden" in page  # shown by script only: without it, it does nothing
    assert 'form="restore-form" class="command" data-restore-button>' in page
    assert 'name="ticket" value="INC-4"' in page


def test_a_sales_agent_sees_no_check_boxes_and_cannot_restore(
    client: Client, sales_agent: User, scene: Scene
) -> None:
    signed_in(client, sales_agent)
    page = client.get(scene.deleted_url()).content.decode()
    assert 'name="users"' not in page and "Restore</button>" not in page
    response = client.post(scene.restore_url(), {"users": [str(scene.dora.pk)]})
    assert response.status_code == 403
    scene.dora.refresh_from_db()
    assert scene.dora.state == CustomerUser.INACTIVE


def test_an_empty_selection_is_refused_with_a_message(
    client: Client, helpdesk_agent: User, scene: Scene
) -> None:
    signed_in(client, helpdesk_agent)
    response = client.post(scene.restore_url(), {"ticket": "INC-4"}, follow=True)
    assert response.redirect_chain == [(scene.deleted_url() + "?ticket=INC-4", 302)]
    assert "Select at least one deleted user to restore." in response.content.decode()
    assert not audit("user_restore")


def test_restore_many_at_once_with_a_result_per_user(
    client: Client, admin_agent: User, scene: Scene, ticket_links: None
) -> None:
    signed_in(client, admin_agent)
    client.get(scene.deleted_url())  # the tab as the staff member saw it (a warm mirror)
    taken = make_user(scene.customer, "dora", "Dora the Second")  # took Dora's username since
    gone = CustomerUser.objects.get(pk=scene.eve.pk)
    gone.delete()  # purged since the tab was shown
    response = client.post(
        scene.restore_url(), {"users": [str(scene.dora.pk), str(scene.eve.pk)], "ticket": "INC-6"}
    )
    # The answer is the Deleted users tab with the result per user (a reload shows it no more).
    assert response.status_code == 302
    assert response["Location"] == scene.deleted_url()
    page = client.get(response["Location"]).content.decode()
    assert "Restored 0 of 2 users." in page
    assert "Restored 0 of 2 users." not in client.get(scene.deleted_url()).content.decode()
    assert "Another active user now has the username dora@contoso.onmicrosoft.com" in page
    assert "It was deleted more than 30 days ago and has been purged." in page
    assert '<a href="https://tickets.example/INC-6"' in page
    taken.delete()
    again = client.post(
        scene.restore_url(), {"users": [str(scene.dora.pk)], "ticket": "INC-6"}, follow=True
    )
    text = again.content.decode()
    assert "Restored 1 of 1 user." in text
    assert (
        f'They are back in <a href="/customers/{scene.customer.pk}/">Users and licenses</a>' in text
    )
    scene.dora.refresh_from_db()
    assert scene.dora.state == CustomerUser.ACTIVE
    assert [(r.outcome, r.ticket) for r in audit("user_restore")] == [
        ("failed", "INC-6"),
        ("failed", "INC-6"),
        ("succeeded", "INC-6"),
    ]


def test_a_helpdesk_agent_restores_plain_users_but_not_a_protected_one(
    client: Client, helpdesk_agent: User, scene: Scene
) -> None:
    signed_in(client, helpdesk_agent)
    client.get(scene.deleted_url())
    response = client.post(
        scene.restore_url(),
        {"users": [str(scene.dora.pk), str(scene.eve.pk)], "ticket": ""},
        follow=True,
    )
    page = response.content.decode()
    assert "Restored 1 of 2 users." in page
    assert "only an Admin agent can change, reset, delete or restore it" in page
    scene.dora.refresh_from_db()
    scene.eve.refresh_from_db()
    assert scene.dora.state == CustomerUser.ACTIVE
    assert scene.eve.state == CustomerUser.INACTIVE  # read live: Eve holds a directory role
    assert [r.target_username for r in audit("user_restore")] == ["dora@contoso.onmicrosoft.com"]


def test_an_admin_agent_restores_a_protected_user(
    client: Client, admin_agent: User, scene: Scene
) -> None:
    signed_in(client, admin_agent)
    client.post(scene.restore_url(), {"users": [str(scene.eve.pk)], "ticket": ""})
    scene.eve.refresh_from_db()
    assert scene.eve.state == CustomerUser.ACTIVE


def test_an_id_that_is_not_a_deleted_user_is_refused(
    client: Client, admin_agent: User, scene: Scene
) -> None:
    signed_in(client, admin_agent)
    response = client.post(scene.restore_url(), {"users": [str(scene.bob.pk)]}, follow=True)
    assert "no longer among the deleted users" in response.content.decode()
    assert not audit("user_restore")


def test_restore_is_a_post(client: Client, admin_agent: User, scene: Scene) -> None:
    signed_in(client, admin_agent)
    assert client.get(scene.restore_url()).status_code == 405
