"""Temporary passwords of a bulk upload: downloaded once by the uploader, erased after a day,
reset once when a download was lost, and never anywhere in plain text."""

# ruff: noqa: F811 (pytest fixtures imported from bulk_jobs_support, used as arguments)

from __future__ import annotations

import csv
import io
import logging
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.db import connections
from django.utils import timezone

from portal.audit.records import Action, Actor
from portal.crypto import decrypt
from portal.models import AuditRecord
from portal.sandbox.models import CustomerUser
from tests.users.bulk_jobs_support import (  # noqa: F401 (fixtures)
    DOMAIN,
    Scene,
    faults,
    make_scene,
    run,
    sandbox_users,
    save_job,
    scene,
    squat,
)
from users.bulk.jobs import bulk_job_retry_failed
from users.bulk.models import BulkJob, BulkRow
from users.bulk.passwords import (
    PasswordsRefused,
    bulk_passwords_download,
    bulk_passwords_erase_expired,
    bulk_passwords_reset,
    bulk_passwords_waiting,
)

pytestmark = [
    pytest.mark.django_db(databases=["default", "sandbox"]),
    pytest.mark.usefixtures("empty_cache"),
]


def download(scene: Scene, job: BulkJob) -> list[dict[str, str]]:
    file = bulk_passwords_download(job=job, staff=scene.staff, actor=scene.actor)
    rows = list(csv.DictReader(io.StringIO(file.content.decode("utf-8-sig"))))
    assert file.count == len(rows)
    assert file.file_name == "new-staff-passwords.csv"
    return rows


def test_the_uploader_downloads_every_password_once_then_they_are_erased(scene: Scene) -> None:
    job = run(save_job(scene, 3))
    stored = {row.email: decrypt(row.password_encrypted) for row in job.rows.all()}
    assert bulk_passwords_waiting(job=job) == 3
    rows = download(scene, job)
    assert [(r["Display name"], r["Username"], r["Status update"]) for r in rows] == [
        (f"First{n} Last{n}", f"user{n}@{DOMAIN}", "Created.") for n in range(3)
    ]
    assert {r["Username"]: r["Temporary password"] for r in rows} == stored
    assert not BulkRow.objects.filter(job=job).exclude(password_encrypted="").exists()
    assert all(row.password_downloaded_at for row in job.rows.all())
    assert bulk_passwords_waiting(job=job) == 0
    with pytest.raises(PasswordsRefused) as refused:
        download(scene, job)
    assert str(refused.value) == (
        "These passwords were already downloaded: they are given once. If the download was "
        "lost, use Reset passwords for this upload."
    )
    (record,) = AuditRecord.objects.filter(action=Action.BULK_PASSWORDS_DOWNLOAD)
    assert (record.staff, record.ticket, record.customer_id) == (
        scene.staff,
        "INC-7",
        scene.customer_id,
    )
    assert record.changes == {"users": 3, "rows": [2, 3, 4]}


def test_only_the_uploader_and_only_once_the_job_has_finished(
    scene: Scene, helpdesk_agent: User
) -> None:
    job = save_job(scene, 1)
    with pytest.raises(PasswordsRefused, match="once the upload has finished"):
        download(scene, job)
    job = run(job)
    with pytest.raises(PasswordsRefused, match="Only the staff member who uploaded"):
        bulk_passwords_download(
            job=job, staff=helpdesk_agent, actor=Actor.for_command(helpdesk_agent)
        )
    assert bulk_passwords_waiting(job=job) == 1


def test_passwords_that_arrive_after_a_retry_make_a_new_download(scene: Scene) -> None:
    squat(scene, f"user1@{DOMAIN}", "Squatter")
    job = run(save_job(scene, 3))
    assert [r["Username"] for r in download(scene, job)] == [
        f"user0@{DOMAIN}",
        f"user2@{DOMAIN}",
    ]
    sandbox_users(scene, f"user1@{DOMAIN}")[0].delete()
    bulk_job_retry_failed(job=job, actor=scene.actor)
    with pytest.raises(PasswordsRefused, match="once the upload has finished"):
        download(scene, job)
    job = run(job)
    assert [r["Username"] for r in download(scene, job)] == [f"user1@{DOMAIN}"]
    assert AuditRecord.objects.filter(action=Action.BULK_PASSWORDS_DOWNLOAD).count() == 2


def test_passwords_not_downloaded_are_erased_after_the_time_to_live(scene: Scene) -> None:
    job = run(save_job(scene, 2))
    first = job.rows.first()
    assert first is not None and first.password_available_at is not None
    available = first.password_available_at
    assert bulk_passwords_erase_expired(now=available + timedelta(hours=23)) == 0
    assert bulk_passwords_erase_expired(now=available + timedelta(hours=24, seconds=1)) == 2
    assert all(row.password_erased_at for row in job.rows.all())
    with pytest.raises(PasswordsRefused) as refused:
        download(scene, job)
    assert str(refused.value) == (
        "These passwords were erased because they were not downloaded in time. Use Reset "
        "passwords for this upload."
    )


def test_reset_passwords_for_this_upload_gives_new_ones_once(scene: Scene) -> None:
    squat(scene, f"user1@{DOMAIN}", "Squatter")
    job = run(save_job(scene, 3))
    with pytest.raises(PasswordsRefused, match="Download the passwords that are waiting first"):
        bulk_passwords_reset(job=job, staff=scene.staff, actor=scene.actor)
    first = {r["Username"]: r["Temporary password"] for r in download(scene, job)}
    set_at = {
        email: sandbox_users(scene, email)[0].password_last_set_at for email in first
    }  # fmt: skip

    assert bulk_passwords_reset(job=job, staff=scene.staff, actor=scene.actor) == 2
    job.refresh_from_db()
    assert job.state == BulkJob.QUEUED
    job = run(job)
    assert job.state == BulkJob.FINISHED
    again = {r["Username"]: r["Temporary password"] for r in download(scene, job)}
    assert set(again) == set(first)  # the created users only
    assert all(again[email] != first[email] for email in first)
    assert all(sandbox_users(scene, e)[0].password_last_set_at > set_at[e] for e in first)
    resets = AuditRecord.objects.filter(action=Action.USER_RESET_PASSWORD, outcome="succeeded")
    assert sorted(resets.values_list("target_username", flat=True)) == sorted(first)

    with pytest.raises(PasswordsRefused, match="already reset once"):
        bulk_passwords_reset(job=job, staff=scene.staff, actor=scene.actor)


def test_no_plain_password_is_in_any_log_table_or_audit_record(
    scene: Scene, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    faults(error_rate=0.2, lost_response_rate=0.3, throttle_rate=0.1, random_seed=11)
    squat(scene, f"user3@{DOMAIN}", "Squatter")
    job = run(save_job(scene, 8))
    faults(error_rate=0.0, lost_response_rate=0.0, throttle_rate=0.0)
    if bulk_passwords_waiting(job=job) < 7:
        bulk_job_retry_failed(job=job, actor=scene.actor)
        job = run(job)
    passwords = [row["Temporary password"] for row in download(scene, job)]
    assert len(passwords) == 7
    bulk_passwords_reset(job=job, staff=scene.staff, actor=scene.actor)
    job = run(job)
    passwords += [row["Temporary password"] for row in download(scene, job)]
    assert len(set(passwords)) == 14

    logged = "\n".join(
        [record.getMessage() for record in caplog.records] + list(capsys.readouterr())
    )
    assert "sandbox POST" in logged or "Partner Center POST" in logged  # logging did happen
    tables = {alias: _every_value(alias) for alias in ("default", "sandbox")}
    assert len(tables["sandbox"]) > 100 and CustomerUser.objects.count() >= 8
    audit = " ".join(str(record.changes) + record.message for record in AuditRecord.objects.all())
    for password in passwords:
        assert password not in logged
        assert password not in audit
        for alias, values in tables.items():
            assert not [value for value in values if password in value], alias


def _every_value(alias: str) -> list[str]:
    """Every cell of every table of one database, as text."""
    connection = connections[alias]
    values: list[str] = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            for row in cursor.fetchall():
                for cell in row:
                    if isinstance(cell, bytes | memoryview):
                        values.append(bytes(cell).decode("utf-8", "replace"))
                    elif cell is not None:
                        values.append(str(cell))
    return values


def test_an_old_unknown_row_loses_its_password_too(scene: Scene) -> None:
    faults(error_rate=1.0)
    job = run(save_job(scene, 1))
    row = job.rows.get()
    assert row.state == BulkRow.UNKNOWN and row.password_encrypted
    assert bulk_passwords_erase_expired(now=timezone.now() + timedelta(hours=25)) == 1
