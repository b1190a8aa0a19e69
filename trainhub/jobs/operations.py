"""Writes on background jobs: creating a job, rerunning an interrupted one.

Like every operation, these flush and never commit; the job is queued when the caller's
transaction commits (see :mod:`trainhub.jobs.queue`).
"""

from __future__ import annotations

import json

import sqlalchemy as sa

from trainhub.audit.operations import record
from trainhub.auth import Account
from trainhub.extensions import db
from trainhub.jobs import lease, queries
from trainhub.jobs.models import Job, JobStatus
from trainhub.jobs.queue import get_kind, schedule_after_commit


class JobRefused(Exception):
    """The operation is refused; ``message`` (Chinese) says why."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def enqueue(kind: str, title: str | None = None, params: dict | None = None,
            user: Account | None = None) -> Job:
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


def rerun(job: Job, *, actor: Account) -> Job:
    """Queue the interrupted ``job`` again; it runs after the caller commits.

    Only the job's creator or the office may rerun it, and only while it is interrupted
    (a running job whose lease ran out counts as interrupted). Of several reruns at once,
    exactly one succeeds: the change ``interrupted`` → ``queued`` is one conditional
    update, and a worker claims a queued job exactly once. Committed steps and progress are
    kept; the job function redoes what is missing (see the contract in
    :mod:`trainhub.jobs.queue`). Raises :class:`JobRefused`.
    """
    if not queries.may_see(actor, job):
        raise JobRefused("只有任务的提交人或项目办可以重新执行此任务。")
    lease.interrupt_abandoned(db.session, lease=lease.lease_seconds())
    requeued = db.session.execute(
        sa.update(Job).where(Job.id == job.id, Job.status == JobStatus.INTERRUPTED)
        .values(status=JobStatus.QUEUED, error=None, finished_at=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(job)
    if requeued != 1:
        raise JobRefused(f"只有已中断的任务可以重新执行；此任务现在的状态是“{job.status.label}”。")
    record("job.rerun", target_type="job", target_id=job.id,
           detail={"kind": job.kind, "previous_attempts": job.attempt}, actor_id=actor.id)
    schedule_after_commit(job.id)
    return job
