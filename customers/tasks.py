"""Background tasks of the customers app (Django's tasks framework, the django-tasks-db backend)."""

from __future__ import annotations

from django.tasks import task

from customers.snapshots import snapshot_load_in_background
from portal.partnercenter import WORKER_THROTTLE_WAIT_CAP, partner_center


@task()
def load_customer_snapshot(customer_id: str) -> None:
    """Read a large customer's snapshot while its Users and licenses page shows progress."""
    pc = partner_center(throttle_wait_cap=WORKER_THROTTLE_WAIT_CAP)
    snapshot_load_in_background(pc=pc, customer_id=customer_id)
