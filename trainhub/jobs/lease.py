"""Leases of running jobs: who runs a job, the heartbeat that keeps the claim, and what
becomes of a job whose worker vanished.

When a worker claims a job (:func:`trainhub.jobs.runner.execute_job`) it stores its
identity (``host:pid``), a new ``attempt`` number and ``heartbeat_at``. While the job runs:

* every progress report renews ``heartbeat_at`` in the step's own commit, and
* a :class:`Heartbeat` thread renews it every quarter of the lease, on a connection of
  its own. Progress reports alone would not do: one long step (rendering hundreds of
  certificates) may outlast the lease, and the step's transaction cannot be committed
  early just to say "still alive". The job's session belongs to the job's thread, hence
  the separate connection; each beat is one short autocommitted ``UPDATE``.

A running job whose heartbeat is older than ``JOB_LEASE_SECONDS`` (default 90) lost its
worker: :func:`interrupt_abandoned` stores it as :attr:`JobStatus.INTERRUPTED`. The worker
calls it at start-up and every minute (``trainhub.jobs.tasks``), and every page and API
endpoint of jobs calls it before reading (:func:`settle_leases`), so that a job is never
shown running for ever even when no worker runs at all.

**Fencing.** Every write of a run — heartbeat, progress, finish — is conditioned on
``status = running AND attempt = <the run's attempt>``. A run that lost its lease (the
job was declared interrupted, and perhaps rerun as a new attempt) can no longer write: its
next progress report finds no row, its step is rolled back and it stops. So a job is never
run twice at once, even by a worker that was only paused (a long garbage collection, a
suspended virtual machine) rather than dead. Clocks of the hosts must agree to well within
the lease (NTP).

**Stopping.** :func:`request_stop` (``trainhub worker`` on SIGTERM or Ctrl+C) asks every job
of this process to stop at its next progress report or checkpoint; the runner then stores
it as interrupted. Jobs still running when the worker's grace period ends are marked
interrupted by :func:`interrupt_running` before the process exits.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from trainhub.db import utcnow
from trainhub.jobs.models import Job, JobStatus
from trainhub.transaction import durable

log = logging.getLogger(__name__)

#: Shortest lease accepted (``TRAINHUB_JOB_LEASE_SECONDS``): heartbeats come 4 times a lease.
MIN_LEASE_SECONDS = 3

ABANDONED_MESSAGE = ("后台任务进程停止了响应（可能被终止或重启），任务已中断。"
                     "已完成的步骤都已保存，可以重新执行。")
STOPPED_MESSAGE = "后台任务进程已停止，任务已中断。已完成的步骤都已保存，可以重新执行。"


def worker_identity() -> str:
    """Who runs a job: ``host:pid`` of this process."""
    return f"{socket.gethostname()}:{os.getpid()}"[:200]


def lease_seconds() -> int:
    return int(current_app.config["JOB_LEASE_SECONDS"])


def heartbeat_interval(lease: float) -> float:
    return lease / 4


def fenced(job_id: str, attempt: int) -> sa.ColumnElement[bool]:
    """The rows a run may still write: its job, running, under its own attempt number."""
    return sa.and_(Job.id == job_id, Job.status == JobStatus.RUNNING, Job.attempt == attempt)


# stopping the worker ---------------------------------------------------------------------

_stop = threading.Event()


def request_stop() -> None:
    """Ask every job of this process to stop at its next progress report or checkpoint."""
    _stop.set()


def stop_requested() -> bool:
    return _stop.is_set()


def clear_stop() -> None:
    """Forget a stop request (a restarted consumer in the same process; tests)."""
    _stop.clear()


# heartbeats ------------------------------------------------------------------------------


class Heartbeat(threading.Thread):
    """Renews one run's ``heartbeat_at`` every ``interval`` seconds until :meth:`stop`.

    When a beat finds the run fenced off (declared interrupted, or rerun by another
    worker), :attr:`lost` is set and the thread ends; the job stops at its next progress
    report or checkpoint. A failed beat (database busy or away) is logged and retried at the
    next interval: only a lease that runs out interrupts the job.
    """

    def __init__(self, engine: sa.Engine, job_id: str, attempt: int, interval: float):
        super().__init__(name=f"heartbeat-{job_id[:8]}", daemon=True)
        self.engine = engine
        self.job_id = job_id
        self.attempt = attempt
        self.interval = interval
        self.lost = threading.Event()
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.wait(self.interval):
            try:
                with self.engine.begin() as conn:
                    renewed = conn.execute(
                        sa.update(Job).where(fenced(self.job_id, self.attempt))
                        .values(heartbeat_at=utcnow())
                    ).rowcount
            except Exception:
                log.warning("heartbeat of job %s failed; retrying", self.job_id, exc_info=True)
                continue
            if renewed != 1 and not self._done.is_set():
                log.warning("job %s (attempt %s) lost its lease", self.job_id, self.attempt)
                self.lost.set()
                return

    def stop(self) -> None:
        self._done.set()
        if self.is_alive() and self is not threading.current_thread():
            # a beat blocked by a busy database ends by itself, and then writes nothing
            self.join(timeout=min(self.interval, 5.0))


# runs of this process ----------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    """One claimed run of a job in this process."""

    job_id: str
    attempt: int
    heartbeat: Heartbeat = field(compare=False)


_running: dict[str, Run] = {}
_running_lock = threading.Lock()


def start_run(engine: sa.Engine, job_id: str, attempt: int, lease: float) -> Run:
    """Register the claimed run and start its heartbeat."""
    run = Run(job_id, attempt, Heartbeat(engine, job_id, attempt, heartbeat_interval(lease)))
    with _running_lock:
        _running[job_id] = run
    run.heartbeat.start()
    return run


def end_run(run: Run) -> None:
    run.heartbeat.stop()
    with _running_lock:
        if _running.get(run.job_id) is run:
            del _running[run.job_id]


def interrupt_running(engine: sa.Engine, message: str = STOPPED_MESSAGE) -> list[str]:
    """Mark every job this process still runs as interrupted (the worker is exiting)."""
    with _running_lock:
        runs = list(_running.values())
    interrupted = []
    for run in runs:
        run.heartbeat.stop()
        try:
            with engine.begin() as conn:
                done = conn.execute(
                    sa.update(Job).where(fenced(run.job_id, run.attempt))
                    .values(status=JobStatus.INTERRUPTED, error=message, finished_at=utcnow())
                ).rowcount
        except Exception:  # database busy or away: the lease will run out instead
            log.exception("could not mark job %s interrupted", run.job_id)
            continue
        if done:
            interrupted.append(run.job_id)
    if interrupted:
        log.warning("worker stopping: jobs %s interrupted", ", ".join(interrupted))
    return interrupted


# expired leases -----------------------------------------------------------------------------


def _expired(cutoff: datetime) -> sa.ColumnElement[bool]:
    # runs claimed before heartbeats existed have their start time only
    return sa.and_(Job.status == JobStatus.RUNNING,
                   sa.func.coalesce(Job.heartbeat_at, Job.started_at) < cutoff)


def interrupt_abandoned(session: Session, *, lease: float, now: datetime | None = None) -> int:
    """Store as interrupted every running job whose heartbeat is older than ``lease`` seconds.

    Writes through ``session`` without committing (the caller's unit of work commits).
    Reads first, so that the usual case — nothing expired — writes nothing. Returns how
    many jobs were interrupted.
    """
    cutoff = (now or utcnow()) - timedelta(seconds=lease)
    expired = session.scalars(sa.select(Job.id).where(_expired(cutoff))).all()
    if not expired:
        return 0
    count = session.execute(
        sa.update(Job).where(Job.id.in_(expired), _expired(cutoff))
        .values(status=JobStatus.INTERRUPTED, error=ABANDONED_MESSAGE, finished_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if count:
        log.warning("jobs %s lost their worker (no heartbeat for %s s): interrupted",
                    ", ".join(expired), lease)
    return count


def settle_leases() -> None:
    """:func:`interrupt_abandoned` in a transaction of its own, before a page shows jobs."""
    with durable() as session:
        interrupt_abandoned(session, lease=lease_seconds())
