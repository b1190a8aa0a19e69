"""Running one job: claim it, run its function step by step, record how it ended.

The transaction boundaries of a job are exactly three, all here:

1. the **claim** commits on its own (``queued`` → ``running``, a new attempt number, the
   worker's identity and a first heartbeat), so that nobody else can take the job;
2. every **step** commits once, in :meth:`JobContext.progress`, together with the step's
   own writes;
3. the **finish** commits the result (with the work done since the last step) or, after
   a rollback, the error or the interruption.

Job functions, and the operations they call, only flush. Each of these writes is fenced
(see :mod:`trainhub.jobs.lease`): a run that lost its lease cannot write any more.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa

from trainhub.db import utcnow
from trainhub.extensions import db
from trainhub.jobs import lease
from trainhub.jobs.kinds import get_kind
from trainhub.jobs.models import Job, JobStatus

log = logging.getLogger(__name__)

#: What a user reads when a job fails for a reason the job did not foresee.
UNEXPECTED_ERROR = "任务执行时出现意外错误，已记录。请稍后重试；如果问题持续，请联系项目办。"
UNKNOWN_KIND_ERROR = "系统不认识此任务类型（可能已停用），任务未执行。"


class JobError(Exception):
    """A foreseen failure; ``message`` (Chinese) is shown to the user as the job's error."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class JobInterrupted(BaseException):
    """The run must stop now; its current step is rolled back.

    A ``BaseException`` (like ``KeyboardInterrupt``) so that a job's ``except Exception``
    cannot swallow it: let it propagate.
    """


class WorkerStopping(JobInterrupted):
    """The worker process is shutting down (SIGTERM, Ctrl+C)."""


class LeaseLost(JobInterrupted):
    """The job was declared interrupted (and perhaps rerun) while this run went on."""


class JobContext:
    """What a job function gets: its parameters, its creator, progress and checkpoints."""

    def __init__(self, job: Job, run: lease.Run):
        self.job_id = job.id
        self.params = dict(job.params or {})
        #: Pass as ``actor_id`` to the audit log: jobs have no signed-in user.
        self.user_id = job.created_by_id
        #: 1 for the first run, 2 for the first rerun, …
        self.attempt = run.attempt
        #: Steps a previous run had reported done (0 on a first run): a hint for skipping
        #: ahead; the data itself is the truth (see the contract in :mod:`trainhub.jobs.queue`).
        self.resume_from = job.progress_done if run.attempt > 1 else 0
        self._run = run

    @property
    def job(self) -> Job:
        return db.session.get(Job, self.job_id)

    def progress(self, done: int, total: int | None = None) -> None:
        """Commit the step just finished: its writes, ``done`` of ``total`` and a heartbeat.

        Then stop (raise :class:`JobInterrupted`) if the worker is shutting down. Raises
        :class:`LeaseLost`, with the step rolled back, if the run no longer owns the job.
        """
        job = self.job
        values: dict = {"heartbeat_at": utcnow()}
        current_total = job.progress_total
        if total is not None:
            current_total = values["progress_total"] = max(total, 0)
        done = max(done, 0)
        if current_total is not None:
            done = min(done, current_total)
        values["progress_done"] = done
        updated = db.session.execute(
            sa.update(Job).where(lease.fenced(self.job_id, self.attempt)).values(**values)
            .execution_options(synchronize_session=False)
        ).rowcount
        if updated != 1:
            raise LeaseLost(self.job_id)
        db.session.commit()
        self.checkpoint()

    def checkpoint(self) -> None:
        """Stop here if the worker is shutting down or the lease was lost.

        Call it inside a long step between units of work: the unfinished step is rolled
        back and redone by a rerun. :meth:`progress` checks it after each commit.
        """
        if self._run.heartbeat.lost.is_set():
            raise LeaseLost(self.job_id)
        if lease.stop_requested():
            raise WorkerStopping(self.job_id)


def execute_job(job_id: str) -> None:
    """Claim the queued job, run its function, store the result or the error."""
    run = _claim(job_id)
    if run is None:
        log.warning("job %s is not waiting in the queue (missing or already taken); skipped", job_id)
        return
    try:
        _run(job_id, run)
    finally:
        lease.end_run(run)


def _claim(job_id: str) -> lease.Run | None:
    now = utcnow()
    attempt = db.session.execute(
        sa.update(Job).where(Job.id == job_id, Job.status == JobStatus.QUEUED)
        .values(status=JobStatus.RUNNING, attempt=Job.attempt + 1, worker=lease.worker_identity(),
                started_at=now, heartbeat_at=now, finished_at=None, error=None)
        .returning(Job.attempt)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    db.session.commit()
    if attempt is None:
        return None
    return lease.start_run(db.engine, job_id, attempt, lease.lease_seconds())


def _run(job_id: str, run: lease.Run) -> None:
    job = db.session.get(Job, job_id)
    kind = get_kind(job.kind)
    if kind is None:
        log.error("job %s has the unknown kind %r", job_id, job.kind)
        _finish_after_rollback(run, JobStatus.FAILED, UNKNOWN_KIND_ERROR)
        return
    log.info("job %s (%s) started, attempt %s", job_id, kind.name, run.attempt)
    context = JobContext(job, run)
    try:
        result = kind.func(context, **context.params)
        if not _finish(run, JobStatus.SUCCEEDED, result=result,
                       progress_done=sa.func.coalesce(Job.progress_total, Job.progress_done)):
            return
    except JobError as exc:
        db.session.rollback()
        log.info("job %s (%s) refused: %s", job_id, kind.name, exc.message)
        _finish_after_rollback(run, JobStatus.FAILED, exc.message)
    except WorkerStopping:
        db.session.rollback()
        log.warning("job %s (%s) stopped with the worker", job_id, kind.name)
        _finish_after_rollback(run, JobStatus.INTERRUPTED, lease.STOPPED_MESSAGE)
    except LeaseLost:
        db.session.rollback()
        log.warning("job %s (%s) lost its lease; its last step was rolled back", job_id, kind.name)
    except Exception:
        db.session.rollback()
        log.exception("job %s (%s) failed", job_id, kind.name)
        _finish_after_rollback(run, JobStatus.FAILED, UNEXPECTED_ERROR)
    else:
        log.info("job %s (%s) succeeded", job_id, kind.name)


def _finish(run: lease.Run, status: JobStatus, **values) -> bool:
    """Store how the run ended, fenced, and commit. False when the run had lost the job."""
    finished = db.session.execute(
        sa.update(Job).where(lease.fenced(run.job_id, run.attempt))
        .values(status=status, finished_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    ).rowcount
    if finished != 1:
        db.session.rollback()
        log.warning("job %s (attempt %s) lost its lease before finishing; nothing recorded",
                    run.job_id, run.attempt)
        return False
    db.session.commit()
    return True


def _finish_after_rollback(run: lease.Run, status: JobStatus, error: str) -> None:
    try:
        _finish(run, status, error=error)
    except Exception:
        db.session.rollback()
        log.exception("could not record the end of job %s", run.job_id)
