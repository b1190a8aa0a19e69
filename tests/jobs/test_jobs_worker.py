"""``trainhub worker`` as the operator runs it: a separate process that picks up queued jobs,
and what becomes of a job when that process is killed or stopped in the middle of it.

Every wait is a poll with a deadline; no outcome depends on how long anything took.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from job_kinds_for_tests import STEP_ACTION, step_key

from trainhub.accounts.models import User
from trainhub.audit.models import AuditEntry
from trainhub.extensions import db
from trainhub.jobs import lease, operations
from trainhub.jobs.models import Job, JobStatus

BIN = Path(sys.executable).parent
#: The gated job kind must be known to the worker too: the same entry point as the
#: ``trainhub`` command, after importing the tests' job kinds.
TEST_WORKER = [sys.executable, "-c",
               "import job_kinds_for_tests; from trainhub.cli import main; main()"]
#: A short lease, so that a killed worker's job is found interrupted within seconds.
LEASE = 4
DEADLINE = 90  # seconds any single wait may take before the test gives up


@pytest.fixture
def app_config(app_config):
    return {**app_config, "JOB_LEASE_SECONDS": LEASE}


def _env(app) -> dict:
    env = {
        **os.environ,
        "TRAINHUB_INSTANCE_PATH": app.instance_path,
        "TRAINHUB_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "TRAINHUB_SECRET_KEY": app.config["SECRET_KEY"],
        "TRAINHUB_DATA_KEY": app.config["DATA_KEY"],
        "TRAINHUB_JOB_LEASE_SECONDS": str(LEASE),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(Path(__file__).parent),
                                                    os.environ.get("PYTHONPATH")])),
    }
    env.pop("TRAINHUB_JOBS_IMMEDIATE", None)
    return env


def _start(app, command=TEST_WORKER) -> subprocess.Popen:
    return subprocess.Popen([*command, "worker", "--workers", "1"], env=_env(app),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def _stop(worker: subprocess.Popen, sig=signal.SIGINT) -> str:
    if worker.poll() is None:
        worker.send_signal(sig)
    try:
        return worker.communicate(timeout=DEADLINE)[0].decode()
    except subprocess.TimeoutExpired:
        worker.kill()
        return worker.communicate()[0].decode()


def _read(app, job_id: str) -> Job:
    with app.app_context():
        job = db.session.get(Job, job_id)
        db.session.expunge(job)
        return job


def _wait_until(condition, worker: subprocess.Popen | None = None, what: str = "") -> None:
    deadline = time.monotonic() + DEADLINE
    while not condition():
        if worker is not None and worker.poll() is not None:
            pytest.fail(f"the worker exited while waiting for {what}:\n{_stop(worker)}")
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.1)


def _gated_job(app, user: User | None, gate: Path) -> str:
    with app.app_context():
        owner = db.session.get(User, user.id) if user is not None else None
        job_id = operations.enqueue("test.gated", params={"steps": 4, "gate_step": 2, "gate": str(gate)},
                                    user=owner).id
        db.session.commit()
    return job_id


def _step_counts(app, job_id: str) -> dict[str, int]:
    with app.app_context():
        rows = db.session.execute(
            sa.select(AuditEntry.target_id, sa.func.count()).where(AuditEntry.action == STEP_ACTION)
            .group_by(AuditEntry.target_id)
        ).all()
    return {key: count for key, count in rows if key.startswith(job_id)}


def _waiting_at_the_gate(app, job_id: str) -> bool:
    """Two steps committed, and the heartbeat thread renewed the lease since the claim."""
    job = _read(app, job_id)
    return (job.status == JobStatus.RUNNING and job.progress_done == 2
            and job.heartbeat_at is not None and job.heartbeat_at > job.started_at)


def test_the_worker_process_runs_a_queued_job(queued_app, small_data):
    with queued_app.app_context():
        job_id = operations.enqueue("demo.count").id
        db.session.commit()
    worker = _start(queued_app, [BIN / "trainhub"])
    try:
        _wait_until(lambda: _read(queued_app, job_id).status in (JobStatus.SUCCEEDED, JobStatus.FAILED),
                    worker, "the demo job")
    finally:
        output = _stop(worker)
    assert "后台任务进程已启动" in output and "SQLite" in output
    job = _read(queued_app, job_id)
    assert job.status == JobStatus.SUCCEEDED, output
    assert job.result["learners"] == 3 and job.progress_done == job.progress_total == 2
    assert job.attempt == 1 and job.worker.endswith(f":{worker.pid}")


def test_a_killed_worker_leaves_an_interrupted_job_that_reruns_without_repeating_steps(
        queued_app, api_headers, tmp_path):
    headers = api_headers("instructor")
    client = queued_app.test_client()
    with queued_app.app_context():
        from trainhub.accounts.operations import user_for_token

        owner = user_for_token(headers["Authorization"].split()[1])
        db.session.expunge(owner)
    gate = tmp_path / "gate"
    job_id = _gated_job(queued_app, owner, gate)

    worker = _start(queued_app)
    try:
        _wait_until(lambda: _waiting_at_the_gate(queued_app, job_id), worker, "the gate")
        worker.kill()  # SIGKILL in the middle of the job: no chance to clean up
        worker.wait(timeout=DEADLINE)
    finally:
        output = _stop(worker)
    assert _read(queued_app, job_id).status == JobStatus.RUNNING, output  # as the worker left it

    # once the lease runs out, every view of the job says it was interrupted
    _wait_until(lambda: client.get(f"/api/v1/jobs/{job_id}", headers=headers)
                .get_json()["status"] == "interrupted", what="the lease to run out")
    job = _read(queued_app, job_id)
    assert job.error == lease.ABANDONED_MESSAGE and job.progress_done == 2
    assert _step_counts(queued_app, job_id) == {step_key(job_id, 1): 1, step_key(job_id, 2): 1}

    gate.touch()
    rerun = client.post(f"/api/v1/jobs/{job_id}/rerun", headers=headers)
    assert rerun.status_code == 202 and rerun.get_json()["status"] == "queued"
    assert client.post(f"/api/v1/jobs/{job_id}/rerun", headers=headers).status_code == 409

    worker = _start(queued_app)
    try:
        _wait_until(lambda: _read(queued_app, job_id).status != JobStatus.QUEUED
                    and _read(queued_app, job_id).status != JobStatus.RUNNING, worker, "the rerun")
    finally:
        output = _stop(worker, signal.SIGTERM)
    job = _read(queued_app, job_id)
    assert job.status == JobStatus.SUCCEEDED, output
    assert job.attempt == 2 and job.result == {"written": 2, "attempt": 2}
    # every step's effect exists exactly once
    assert _step_counts(queued_app, job_id) == {step_key(job_id, step): 1 for step in (1, 2, 3, 4)}


def test_sigterm_lets_the_worker_leave_its_job_interrupted(queued_app, tmp_path):
    gate = tmp_path / "gate"  # never opened: the job waits until the worker is told to stop
    job_id = _gated_job(queued_app, None, gate)
    worker = _start(queued_app)
    try:
        _wait_until(lambda: _waiting_at_the_gate(queued_app, job_id), worker, "the gate")
    finally:
        output = _stop(worker, signal.SIGTERM)
    assert worker.returncode == 0, output
    # at once, without waiting for the lease: the worker said so before exiting
    job = _read(queued_app, job_id)
    assert job.status == JobStatus.INTERRUPTED, output
    assert job.error == lease.STOPPED_MESSAGE and job.progress_done == 2
    assert _step_counts(queued_app, job_id) == {step_key(job_id, 1): 1, step_key(job_id, 2): 1}
