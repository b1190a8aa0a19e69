"""The job queue (Huey), and the contract every job function keeps.

One module-level Huey instance, :data:`huey`, so that tasks can be declared at import time
with ``@huey.task()``. :func:`init_jobs` points it at the configured storage:

* ``JOBS_IMMEDIATE`` (tests): tasks run synchronously, in memory;
* ``REDIS_URL`` set: Redis (several application servers and workers);
* otherwise SQLite in ``instance/jobs.sqlite`` — no extra server needed.

Every background job is a :class:`~trainhub.jobs.models.Job` row plus one Huey task,
:func:`run_job`, which claims the row and calls the function registered for its kind with
:func:`job_kind` (see :mod:`trainhub.jobs.runner`). A job is scheduled only once the
transaction that created its row has committed (a worker must never look for a row that
does not exist yet, and a rolled-back request must not leave a job behind). A job is
**claimed exactly once**: ``queued`` → ``running`` is one conditional ``UPDATE``, so a task
delivered twice, or a rerun racing another rerun, runs the job once.

Transactions: the claim commits; each step commits once, in :meth:`JobContext.progress`;
the finish commits. Job functions and the operations they call only flush.

Rerunnable jobs — the contract of a job function
------------------------------------------------
A worker may die in the middle of any job (SIGKILL, a crashed host, a deployment). Its job
then shows as interrupted (已中断) once its lease runs out (:mod:`trainhub.jobs.lease`),
and its owner or the office may rerun it: the same function runs again, from the start,
with the same parameters. So every job function must be written to be run again:

1. **Parameters say everything.** All input comes from ``params`` (JSON, stored with the
   job; never personal data) and the database; nothing from memory of a previous run.
2. **Steps, each committed once.** Work is a series of steps; a step's writes become
   durable only through ``ctx.progress(done, total)``, which commits them together with the
   progress. Never commit or roll back in a job function. Work after the last report is
   rolled back if the run ends early, and redone by the rerun.
3. **Idempotent steps.** A step first looks at what is already in the database (for bulk
   certificate issuance: the enrolments already holding a certificate) and does only what
   is missing, so that a rerun repeating committed steps changes nothing and creates no
   duplicates. ``ctx.resume_from`` (the steps a previous run reported) may be used to skip
   ahead, but the data is the truth. Unique constraints are the last line of defence.
4. **Effects outside the database** (files, mail, calls to other systems) happen after the
   step that records them has committed, or are idempotent themselves (fixed file names,
   an idempotency key).
5. **Short steps.** A stop request (the worker received SIGTERM) is honoured at the next
   ``ctx.progress`` or ``ctx.checkpoint()``; call ``ctx.checkpoint()`` inside a step that
   may take more than a few seconds. Let :class:`JobInterrupted` propagate: never catch it.
6. **Refusals** raise :class:`JobError` with a Chinese message; any other exception fails
   the job with a generic message (details in the log).
"""

from __future__ import annotations

import logging
from pathlib import Path

import sqlalchemy as sa
from flask import Flask, current_app, has_app_context
from flask_sqlalchemy.session import Session as FlaskSession
from huey import Huey
from huey.storage import MemoryStorage, RedisStorage, SqliteStorage

from trainhub import create_app
from trainhub.config import ConfigError
from trainhub.db import utcnow
from trainhub.extensions import db
from trainhub.jobs.kinds import JobKind, get_kind, import_job_kinds, job_kind, job_kinds
from trainhub.jobs.lease import MIN_LEASE_SECONDS
from trainhub.jobs.models import Job, JobStatus
from trainhub.jobs.runner import (
    UNEXPECTED_ERROR,
    UNKNOWN_KIND_ERROR,
    JobContext,
    JobError,
    JobInterrupted,
    execute_job,
)
from trainhub.transaction import durable

__all__ = [
    "QUEUE_UNAVAILABLE_ERROR", "UNEXPECTED_ERROR", "UNKNOWN_KIND_ERROR", "JobContext", "JobError",
    "JobInterrupted", "JobKind", "get_kind", "huey", "init_jobs", "job_app", "job_kind",
    "job_kinds", "run_job", "schedule_after_commit",
]

log = logging.getLogger(__name__)

QUEUE_UNAVAILABLE_ERROR = "任务队列暂时不可用，任务未能提交。请稍后重试；如果问题持续，请联系项目办。"

#: ``session.info`` key holding the ids of jobs to schedule when the transaction commits.
_PENDING = "trainhub_jobs_pending"


class LazySqliteStorage(SqliteStorage):
    """Huey's SQLite storage, creating its file and tables on first use, not at start-up."""

    def __init__(self, *args, **kwargs):
        kwargs["create_tables"] = False
        super().__init__(*args, **kwargs)

    def _create_connection(self):
        Path(self.filename).parent.mkdir(parents=True, exist_ok=True)
        conn = super()._create_connection()
        conn.execute("begin")
        for statement in self.ddl:
            conn.execute(statement)
        conn.execute("commit")
        return conn


class TrainhubHuey(Huey):
    """A Huey whose storage is chosen when the application is configured."""

    def configure(self, *, storage_class: type, immediate: bool, **storage_kwargs) -> None:
        old = self.storage
        self.storage_class = storage_class
        self.storage_kwargs = storage_kwargs
        self._immediate = immediate
        self.storage = self.create_storage()
        if old is not self.storage and hasattr(old, "close"):
            old.close()

    def describe(self) -> str:
        """Where the queue lives, in words for the operator."""
        if self.immediate:
            return "立即执行模式（JOBS_IMMEDIATE）"
        if isinstance(self.storage, RedisStorage):
            return "Redis 队列"
        if isinstance(self.storage, SqliteStorage):
            return f"SQLite 队列（{self.storage.filename}）"
        return type(self.storage).__name__


#: Results live in the ``job`` table, so Huey's own result store stays off.
huey = TrainhubHuey("trainhub", results=False, storage_class=MemoryStorage)


class _State:
    #: The application jobs run in when no application context is active (worker threads).
    app: Flask | None = None


_state = _State()


def init_jobs(app: Flask) -> None:
    """Configure :data:`huey` for ``app`` and import every feature's job kinds."""
    lease = app.config.get("JOB_LEASE_SECONDS")
    if not isinstance(lease, int) or lease < MIN_LEASE_SECONDS:
        raise ConfigError(f"TRAINHUB_JOB_LEASE_SECONDS must be a whole number of seconds, at "
                          f"least {MIN_LEASE_SECONDS} (got {lease!r}).")
    if app.config.get("JOBS_IMMEDIATE"):
        huey.configure(storage_class=MemoryStorage, immediate=True)
    elif app.config.get("REDIS_URL"):
        huey.configure(storage_class=RedisStorage, immediate=False, url=app.config["REDIS_URL"])
    else:
        filename = str(Path(app.instance_path) / "jobs.sqlite")
        huey.configure(storage_class=LazySqliteStorage, immediate=False, filename=filename)
    app.extensions["trainhub_jobs"] = huey
    _state.app = app
    import_job_kinds()


# running ------------------------------------------------------------------------------------


@huey.task()
def run_job(job_id: str) -> None:
    """The one Huey task: run the job ``job_id`` in an application context of its own."""
    with _job_app().app_context():
        execute_job(job_id)


def job_app() -> Flask:
    """The application a task runs in (also for periodic tasks of the features)."""
    return _job_app()


def _job_app() -> Flask:
    if has_app_context():  # immediate mode: the application that committed the job
        return current_app._get_current_object()
    if _state.app is None:  # a consumer started without ``trainhub worker``
        _state.app = create_app()
    return _state.app


# scheduling after commit ------------------------------------------------------------------


def schedule_after_commit(job_id: str) -> None:
    """Queue ``job_id`` once the current transaction commits (called by ``enqueue``)."""
    db.session.info.setdefault(_PENDING, []).append(job_id)


@sa.event.listens_for(FlaskSession, "after_commit")
def _schedule_pending(session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint: the outer transaction may still roll back
    pending = session.info.pop(_PENDING, None)
    for job_id in pending or ():
        try:
            run_job(job_id)
        except Exception:
            log.exception("job %s could not be queued", job_id)
            _mark_unqueued(job_id)


@sa.event.listens_for(FlaskSession, "after_transaction_end")
def _forget_pending(session, transaction) -> None:
    # after a commit the list is gone already; after a rollback its rows are gone too
    if transaction.parent is None:
        session.info.pop(_PENDING, None)


def _mark_unqueued(job_id: str) -> None:
    """The row is committed but the queue refused the task: say so on the job."""
    with _job_app().app_context():
        try:
            with durable() as session:
                session.execute(
                    sa.update(Job).where(Job.id == job_id, Job.status == JobStatus.QUEUED)
                    .values(status=JobStatus.FAILED, error=QUEUE_UNAVAILABLE_ERROR,
                            finished_at=utcnow())
                )
        except Exception:
            log.exception("could not record that job %s was not queued", job_id)
