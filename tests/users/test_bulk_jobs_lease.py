"""The lease a worker holds on a job, and recovery: maintenance hands a job whose worker died to
a new task, which finishes it without creating anyone twice."""

# ruff: noqa: F811 (pytest fixtures imported from bulk_jobs_support, used as arguments)

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta

import pytest
from django.core.management import call_command
from django.db import connections
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from portal.maintenance import maintenance_run
from portal.partnercenter import partner_center
from tests.users.bulk_jobs_support import (  # noqa: F401 (fixtures)
    Clock,
    Scene,
    faults,
    make_draft,
    make_scene,
    sandbox_users,
    save_job,
    scene,
    states,
)
from users.bulk.job_selectors import is_stalled
from users.bulk.lease import bulk_job_claim, bulk_job_lease_renew, bulk_jobs_recover, lease_duration
from users.bulk.models import BulkJob, BulkRow
from users.bulk.row_work import RowWork
from users.bulk.worker import bulk_job_run
from users.models import BulkDraft

pytestmark = [
    pytest.mark.django_db(databases=["default", "sandbox"]),
    pytest.mark.usefixtures("empty_cache"),
]
LEASE = timedelta(seconds=60)


def test_one_worker_holds_a_job_until_its_lease_expires(scene: Scene) -> None:
    job = save_job(scene, 1)
    now = timezone.now()
    assert bulk_job_claim(job_id=job.pk, owner="w1", now=now, lease=LEASE)
    job.refresh_from_db()
    assert (job.state, job.lease_owner, job.lease_expires_at) == ("running", "w1", now + LEASE)
    assert job.started_at == now
    assert not bulk_job_claim(job_id=job.pk, owner="w2", now=now + LEASE / 2, lease=LEASE)
    # Renewed in time, the lease holds past its first end.
    assert bulk_job_lease_renew(job_id=job.pk, owner="w1", now=now + LEASE / 2, lease=LEASE)
    assert not bulk_job_claim(job_id=job.pk, owner="w2", now=now + LEASE * 1.2, lease=LEASE)
    assert not is_stalled(BulkJob.objects.get(pk=job.pk), now + LEASE * 1.2)
    # Not renewed: another worker may take it, and the first one learns it lost the job.
    later = now + LEASE * 2
    assert is_stalled(BulkJob.objects.get(pk=job.pk), later)
    assert bulk_job_claim(job_id=job.pk, owner="w2", now=later, lease=LEASE)
    assert not bulk_job_lease_renew(job_id=job.pk, owner="w1", now=later, lease=LEASE)
    job.refresh_from_db()
    assert (job.lease_owner, job.started_at) == ("w2", now)


def test_a_finished_or_cancelled_job_cannot_be_claimed(scene: Scene) -> None:
    job = save_job(scene, 1)
    bulk_job_run(job_id=job.pk, concurrency=1)
    assert not bulk_job_claim(job_id=job.pk, owner="w9", now=timezone.now())


@pytest.mark.django_db(transaction=True, databases=["default", "sandbox"])
def test_of_workers_claiming_at_the_same_moment_exactly_one_wins(scene: Scene) -> None:
    job = save_job(scene, 1)
    start = threading.Barrier(6)
    won: list[str] = []

    def claim(owner: str) -> None:
        try:
            start.wait()
            if bulk_job_claim(job_id=job.pk, owner=owner, now=timezone.now()):
                won.append(owner)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=claim, args=(f"w{n}",)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(won) == 1
    assert BulkJob.objects.get(pk=job.pk).lease_owner == won[0]


def test_the_worker_renews_its_lease_while_it_works(
    scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = save_job(scene, 4)
    clock = Clock(timezone.now())
    seen: list[tuple[datetime, datetime | None]] = []  # (now, the lease's expiry) after each row
    real_finish = RowWork._finish_row

    def slow_rows(work: RowWork, row: BulkRow) -> None:
        real_finish(work, row)
        clock.advance(seconds=25)  # each row takes 25 s: the lease (60 s) needs renewing
        seen.append((clock(), BulkJob.objects.get(pk=job.pk).lease_expires_at))

    monkeypatch.setattr(RowWork, "_finish_row", slow_rows)
    result = bulk_job_run(job_id=job.pk, concurrency=1, lease=LEASE, clock=clock, owner="w1")
    assert result.finished
    assert all(expires is not None and now < expires for now, expires in seen)
    assert set(states(job).values()) == {"created"}


def test_a_worker_that_lost_its_lease_starts_no_more_rows(
    scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = save_job(scene, 4)
    clock = Clock(timezone.now())
    real_finish = RowWork._finish_row

    def stall_after_the_first_row(work: RowWork, row: BulkRow) -> None:
        real_finish(work, row)
        if row.number == 2:  # the worker hangs; meanwhile another takes the job over
            clock.advance(minutes=5)
            assert bulk_job_claim(job_id=job.pk, owner="w2", now=clock(), lease=LEASE)

    monkeypatch.setattr(RowWork, "_finish_row", stall_after_the_first_row)
    result = bulk_job_run(job_id=job.pk, concurrency=1, lease=LEASE, clock=clock, owner="w1")
    assert result.lost_lease and not result.finished
    assert states(job) == {2: "created", 3: "pending", 4: "pending", 5: "pending"}
    assert BulkJob.objects.get(pk=job.pk).lease_owner == "w2"
    monkeypatch.undo()
    assert bulk_job_run(job_id=job.pk, concurrency=1, lease=LEASE, clock=clock, owner="w2").finished
    assert set(states(job).values()) == {"created"}


def test_maintenance_re_enqueues_a_job_whose_worker_died_and_the_next_finishes_it(
    scene: Scene, caplog: pytest.LogCaptureFixture
) -> None:
    job = save_job(scene, 3)
    first_task = job.task_id
    now = timezone.now()
    # A worker took the job and died mid-call on the first row: its request id and password
    # were stored, the call may or may not have reached Partner Center.
    assert bulk_job_claim(job_id=job.pk, owner="dead", now=now, lease=LEASE)
    dead = RowWork(job, partner_center(), "dead", lambda: now)
    row = dead._claim(BulkRow.objects.get(job=job, number=2))
    assert row is not None
    assert dead._create(row)  # it reached Partner Center; the worker died before recording it
    BulkRow.objects.filter(pk=row.pk).update(user_id="")

    assert bulk_jobs_recover(now=now + LEASE / 2) == []  # its lease still runs
    with caplog.at_level(logging.WARNING, logger="users.bulk"):
        (recovered,) = bulk_jobs_recover(now=now + LEASE + timedelta(seconds=1))
    assert recovered.pk == job.pk
    assert f"Bulk job {job.public_id} had no live worker (lease owner 'dead')" in caplog.text
    job.refresh_from_db()
    assert (job.state, job.lease_owner, job.recoveries) == ("queued", "", 1)
    assert job.task_id != first_task
    assert DBTaskResult.objects.get(id=job.task_id).status == TaskResultStatus.READY
    # Its new task waits in line: maintenance does not enqueue it again.
    assert bulk_jobs_recover(now=now + LEASE * 3) == []

    assert bulk_job_run(job_id=job.pk, concurrency=1).finished
    assert set(states(job).values()) == {"created"}
    resumed = BulkRow.objects.get(pk=row.pk)
    assert (resumed.request_id, resumed.attempts) == (row.request_id, 2)  # the same request
    assert all(len(sandbox_users(scene, r.email)) == 1 for r in BulkRow.objects.filter(job=job))


def test_maintenance_re_enqueues_a_queued_job_whose_task_was_lost(scene: Scene) -> None:
    job = save_job(scene, 1)
    later = timezone.now() + lease_duration() * 2
    assert bulk_jobs_recover(now=later) == []  # queued, its task waiting: just in line
    DBTaskResult.objects.filter(id=job.task_id).update(status=TaskResultStatus.FAILED)
    (recovered,) = bulk_jobs_recover(now=later)
    assert recovered.task_id != job.task_id


def test_maintenance_prunes_drafts_erases_passwords_and_recovers_jobs_in_one_round(
    scene: Scene,
) -> None:
    job = save_job(scene, 2)
    bulk_job_run(job_id=job.pk, concurrency=1)
    stale = make_draft(scene)
    BulkDraft.objects.filter(pk=stale.pk).update(expires_at=timezone.now())
    dead = save_job(scene, 1)
    bulk_job_claim(job_id=dead.pk, owner="dead", now=timezone.now(), lease=LEASE)

    report = maintenance_run(now=timezone.now() + timedelta(hours=25))
    assert (report.jobs_recovered, report.passwords_erased) == (1, 2)
    assert report.drafts_pruned >= 1 and report.audit_records_pruned == 0
    assert report.failures == []
    assert not BulkRow.objects.filter(job=job).exclude(password_encrypted="").exists()


def test_the_maintenance_command_runs_one_round_and_says_what_it_did(
    scene: Scene, capsys: pytest.CaptureFixture[str]
) -> None:
    call_command("portal_maintenance")
    upkeep, *directory = capsys.readouterr().out.strip().splitlines()
    assert upkeep == (
        "0 scheduled change(s) started, 0 bulk job(s) re-enqueued, 0 password(s) erased, "
        "0 draft(s) pruned, "
        "0 audit record(s) pruned"
    )
    # The directory's background work: the scene's customer has one user, licences unread.
    assert directory == ["licenses: 1 user(s) read"]


@pytest.mark.django_db(transaction=True, databases=["default", "sandbox"])
def test_rows_run_on_a_pool_bounded_by_the_concurrency_setting(
    scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    faults(latency_ms=40)  # so that calls overlap
    job = save_job(scene, 9)
    lock = threading.Lock()
    in_flight = [0]
    most = [0]
    real_create = RowWork._create

    def counted(work: RowWork, row: BulkRow) -> bool:
        with lock:
            in_flight[0] += 1
            most[0] = max(most[0], in_flight[0])
        try:
            return real_create(work, row)
        finally:
            with lock:
                in_flight[0] -= 1

    monkeypatch.setattr(RowWork, "_create", counted)
    assert bulk_job_run(job_id=job.pk, concurrency=3).finished
    assert set(states(job).values()) == {"created"}
    assert 2 <= most[0] <= 3
    assert all(len(sandbox_users(scene, r.email)) == 1 for r in BulkRow.objects.filter(job=job))
