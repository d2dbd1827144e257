"""The audit log page: filters, paging, times in the portal's zone, ticket links, the export."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock

import pytest
from django.contrib.auth.models import User
from django.http import HttpResponseBase
from django.test import Client
from django.utils import timezone
from pytest_django.fixtures import Settings

from portal.audit.records import Action, Actor, audit_record
from portal.audit.selectors import AuditFilter, audit_records_matching, change_lines
from portal.models import AuditRecord
from tests.client_response import ClientResponse
from tests.conftest import downloaded

pytestmark = pytest.mark.django_db

CONTOSO = "0b7c2d7e-8f3a-4c51-9d0a-6a1f0e2b3c4d"
FABRIKAM = "1c8d3e8f-9a4b-4d62-8e1b-7b2f1f3c4d5e"
ANN_ID = "5e2a1b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b"
BEN_ID = "6f3b2c4d-5e6f-4a71-9b8c-0d1e2f3a4b5c"


def _record(
    at: datetime,
    *,
    staff: str = "amara",
    action: Action = Action.USER_UPDATE,
    succeeded: bool = True,
    **fields: Any,
) -> AuditRecord:
    """An audit record written at `at`, through the one writer."""
    with mock.patch("django.utils.timezone.now", return_value=at):
        return audit_record(
            actor=Actor(None, staff, "web", "203.0.113.7"),
            action=action,
            succeeded=succeeded,
            **fields,
        )


@pytest.fixture
def log() -> dict[str, AuditRecord]:
    """A small log: two customers, two users, three staff members, a failure, tickets."""
    base = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)
    return {
        "ann_created": _record(
            base,
            action=Action.USER_CREATE,
            customer_id=CONTOSO,
            customer_name="Contoso Ltd",
            target_user_id=ANN_ID,
            target_username="ann@contoso.example",
            ticket="INC-1001",
            changes={"display_name": ["", "Ann Lee"], "usage_location": ["", "GB"]},
            request_id="11111111-req-ann-create",
            correlation_id="22222222-cor-ann-create",
        ),
        "ann_renamed": _record(
            base + timedelta(hours=1),
            staff="hugo",
            customer_id=CONTOSO,
            customer_name="Contoso Ltd",
            target_user_id=ANN_ID,
            target_username="ann@contoso.example",
            ticket="INC-1002",
            changes={"display_name": ["Ann Lee", "Ann Lee-Smith"]},
        ),
        "ben_failed": _record(
            base + timedelta(hours=2),
            staff="hugo",
            action=Action.USER_DELETE,
            succeeded=False,
            customer_id=FABRIKAM,
            customer_name="Fabrikam Inc",
            target_user_id=BEN_ID,
            target_username="ben@fabrikam.example",
            ticket="INC-1001",
            message="Partner Center refused: the user holds a directory role.",
        ),
        "export": _record(
            base + timedelta(hours=3),
            staff="sofia",
            action=Action.USERS_EXPORT,
            customer_id=FABRIKAM,
            customer_name="Fabrikam Inc",
            changes={"users": 12},
        ),
    }


def _ids(response: ClientResponse) -> list[int]:
    return [row.record.pk for row in response.context["rows"]]


@pytest.fixture
def signed_in(client: Client, admin_agent: User) -> Client:
    client.force_login(admin_agent)
    return client


# --- The page and its filters -------------------------------------------------------------------


def test_the_log_lists_every_record_newest_first_with_what_changed(
    signed_in: Client, log: dict[str, AuditRecord]
) -> None:
    response = signed_in.get("/audit/")
    assert response.status_code == 200
    assert _ids(response) == [
        log["export"].pk,
        log["ben_failed"].pk,
        log["ann_renamed"].pk,
        log["ann_created"].pk,
    ]
    page = response.content.decode()
    assert "Display name" in page and "Ann Lee" in page and "Ann Lee-Smith" in page
    assert "→" in page
    assert "Partner Center refused: the user holds a directory role." in page
    assert "Failed" in page
    assert "11111111-req-ann-create" in page and "22222222-cor-ann-create" in page
    assert 'data-copy-text="11111111-req-ann-create"' in page
    assert f'href="/customers/{CONTOSO}/users/{ANN_ID}/"' in page


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"customer": "contoso"}, ["ann_renamed", "ann_created"]),  # part of the name, any case
        ({"customer": FABRIKAM.upper()}, ["export", "ben_failed"]),  # the id
        ({"customer": "fabrikam-nope"}, []),
        ({"user": "ANN@"}, ["ann_renamed", "ann_created"]),  # part of the username
        ({"user": BEN_ID}, ["ben_failed"]),  # the id
        ({"staff": "hug"}, ["ben_failed", "ann_renamed"]),
        ({"action": "user_delete"}, ["ben_failed"]),
        ({"ticket": "inc-1001"}, ["ben_failed", "ann_created"]),  # exactly, any case
        ({"ticket": "INC-100"}, []),  # not a prefix
        ({"outcome": "failed"}, ["ben_failed"]),
        ({"outcome": "succeeded", "staff": "hugo"}, ["ann_renamed"]),
        ({"customer": "Contoso", "ticket": "INC-1001"}, ["ann_created"]),
    ],
)
def test_each_filter_narrows_the_log(
    signed_in: Client, log: dict[str, AuditRecord], params: dict[str, str], expected: list[str]
) -> None:
    response = signed_in.get("/audit/", params)
    assert response.status_code == 200
    assert _ids(response) == [log[name].pk for name in expected]
    if not expected:
        assert "No record matches these filters." in response.content.decode()


def test_the_action_filter_offers_every_action_by_name(signed_in: Client) -> None:
    page = signed_in.get("/audit/").content.decode()
    for action in Action:
        assert f'value="{action.value}"' in page
    assert "Exported the audit log" in page


def test_an_unknown_action_or_a_reversed_range_is_an_error_not_a_silent_filter(
    signed_in: Client, log: dict[str, AuditRecord]
) -> None:
    unknown = signed_in.get("/audit/", {"action": "drop_tables"})
    assert unknown.status_code == 400
    assert _ids(unknown) == []
    reversed_range = signed_in.get("/audit/", {"date_from": "2025-03-11", "date_to": "2025-03-10"})
    assert reversed_range.status_code == 400
    assert "The end of the range comes before its start." in reversed_range.content.decode()


def test_the_date_range_is_whole_days_in_the_portals_time_zone(
    client: Client, admin_agent: User, settings: Settings
) -> None:
    settings.TIME_ZONE = "Europe/Berlin"  # UTC+1 in March, before summer time
    late_on_the_9th_utc = _record(datetime(2025, 3, 9, 23, 30, tzinfo=UTC), ticket="A")  # 10th
    late_on_the_10th = _record(datetime(2025, 3, 10, 22, 30, tzinfo=UTC), ticket="B")  # 23:30
    after_midnight = _record(datetime(2025, 3, 10, 23, 30, tzinfo=UTC), ticket="C")  # 11th
    client.force_login(admin_agent)

    response = client.get("/audit/", {"date_from": "2025-03-10", "date_to": "2025-03-10"})

    assert _ids(response) == [late_on_the_10th.pk, late_on_the_9th_utc.pk]
    page = response.content.decode()
    assert "Time (Europe/Berlin)" in page
    assert "A day in Europe/Berlin" in page
    assert "00:30:00 CET" in page and "23:30:00 CET" in page
    assert _ids(client.get("/audit/", {"date_from": "2025-03-11"})) == [after_midnight.pk]
    assert _ids(client.get("/audit/", {"date_to": "2025-03-09"})) == []


def test_the_page_holds_fifty_records_and_the_pager_keeps_the_filters(
    signed_in: Client,
) -> None:
    start = datetime(2025, 1, 1, tzinfo=UTC)
    for minute in range(120):
        _record(start + timedelta(minutes=minute), ticket="INC-7" if minute % 2 else "INC-8")

    first = signed_in.get("/audit/", {"ticket": "INC-7"})
    assert len(first.context["rows"]) == 50
    assert first.context["pager"].total == 60
    assert first.context["pager"].next == "/audit/?ticket=INC-7&page=2"
    assert "1–50 of 60" in first.content.decode()
    second = signed_in.get(first.context["pager"].next)
    assert len(second.context["rows"]) == 10
    assert {row.record.ticket for row in second.context["rows"]} == {"INC-7"}
    newest_first = [row.record.at for row in first.context["rows"]]
    assert newest_first == sorted(newest_first, reverse=True)
    assert newest_first[-1] > second.context["rows"][0].record.at


def test_htmx_gets_only_the_results(signed_in: Client, log: dict[str, AuditRecord]) -> None:
    response = signed_in.get("/audit/", {"ticket": "INC-1002"}, headers={"HX-Request": "true"})
    page = response.content.decode()
    assert page.lstrip().startswith('<section id="audit-results"')
    assert "ann@contoso.example" in page
    # The export button, out of band: it exports what the swapped results show.
    assert '<form id="audit-export" method="post" action="/audit/export/"' in page
    assert (
        'hx-swap-oob="true"' in page
        and '<input type="hidden" name="ticket" value="INC-1002">' in page
    )


def test_tickets_link_to_the_ticket_system_when_it_is_configured(
    signed_in: Client, log: dict[str, AuditRecord], settings: Settings
) -> None:
    assert "support.example.com" not in signed_in.get("/audit/").content.decode()
    settings.PORTAL_TICKET_URL_TEMPLATE = "https://support.example.com/tickets/{ticket}"
    page = signed_in.get("/audit/").content.decode()
    assert 'href="https://support.example.com/tickets/INC-1001"' in page
    assert 'href="https://support.example.com/tickets/INC-1002"' in page


def test_every_role_may_read_the_log_but_not_someone_without_one(
    client: Client, sales_agent: User, no_role_staff: User
) -> None:
    client.force_login(sales_agent)
    assert client.get("/audit/").status_code == 200
    client.force_login(no_role_staff)
    assert client.get("/audit/").status_code == 403
    client.logout()
    assert client.get("/audit/").status_code == 302


def test_changes_read_as_before_and_after_or_as_facts() -> None:
    lines = change_lines(
        {
            "display_name": ["Ann", "Anne"],
            "city": ["Leeds", ""],
            "added": ["Global Administrator", "User Administrator"],
            "users": 12,
            "must_change_at_next_sign_in": True,
        }
    )
    assert [line.text for line in lines] == [
        "Display name: Ann → Anne",
        "City: Leeds → (empty)",
        "Added: Global Administrator, User Administrator",
        "Users: 12",
        "Must change at next sign in: yes",
    ]


# --- Export CSV ---------------------------------------------------------------------------------


def _csv(response: HttpResponseBase) -> list[list[str]]:
    text = downloaded(response)
    return list(csv.reader(io.StringIO(text.decode("utf-8-sig"))))


def test_the_export_holds_the_filtered_records_formula_safe_and_is_audited(
    signed_in: Client, log: dict[str, AuditRecord]
) -> None:
    _record(
        datetime(2025, 3, 10, 14, 0, tzinfo=UTC),
        customer_name='=HYPERLINK("http://evil.example","x")',
        target_username="+cmd@evil.example",
        ticket="INC-1001",
        message="@SUM(A1)",
    )
    page = signed_in.get("/audit/", {"ticket": "INC-1001"}).content.decode()
    assert '<form id="audit-export" method="post" action="/audit/export/"' in page
    assert '<input type="hidden" name="ticket" value="INC-1001">' in page

    response = signed_in.post("/audit/export/", {"ticket": "INC-1001"})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="audit-log-')
    assert response.streaming  # made as it is sent: constant memory whatever the count
    data = downloaded(response)
    assert data.startswith(b"\xef\xbb\xbf")  # Excel reads it as UTF-8
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    header, lines = rows[0], rows[1:]
    assert header[:3] == ["Time (UTC)", "Time (UTC)", "Staff member"]
    assert "MS-RequestId" in header and "MS-CorrelationId" in header
    tickets = {line[header.index("Ticket")] for line in lines}
    assert tickets == {"INC-1001"} and len(lines) == 3
    evil = lines[0]
    assert evil[header.index("Customer")] == '\'=HYPERLINK("http://evil.example","x")'
    assert evil[header.index("Username")] == "'+cmd@evil.example"
    assert evil[header.index("Message")] == "'@SUM(A1)"
    created = lines[-1]
    assert (
        created[header.index("Changes")]
        == "Display name: (empty) → Ann Lee; Usage location: (empty) → GB"
    )
    assert created[header.index("MS-RequestId")] == "11111111-req-ann-create"

    again = _csv(signed_in.post("/audit/export/", {"ticket": "INC-1001"}))
    assert len(again) == 1 + 4
    first, second = AuditRecord.objects.filter(action=Action.AUDIT_EXPORT).order_by("pk")
    exported = first
    assert exported.staff_username == "amara"
    assert exported.ticket == "INC-1001"
    assert exported.changes == {"records": 3, "filters": "ticket=INC-1001"}
    assert exported.outcome == AuditRecord.SUCCEEDED
    # The first export's own record (same ticket) is in the second file, never in its own.
    assert second.changes == {"records": 4, "filters": "ticket=INC-1001"}


def test_the_export_shows_times_in_the_portals_zone_too(
    signed_in: Client, settings: Settings
) -> None:
    settings.TIME_ZONE = "America/New_York"
    _record(datetime(2025, 7, 1, 12, 0, tzinfo=UTC))
    rows = _csv(signed_in.post("/audit/export/"))
    assert rows[0][:2] == ["Time (UTC)", "Time (America/New_York)"]
    assert rows[1][:2] == ["2025-07-01 12:00:00", "2025-07-01 08:00:00 EDT"]


def test_sales_agents_get_no_export_button_and_a_403(
    client: Client, sales_agent: User, log: dict[str, AuditRecord]
) -> None:
    client.force_login(sales_agent)
    page = client.get("/audit/").content.decode()
    assert "Export CSV" not in page
    assert "/audit/export/" not in page
    assert client.post("/audit/export/").status_code == 403
    assert not AuditRecord.objects.filter(action=Action.AUDIT_EXPORT).exists()


def test_helpdesk_agents_may_export(client: Client, helpdesk_agent: User) -> None:
    client.force_login(helpdesk_agent)
    assert "Export CSV" in client.get("/audit/").content.decode()
    assert client.post("/audit/export/").status_code == 200


def test_an_export_is_a_post_so_a_link_elsewhere_writes_no_record(
    client: Client, helpdesk_agent: User
) -> None:
    client.force_login(helpdesk_agent)
    assert client.get("/audit/export/").status_code == 405
    assert not AuditRecord.objects.filter(action=Action.AUDIT_EXPORT).exists()


def test_an_export_with_bad_filters_goes_back_to_the_page_and_exports_nothing(
    signed_in: Client,
) -> None:
    response = signed_in.post("/audit/export/", {"date_from": "not-a-date"})
    assert response.status_code == 302
    assert response["Location"] == "/audit/?date_from=not-a-date"
    assert not AuditRecord.objects.filter(action=Action.AUDIT_EXPORT).exists()


def test_the_selector_and_the_page_agree(log: dict[str, AuditRecord]) -> None:
    matching = audit_records_matching(filters=AuditFilter(staff="hugo", outcome="failed"))
    assert list(matching) == [log["ben_failed"]]
    assert AuditFilter(ticket="X", date_from=timezone.now().date()).as_params()["ticket"] == "X"


def test_the_filter_forms_empty_fields_are_dropped_from_the_address_to_bookmark(
    signed_in: Client,
) -> None:
    response = signed_in.get(
        "/audit/",
        {"customer": "", "user": "", "ticket": "INC-1", "outcome": "", "date_from": "2025-03-01"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/audit/?ticket=INC-1&date_from=2025-03-01"
    everything_empty = signed_in.get("/audit/", {"customer": "", "ticket": ""})
    assert everything_empty["Location"] == "/audit/"
