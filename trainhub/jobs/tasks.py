"""Periodic upkeep of background jobs, run by ``trainhub worker``."""

from __future__ import annotations

from huey import crontab

from trainhub.jobs.lease import interrupt_abandoned, lease_seconds
from trainhub.jobs.queue import huey, job_app
from trainhub.transaction import durable


@huey.periodic_task(crontab())
def interrupt_abandoned_jobs() -> int:
    """Every minute, store as interrupted the running jobs whose worker stopped beating."""
    with job_app().app_context(), durable() as session:
        return interrupt_abandoned(session, lease=lease_seconds())
