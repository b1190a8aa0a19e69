"""``trainhub worker`` as the operator runs it: a separate process that picks up queued jobs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from trainhub.extensions import db
from trainhub.jobs import operations
from trainhub.jobs.models import Job, JobStatus

BIN = Path(sys.executable).parent


def test_the_worker_process_runs_a_queued_job(queued_app, small_data):
    with queued_app.app_context():
        job_id = operations.start_demo_count(None).id
        db.session.commit()
    env = {
        **os.environ,
        "TRAINHUB_INSTANCE_PATH": queued_app.instance_path,
        "TRAINHUB_DATABASE_URL": queued_app.config["SQLALCHEMY_DATABASE_URI"],
        "TRAINHUB_SECRET_KEY": queued_app.config["SECRET_KEY"],
        "TRAINHUB_DATA_KEY": queued_app.config["DATA_KEY"],
    }
    env.pop("TRAINHUB_JOBS_IMMEDIATE", None)
    worker = subprocess.Popen([BIN / "trainhub", "worker", "--workers", "1"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        status = None
        for _ in range(600):  # bounded wait: the job itself takes about a second
            with queued_app.app_context():
                status = db.session.get(Job, job_id).status
            if status in (JobStatus.SUCCEEDED, JobStatus.FAILED) or worker.poll() is not None:
                break
            time.sleep(0.1)
    finally:
        worker.send_signal(signal.SIGINT)
        output = worker.communicate(timeout=30)[0].decode()
    assert status == JobStatus.SUCCEEDED, output
    assert "后台任务 worker 已启动" in output and "SQLite" in output
    with queued_app.app_context():
        job = db.session.get(Job, job_id)
        assert job.result["learners"] == 3 and job.progress_done == job.progress_total == 2
