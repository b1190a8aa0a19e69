"""Periodic upkeep of background jobs, run by ``trainhub worker``."""

from __future__ import annotations

from huey import crontab

from trainhub.extensions import db
from trainhub.jobs.lease import interrupt_abandoned, lease_seconds
from trainhub.jobs.queue import huey, job_app


@huey.periodic_task(crontab())
def interrupt_abandoned_jobs() -> int:
    """Every minute, store as interrupted the running jobs whose worker stopped beating."""
    with job_app().app_context():
        count = interrupt_abandoned(db.session, lease=lease_seconds())
        db.session.commit()
    return count
