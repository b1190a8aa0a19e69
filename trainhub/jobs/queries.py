"""Reads on background jobs. The office sees every job; everyone else sees their own.

Pages and endpoints call :func:`trainhub.jobs.lease.settle_leases` before these, so that a
job whose worker vanished already reads as interrupted.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from trainhub.auth import Account, Role
from trainhub.extensions import db
from trainhub.jobs.kinds import get_kind
from trainhub.jobs.models import Job, JobStatus
from trainhub.localtime import format_localtime

#: States a job stays in until someone acts (an interrupted job waits for a rerun).
FINISHED = (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.INTERRUPTED)
NOT_STARTED = "尚未开始"
EMPTY = "—"


def visible_jobs(user: Account) -> sa.Select:
    """Jobs ``user`` may see, newest first."""
    stmt = (
        sa.select(Job)
        .options(joinedload(Job.created_by))
        .order_by(Job.created_at.desc(), Job.id)
    )
    if user.role != Role.OFFICE:
        stmt = stmt.where(Job.created_by_id == user.id)
    return stmt


def get_visible_job(user: Account, job_id: str) -> Job | None:
    """The job ``job_id`` if ``user`` may see it; None whether it is missing or someone else's."""
    return db.session.scalar(visible_jobs(user).where(Job.id == job_id))


def may_see(user: Account, job: Job) -> bool:
    """Python twin of :func:`visible_jobs`: the job's creator and the office (who may rerun)."""
    return user.role == Role.OFFICE or job.created_by_id == user.id


def is_finished(job: Job) -> bool:
    return job.status in FINISHED


def can_rerun(job: Job) -> bool:
    return job.status == JobStatus.INTERRUPTED


def percent(job: Job) -> int | None:
    """Progress in whole percent; None while the number of steps is not known."""
    if job.status == JobStatus.SUCCEEDED:
        return 100
    if not job.progress_total:
        return 0 if job.progress_total == 0 else None
    return min(100, job.progress_done * 100 // job.progress_total)


def result_template(job: Job) -> str | None:
    kind = get_kind(job.kind)
    return kind.result_template if kind else None


def may_see_worker(user: Account) -> bool:
    """Host names and process ids are for the office, who runs the system."""
    return user.role == Role.OFFICE


def worker_label(job: Job) -> str:
    """The worker process of the latest run, in words: ``主机 app1，进程 4242``."""
    if not job.worker:
        return EMPTY
    host, _, pid = job.worker.rpartition(":")
    return f"主机 {host}，进程 {pid}" if host else job.worker


def status_document(job: Job, viewer: Account) -> dict:
    """What the job page polls: every field of the page that changes while a job runs."""
    return {
        "id": job.id,
        "status": job.status.value,
        "status_label": job.status.label,
        "progress_done": job.progress_done,
        "progress_total": job.progress_total,
        "percent": percent(job),
        "finished": is_finished(job),
        "error": job.error,
        "started_at_text": format_localtime(job.started_at) or NOT_STARTED,
        "finished_at_text": format_localtime(job.finished_at) or EMPTY,
        "worker_text": worker_label(job) if may_see_worker(viewer) else EMPTY,
    }
