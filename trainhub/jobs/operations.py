"""Writes on background jobs: creating a job and handing it to the queue.

Like every operation, these flush and never commit; the job is queued when the caller's
transaction commits (see :mod:`trainhub.jobs.queue`).
"""

from __future__ import annotations

import json

from flask import current_app

from trainhub.accounts.models import User
from trainhub.audit.operations import record
from trainhub.extensions import db
from trainhub.jobs.models import Job, JobStatus
from trainhub.jobs.queue import get_kind, schedule_after_commit

#: Pause between the steps of the demo job when a worker runs it, so that people watching
#: the page see the progress bar move; immediate mode (tests) never pauses.
DEMO_STEP_PAUSE_SECONDS = 0.5


def enqueue(kind: str, title: str | None = None, params: dict | None = None,
            user: User | None = None) -> Job:
    """Create a queued job of the registered ``kind``; it runs after the caller commits.

    ``params`` are passed to the job function as keyword arguments and must be
    JSON-serialisable (they are stored with the job). Never put personal data in them.
    """
    job_kind = get_kind(kind)
    if job_kind is None:
        raise ValueError(f"unknown job kind {kind!r}")
    params = dict(params or {})
    try:
        json.dumps(params)
    except TypeError as exc:
        raise ValueError(f"job parameters must be JSON-serialisable: {exc}") from exc
    job = Job(
        kind=kind,
        title=(title or job_kind.title)[:200],
        status=JobStatus.QUEUED,
        params=params,
        progress_done=0,
        created_by_id=user.id if user is not None else None,
    )
    db.session.add(job)
    db.session.flush()
    record("job.enqueue", target_type="job", target_id=job.id,
           detail={"kind": kind}, actor_id=user.id if user is not None else None)
    schedule_after_commit(job.id)
    return job


def start_demo_count(user: User | None) -> Job:
    """Queue the demo job that counts learners per county, province by province."""
    pause = 0 if current_app.config.get("JOBS_IMMEDIATE") else DEMO_STEP_PAUSE_SECONDS
    return enqueue("demo.count", "演示任务：按县统计学员人数", {"pause": pause}, user)
