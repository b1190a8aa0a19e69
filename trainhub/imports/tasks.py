"""Periodic upkeep of imports, run by ``trainhub worker``."""

from __future__ import annotations

import logging

from huey import crontab

from trainhub import uploads
from trainhub.jobs.queue import huey, job_app

log = logging.getLogger(__name__)


@huey.periodic_task(crontab(minute="17"))
def sweep_expired_uploads() -> int:
    """Every hour, delete uploads left waiting for confirmation longer than allowed."""
    with job_app().app_context():
        removed = uploads.clean_expired()
    if removed:
        log.info("removed %d expired import uploads", removed)
    return removed
