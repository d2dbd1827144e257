"""Background tasks of the users app (Django's tasks framework, the django-tasks-db backend)."""

from __future__ import annotations

from django.tasks import task

from users.bulk.worker import bulk_job_run


@task()
def run_bulk_job(job_id: int) -> None:
    """Create a saved bulk upload's users (or finish, cancel or reset it); see users/bulk/worker.py.

    A task whose job another worker holds, or which is done, returns at once: maintenance may
    enqueue a job again when it cannot tell a dead worker from a slow one.
    """
    bulk_job_run(job_id=job_id)
