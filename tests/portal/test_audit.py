"""The audit trail: what a record holds, what it never holds, and that it cannot be changed."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import RequestFactory
from pytest_django.fixtures import Settings

from portal.audit.records import Action, Actor, audit_record, changes_between, recent_activity
from portal.client_ip import client_ip
from portal.models import AuditRecord
from portal.partnercenter import AlreadyExists

pytestmark = pytest.mark.django_db


@pytest.fixture
def actor(admin_agent: User) -> Actor:
    request = RequestFactory().post("/", REMOTE_ADDR="203.0.113.7")
    request.user = admin_agent
    return Actor.from_request(request)


def test_a_record_holds_who_when_where_what_and_the_ticket(actor: Actor) -> None:
    record = audit_record(
        actor=actor,
        action=Action.USER_UPDATE,
        succeeded=True,
        customer_id="c-1",
        customer_name="Contoso",
        target_user_id="u-1",
        target_username="ann@contoso.com",
        ticket="INC-1234",
        changes=changes_between(
            {"display_name": "Ann", "city": "X"}, {"display_name": "Anne", "city": "X"}
        ),
        request_id="rid",
        correlation_id="cid",
    )
    stored = AuditRecord.objects.get(pk=record.pk)
    assert stored.staff == actor.user
    assert (stored.staff_username, stored.via, stored.client_ip) == ("amara", "web", "203.0.113.7")
    assert (stored.action, stored.outcome, stored.ticket) == (
        "user_update",
        "succeeded",
        "INC-1234",
    )
    assert stored.changes == {"display_name": ["Ann", "Anne"]}
    assert (stored.ms_request_id, stored.ms_correlation_id) == ("rid", "cid")


def test_a_failure_keeps_partner_centers_message_and_ids(actor: Actor) -> None:
    error = AlreadyExists("taken", status=409, code="3000", request_id="r", correlation_id="c")
    record = audit_record(actor=actor, action=Action.USER_CREATE, succeeded=False, error=error)
    assert record.outcome == AuditRecord.FAILED
    assert record.message == str(error)
    assert (record.ms_request_id, record.ms_correlation_id) == ("r", "c")


def test_passwords_tokens_and_secrets_never_reach_a_record(actor: Actor) -> None:
    record = audit_record(
        actor=actor,
        action=Action.USER_CREATE,
        succeeded=True,
        changes={
            "display_name": ["", "Ann"],
            "password": "Hunter2!pass",
            "passwordProfile": {"password": "Hunter2!pass"},
            "nested": [{"access_token": "eyJ0"}, {"kept": 1}],
            "client_secret": "s3cret",
        },
    )
    assert record.changes == {"display_name": ["", "Ann"], "nested": [{}, {"kept": 1}]}


def test_records_cannot_be_changed_or_deleted_one_by_one(actor: Actor) -> None:
    record = audit_record(actor=actor, action=Action.USERS_EXPORT, succeeded=True)
    record.ticket = "INC-9"
    with pytest.raises(ValueError, match="never changed"):
        record.save()
    with pytest.raises(ValueError, match="never deleted"):
        record.delete()
    assert AuditRecord.objects.get(pk=record.pk).ticket == ""


def test_recent_activity_is_newest_first_and_filtered(actor: Actor) -> None:
    first = audit_record(actor=actor, action=Action.USER_DELETE, succeeded=True, customer_id="a")
    audit_record(actor=actor, action=Action.USER_DELETE, succeeded=True, customer_id="b")
    last = audit_record(
        actor=actor, action=Action.USER_RESTORE, succeeded=True, customer_id="a", target_user_id="u"
    )
    assert recent_activity(customer_id="a") == [last, first]
    assert recent_activity(target_user_id="u") == [last]
    assert len(recent_activity(limit=2)) == 2


def test_recent_activity_leaves_sign_ins_and_upload_rows_to_the_audit_log() -> None:
    actor = Actor(None, "amara", "web", None)
    audit_record(actor=actor, action=Action.BULK_UPLOAD, succeeded=True, customer_id="a")
    for _ in range(3):
        audit_record(actor=actor, action=Action.BULK_ROW, succeeded=True, customer_id="a")
    audit_record(actor=actor, action=Action.SIGN_IN, succeeded=True)
    audit_record(actor=actor, action=Action.SIGN_IN_FAILED, succeeded=False)
    changes = recent_activity(changes_only=True)
    assert [record.action for record in changes] == [Action.BULK_UPLOAD]
    assert len(recent_activity()) == 6


def test_a_commands_actor_has_no_address(admin_agent: User) -> None:
    actor = Actor.for_command(admin_agent)
    assert (actor.username, actor.via, actor.client_ip) == ("amara", "command", None)


@pytest.mark.parametrize(
    ("trusted", "remote", "forwarded", "expected"),
    [
        ([], "198.51.100.1", "203.0.113.9", "198.51.100.1"),  # no trusted proxy: header ignored
        (["10.0.0.0/8"], "10.0.0.2", "203.0.113.9", "203.0.113.9"),
        (["10.0.0.0/8"], "10.0.0.2", "6.6.6.6, 203.0.113.9, 10.1.1.1", "203.0.113.9"),
        (["10.0.0.0/8"], "198.51.100.1", "203.0.113.9", "198.51.100.1"),  # not from the proxy
        (["10.0.0.0/8"], "10.0.0.2", "garbage", "10.0.0.2"),
        (["10.0.0.0/8"], "10.0.0.2", "2001:db8::1", "2001:db8::1"),
    ],
)
def test_the_client_address_believes_x_forwarded_for_only_from_trusted_proxies(
    settings: Settings, trusted: list[str], remote: str, forwarded: str, expected: str
) -> None:
    settings.PORTAL_TRUSTED_PROXIES = trusted
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected
