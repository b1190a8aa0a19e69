"""Background jobs as the UI and API see them: progress, result or error, and who runs them."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trainhub.db import LabelledEnum, UTCDateTime, enum_column, utcnow
from trainhub.extensions import db


class JobStatus(LabelledEnum):
    QUEUED = ("queued", "排队中")
    RUNNING = ("running", "进行中")
    SUCCEEDED = ("succeeded", "已完成")
    FAILED = ("failed", "失败")
    #: The worker running it stopped (killed, restarted) or lost its lease: rerun it.
    INTERRUPTED = ("interrupted", "已中断")


def _new_job_id() -> str:
    return uuid.uuid4().hex


class Job(db.Model):
    __tablename__ = "job"
    __table_args__ = (
        sa.CheckConstraint("progress_done >= 0", name="progress_done_nonneg"),
        sa.CheckConstraint(
            "progress_total IS NULL OR progress_done <= progress_total", name="progress_within_total"
        ),
    )

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=_new_job_id)
    #: Registered job name, e.g. ``demo.count``.
    kind: Mapped[str] = mapped_column(sa.String(64), index=True)
    #: Short Chinese description shown in the UI.
    title: Mapped[str] = mapped_column(sa.String(200))
    status: Mapped[JobStatus] = mapped_column(
        enum_column(JobStatus, "job_status"), default=JobStatus.QUEUED, index=True
    )
    params: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    progress_done: Mapped[int] = mapped_column(default=0)
    progress_total: Mapped[int | None]
    result: Mapped[dict | None] = mapped_column(sa.JSON)
    #: Why the job failed or was interrupted (Chinese, shown to the user).
    error: Mapped[str | None] = mapped_column(sa.Text)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Start of the latest run (a rerun starts again).
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: How many times a worker claimed the job; each run's writes are fenced by its number.
    attempt: Mapped[int] = mapped_column(default=0, server_default="0")
    #: The worker process of the latest run, ``host:pid``.
    worker: Mapped[str | None] = mapped_column(sa.String(200))
    #: Last sign of life of the running worker; older than the lease means interrupted.
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    created_by: Mapped[User | None] = relationship("User")  # noqa: F821 (by name: below accounts)
