"""Several workers at once: exactly one holds a job (on SQLite and on PostgreSQL alike)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from users.bulk.lease import bulk_job_claim
from users.bulk.models import BulkJob


@pytest.mark.django_db(transaction=True)
def test_of_eight_workers_claiming_one_job_at_once_exactly_one_wins() -> None:
    now = timezone.now()
    job = BulkJob.objects.create(
        customer_id="c1",
        created_by_username="amara",
        file_name="users.csv",
        usage_location="US",
        created_at=now,
        enqueued_at=now,
    )
    start = threading.Barrier(8)
    won: list[str] = []

    def worker(name: str) -> None:
        try:
            start.wait()
            if bulk_job_claim(job_id=job.pk, owner=name, now=now, lease=timedelta(minutes=1)):
                won.append(name)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(f"w{n}",)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    job.refresh_from_db()
    assert len(won) == 1
    assert job.lease_owner == won[0] and job.state == BulkJob.RUNNING
