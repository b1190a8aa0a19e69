"""The job queue (Huey) and the registry of job kinds.

One module-level Huey instance, :data:`huey`, so that tasks can be declared at import time
with ``@huey.task()``. :func:`init_jobs` points it at the configured storage:

* ``JOBS_IMMEDIATE`` (tests): tasks run synchronously, in memory;
* ``REDIS_URL`` set: Redis (several application servers and workers);
* otherwise SQLite in ``instance/jobs.sqlite`` — no extra server needed.

Every background job is a :class:`~trainhub.jobs.models.Job` row plus one Huey task,
:func:`run_job`, which looks the row up and calls the function registered for its kind with
:func:`job_kind`. A job is scheduled only once the transaction that created its row has
committed (a worker must never look for a row that does not exist yet, and a rolled-back
request must not leave a job behind).
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from flask import Flask, current_app, has_app_context
from flask_sqlalchemy.session import Session as FlaskSession
from huey import Huey
from huey.storage import MemoryStorage, RedisStorage, SqliteStorage

from trainhub.db import utcnow
from trainhub.extensions import db
from trainhub.jobs.models import Job, JobStatus

log = logging.getLogger(__name__)

#: What a user reads when a job fails for a reason the job did not foresee.
UNEXPECTED_ERROR = "任务执行时出现意外错误，已记录。请稍后重试；如果问题持续，请联系项目办。"
UNKNOWN_KIND_ERROR = "系统不认识此任务类型（可能已停用），任务未执行。"
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


# registry of job kinds --------------------------------------------------------------------


@dataclass(frozen=True)
class JobKind:
    #: Dotted name stored in ``Job.kind``, e.g. ``demo.count``.
    name: str
    #: Default Chinese title of jobs of this kind.
    title: str
    #: ``func(ctx, **params)``; returns a JSON-serialisable dict (or None) as the job's result.
    func: Callable[..., dict | None]
    #: Template that shows the result on the job page (default: a generic key/value list).
    result_template: str | None = None


_KINDS: dict[str, JobKind] = {}


def job_kind(name: str, *, title: str, result_template: str | None = None):
    """Register the decorated function as the job kind ``name``.

    Declare job kinds in a feature's ``tasks.py`` module; :func:`init_jobs` imports them all.
    """

    def decorator(func):
        existing = _KINDS.get(name)
        if existing is not None and existing.func is not func:
            raise ValueError(f"job kind {name!r} is already registered")
        _KINDS[name] = JobKind(name=name, title=title, func=func, result_template=result_template)
        return func

    return decorator


def get_kind(name: str) -> JobKind | None:
    return _KINDS.get(name)


def job_kinds() -> dict[str, JobKind]:
    return dict(_KINDS)


def import_job_kinds() -> None:
    """Import ``trainhub.<feature>.tasks`` for every feature that has one."""
    import trainhub

    for module in pkgutil.iter_modules(trainhub.__path__):
        if not module.ispkg:
            continue
        name = f"trainhub.{module.name}.tasks"
        if importlib.util.find_spec(name) is not None:
            importlib.import_module(name)


# running a job ----------------------------------------------------------------------------


class JobError(Exception):
    """A foreseen failure; ``message`` (Chinese) is shown to the user as the job's error."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class JobContext:
    """What a job function gets: its parameters, its creator and a way to report progress.

    Each progress report commits the session, so that the page and the API show it at once:
    a job is a series of committed steps, and a job function must leave the data consistent
    at every :meth:`progress` call. Work done after the last report is rolled back on failure.
    """

    def __init__(self, job: Job):
        self.job_id = job.id
        self.params = dict(job.params or {})
        #: Pass as ``actor_id`` to the audit log: jobs have no signed-in user.
        self.user_id = job.created_by_id

    @property
    def job(self) -> Job:
        return db.session.get(Job, self.job_id)

    def progress(self, done: int, total: int | None = None) -> None:
        """Record that ``done`` of ``total`` steps are finished and commit."""
        job = self.job
        if total is not None:
            job.progress_total = max(total, 0)
        done = max(done, 0)
        if job.progress_total is not None:
            done = min(done, job.progress_total)
        job.progress_done = done
        db.session.commit()


@huey.task()
def run_job(job_id: str) -> None:
    """The one Huey task: run the job ``job_id`` in an application context of its own."""
    app = _job_app()
    with app.app_context():
        execute_job(job_id)


def job_app() -> Flask:
    """The application a task runs in (also for periodic tasks of the features)."""
    return _job_app()


def _job_app() -> Flask:
    if has_app_context():  # immediate mode: the application that committed the job
        return current_app._get_current_object()
    if _state.app is None:  # a consumer started without ``trainhub worker``
        from trainhub import create_app

        _state.app = create_app()
    return _state.app


def execute_job(job_id: str) -> None:
    """Claim the queued job, run its function, store the result or the error. Commits."""
    claimed = db.session.execute(
        sa.update(Job)
        .where(Job.id == job_id, Job.status == JobStatus.QUEUED)
        .values(status=JobStatus.RUNNING, started_at=utcnow())
    ).rowcount
    db.session.commit()
    if claimed != 1:
        log.warning("job %s is not waiting in the queue (missing or already taken); skipped", job_id)
        return
    job = db.session.get(Job, job_id)
    kind = get_kind(job.kind)
    if kind is None:
        log.error("job %s has the unknown kind %r", job_id, job.kind)
        _finish_failed(job_id, UNKNOWN_KIND_ERROR)
        return
    log.info("job %s (%s) started", job_id, kind.name)
    context = JobContext(job)
    try:
        result = kind.func(context, **context.params)
        job = context.job
        job.status = JobStatus.SUCCEEDED
        job.result = result
        if job.progress_total is not None:
            job.progress_done = job.progress_total
        job.finished_at = utcnow()
        db.session.commit()
    except JobError as exc:
        db.session.rollback()
        log.info("job %s (%s) refused: %s", job_id, kind.name, exc.message)
        _finish_failed(job_id, exc.message)
    except Exception:
        db.session.rollback()
        log.exception("job %s (%s) failed", job_id, kind.name)
        _finish_failed(job_id, UNEXPECTED_ERROR)
    else:
        log.info("job %s (%s) succeeded", job_id, kind.name)


def _finish_failed(job_id: str, message: str) -> None:
    try:
        job = db.session.get(Job, job_id)
        job.status = JobStatus.FAILED
        job.error = message
        job.finished_at = utcnow()
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("could not record the failure of job %s", job_id)


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
        _finish_failed(job_id, QUEUE_UNAVAILABLE_ERROR)
