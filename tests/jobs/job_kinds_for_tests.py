"""Job kinds for tests that a separate worker process must know as well.

``tests/jobs/conftest.py`` imports this module; the worker tests start ``trainhub worker``
through the same entry point after importing it (see ``test_jobs_worker.py``).
"""

from __future__ import annotations

import time
from pathlib import Path

import sqlalchemy as sa

from trainhub.audit.models import AuditEntry
from trainhub.audit.operations import record
from trainhub.extensions import db
from trainhub.jobs.queue import JobContext, JobError, job_kind

#: How long a gated job waits for its gate before giving up (a test that forgot it).
GATE_TIMEOUT_SECONDS = 120
STEP_ACTION = "test.gated_step"


def step_key(job_id: str, step: int) -> str:
    return f"{job_id}:{step}"


@job_kind("test.gated", title="测试任务：逐步写入，在闸门前等待")
def gated(ctx: JobContext, steps: int = 4, gate_step: int = 2, gate: str | None = None) -> dict:
    """A rerunnable job with effects: one audit entry per step, never two.

    After ``gate_step`` steps it waits (outside any transaction) until the file ``gate``
    exists, checking for a stop request meanwhile, so that a test can stop or kill its
    worker in the middle of the job and know exactly where it stopped.
    """
    ctx.progress(ctx.resume_from, total=steps)
    written = 0
    for step in range(1, steps + 1):
        if gate and step == gate_step + 1:
            _wait_for(Path(gate), ctx)
        key = step_key(ctx.job_id, step)
        done = db.session.scalar(sa.select(sa.exists().where(
            AuditEntry.action == STEP_ACTION, AuditEntry.target_id == key)))
        if not done:  # idempotent: a rerun skips what a previous run committed
            record(STEP_ACTION, target_type="job_step", target_id=key, actor_id=ctx.user_id)
            written += 1
        ctx.progress(step)
    return {"written": written, "attempt": ctx.attempt}


def _wait_for(gate: Path, ctx: JobContext) -> None:
    deadline = time.monotonic() + GATE_TIMEOUT_SECONDS
    while not gate.exists():
        ctx.checkpoint()
        if time.monotonic() > deadline:
            raise JobError("测试闸门一直没有打开。")
        time.sleep(0.05)
