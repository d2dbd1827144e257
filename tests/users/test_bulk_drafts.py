"""A validated file is kept as a draft for a day, for the staff member who uploaded it."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.contrib.auth.models import User

from tests.users.bulk_support import CUSTOMER_ID, DOMAIN, HEADER, NOW, csv_data, validate
from users.bulk.services import bulk_draft_create, bulk_draft_get, bulk_drafts_prune
from users.models import BulkDraft

pytestmark = pytest.mark.django_db

VALID = csv_data(
    HEADER,
    f"  Ada ,King,'=Ada King,ada.king@{DOMAIN},",
    "",
    f",,Front Desk,FrontDesk@{DOMAIN.upper()},[Partner Portal] Error: old",
)


def draft_for(staff: User) -> BulkDraft:
    return bulk_draft_create(
        validation=validate(VALID, file_name="C:\\fakepath\\new.csv"), created_by=staff, now=NOW
    )


def test_a_valid_file_becomes_a_draft_of_its_rows_for_a_day(admin_agent: User) -> None:
    draft = draft_for(admin_agent)
    draft.refresh_from_db()
    assert isinstance(draft.public_id, uuid.UUID)
    assert draft.created_by == admin_agent
    assert draft.customer_id == CUSTOMER_ID
    assert draft.file_name == "new.csv"
    assert draft.rows == [
        {
            "row": 2,
            "first_name": "Ada",
            "last_name": "King",
            "display_name": "=Ada King",
            "email": f"ada.king@{DOMAIN}",
        },
        {
            "row": 4,
            "first_name": "",
            "last_name": "",
            "display_name": "Front Desk",
            "email": f"FrontDesk@{DOMAIN.upper()}",
        },
    ]
    assert (draft.created_at, draft.expires_at) == (NOW, NOW + timedelta(days=1))


def test_a_file_with_an_error_does_not_become_a_draft(admin_agent: User) -> None:
    validation = validate(csv_data(HEADER, f"Sam,,,sam@{DOMAIN},"))
    with pytest.raises(ValueError, match="without errors"):
        bulk_draft_create(validation=validation, created_by=admin_agent)
    assert not BulkDraft.objects.exists()


def test_only_the_uploader_finds_the_draft_by_its_id_for_its_customer(
    admin_agent: User, helpdesk_agent: User
) -> None:
    draft = draft_for(admin_agent)
    found = bulk_draft_get(
        public_id=str(draft.public_id),
        customer_id=CUSTOMER_ID,
        created_by=admin_agent,
        now=NOW,
    )
    assert found == draft
    elsewhere: list[tuple[uuid.UUID | str, str, User]] = [
        (draft.public_id, CUSTOMER_ID, helpdesk_agent),
        (draft.public_id, "another-customer", admin_agent),
        (uuid.uuid4(), CUSTOMER_ID, admin_agent),
        ("not-a-uuid", CUSTOMER_ID, admin_agent),
    ]
    for public_id, customer_id, staff in elsewhere:
        assert (
            bulk_draft_get(public_id=public_id, customer_id=customer_id, created_by=staff, now=NOW)
            is None
        )


def test_an_expired_draft_is_not_found_and_pruning_deletes_only_expired_ones(
    admin_agent: User,
) -> None:
    old = draft_for(admin_agent)
    later = bulk_draft_create(
        validation=validate(VALID), created_by=admin_agent, now=NOW + timedelta(hours=12)
    )
    a_day_later = NOW + timedelta(days=1)
    assert (
        bulk_draft_get(
            public_id=old.public_id,
            customer_id=CUSTOMER_ID,
            created_by=admin_agent,
            now=a_day_later,
        )
        is None
    )
    assert bulk_drafts_prune(now=a_day_later) == 1
    assert list(BulkDraft.objects.all()) == [later]
    assert bulk_drafts_prune(now=a_day_later) == 0
