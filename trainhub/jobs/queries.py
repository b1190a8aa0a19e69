"""Reads on background jobs. The office sees every job; everyone else sees their own."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from trainhub.accounts.models import Role, User
from trainhub.extensions import db
from trainhub.jobs.models import Job, JobStatus
from trainhub.jobs.queue import get_kind

FINISHED = (JobStatus.SUCCEEDED, JobStatus.FAILED)


def visible_jobs(user: User) -> sa.Select:
    """Jobs ``user`` may see, newest first."""
    stmt = (
        sa.select(Job)
        .options(joinedload(Job.created_by))
        .order_by(Job.created_at.desc(), Job.id)
    )
    if user.role != Role.OFFICE:
        stmt = stmt.where(Job.created_by_id == user.id)
    return stmt


def get_visible_job(user: User, job_id: str) -> Job | None:
    """The job ``job_id`` if ``user`` may see it; None whether it is missing or someone else's."""
    return db.session.scalar(visible_jobs(user).where(Job.id == job_id))


def is_finished(job: Job) -> bool:
    return job.status in FINISHED


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


def status_document(job: Job) -> dict:
    """What the job page polls: state, progress and, once finished, the error."""
    return {
        "id": job.id,
        "status": job.status.value,
        "status_label": job.status.label,
        "progress_done": job.progress_done,
        "progress_total": job.progress_total,
        "percent": percent(job),
        "finished": is_finished(job),
        "error": job.error,
    }
