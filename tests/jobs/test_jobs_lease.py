"""Leases: a job whose worker vanished reads as interrupted; a run that lost its lease
cannot write; a stopping worker leaves its jobs interrupted, not running."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from trainhub import create_app
from trainhub.accounts.models import User
from trainhub.audit.models import AuditEntry
from trainhub.audit.operations import record
from trainhub.config import ConfigError
from trainhub.extensions import db
from trainhub.jobs import lease, operations
from trainhub.jobs.models import Job, JobStatus
from trainhub.jobs.queue import job_kind
from trainhub.jobs.tasks import interrupt_abandoned_jobs

STALE = 600  # seconds without a heartbeat: far beyond the default lease of 90 s


def _job(job_id: str) -> Job:
    db.session.expire_all()
    return db.session.get(Job, job_id)


def _actions() -> list[str]:
    return list(db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)))


@job_kind("test.loses_lease", title="测试任务：执行中失去租约")
def _loses_lease(ctx) -> dict:
    record("test.step_one", actor_id=ctx.user_id)
    ctx.progress(1, total=2)
    # meanwhile the job is declared interrupted elsewhere (its heartbeat looked too old)
    with db.engine.begin() as other:
        other.execute(sa.update(Job).where(Job.id == ctx.job_id)
                      .values(status=JobStatus.INTERRUPTED, error=lease.ABANDONED_MESSAGE))
    record("test.step_two", actor_id=ctx.user_id)
    ctx.progress(2)
    return {"finished": True}


#: What the heartbeat job saw; a job cannot commit what happens after it lost its lease.
_seen: dict = {}


@job_kind("test.heartbeat", title="测试任务：心跳")
def _heartbeat(ctx) -> dict:
    """Wait (bounded) for the heartbeat thread to renew the lease, then lose the job."""
    claimed = ctx.job.heartbeat_at
    deadline = time.monotonic() + 60
    with db.engine.connect() as other:
        while time.monotonic() < deadline:
            beat = other.scalar(sa.select(Job.heartbeat_at).where(Job.id == ctx.job_id))
            other.rollback()
            if beat > claimed:
                _seen["renewed"] = True
                break
            time.sleep(0.05)
    with db.engine.begin() as other:  # another worker claims the job as a new attempt
        other.execute(sa.update(Job).where(Job.id == ctx.job_id).values(attempt=Job.attempt + 1))
    while time.monotonic() < deadline:
        ctx.checkpoint()  # raises once the heartbeat thread has found the job taken
        time.sleep(0.05)
    return {"never": "reached"}


def test_a_job_without_a_heartbeat_is_stored_as_interrupted_when_read(client, login, app, make_job):
    user = login("instructor")
    stale = make_job(user, done=2, total=5, heartbeat_age=STALE, title="失去响应的任务")
    fresh = make_job(user, done=1, total=5, title="正常执行的任务")

    listing = client.get("/jobs").get_data(as_text=True)
    assert listing.count('data-job-field="status">已中断<') == 1
    assert listing.count('data-job-field="status">进行中<') == 1
    with app.app_context():
        job = _job(stale)
        assert job.status == JobStatus.INTERRUPTED and job.error == lease.ABANDONED_MESSAGE
        assert job.finished_at is not None and job.progress_done == 2  # committed steps stay
        assert _job(fresh).status == JobStatus.RUNNING

    page = client.get(f"/jobs/{stale}").get_data(as_text=True)
    assert "任务已中断" in page and lease.ABANDONED_MESSAGE in page
    assert f'action="/jobs/{stale}/rerun"' in page and "重新执行" in page
    assert 'data-job-finished="true"' in page  # the page stops polling
    fresh_page = client.get(f"/jobs/{fresh}").get_data(as_text=True)
    assert "重新执行" not in fresh_page and "任务已中断" not in fresh_page
    body = client.get(f"/jobs/{stale}/status.json").get_json()
    assert (body["status"], body["status_label"], body["finished"]) == ("interrupted", "已中断", True)


def test_the_api_shows_an_abandoned_job_as_interrupted(client, app, api_headers, make_job):
    from trainhub.accounts.operations import user_for_token

    headers = api_headers("office")
    with app.app_context():
        owner = user_for_token(headers["Authorization"].split()[1])
        stale = make_job(owner, heartbeat_age=STALE)
    job = client.get(f"/api/v1/jobs/{stale}", headers=headers).get_json()
    assert job["status"] == "interrupted" and job["status_label"] == "已中断"
    assert job["error"] == lease.ABANDONED_MESSAGE and job["worker"] == "app1:4242"
    assert job["attempt"] == 1 and job["heartbeat_at"] is not None
    listed = client.get("/api/v1/jobs", headers=headers).get_json()["items"]
    assert [item["status"] for item in listed] == ["interrupted"]


def test_the_worker_interrupts_abandoned_jobs_every_minute(app, make_job):
    stale = make_job(None, heartbeat_age=STALE)
    fresh = make_job(None)
    queued = make_job(None, status=JobStatus.QUEUED)
    interrupt_abandoned_jobs()  # the periodic task (immediate mode runs it at once)
    with app.app_context():
        assert _job(stale).status == JobStatus.INTERRUPTED
        assert _job(fresh).status == JobStatus.RUNNING
        assert _job(queued).status == JobStatus.QUEUED


def test_a_run_that_lost_its_lease_cannot_write(app, make_user):
    user = make_user("office")
    with app.app_context():
        job_id = operations.enqueue("test.loses_lease", user=db.session.get(User, user.id)).id
        db.session.commit()
        job = _job(job_id)
        # the run stopped: neither success nor failure overwrote the interruption
        assert job.status == JobStatus.INTERRUPTED and job.result is None
        assert job.error == lease.ABANDONED_MESSAGE and job.progress_done == 1
        actions = _actions()
        assert "test.step_one" in actions and "test.step_two" not in actions  # rolled back


def test_the_heartbeat_renews_the_lease_and_notices_a_lost_job(make_app, caplog):
    short = make_app(JOB_LEASE_SECONDS=3)  # a beat every 0.75 s
    _seen.clear()
    with short.app_context():
        job_id = operations.enqueue("test.heartbeat").id
        db.session.commit()
        job = _job(job_id)
    assert _seen == {"renewed": True}
    # the other attempt owns the job now: this run recorded nothing
    assert job.status == JobStatus.RUNNING and job.attempt == 2 and job.result is None
    assert any("lost its lease" in r.getMessage() for r in caplog.records)


def test_a_stopping_worker_finishes_the_step_and_leaves_the_job_interrupted(app):
    lease.request_stop()
    with app.app_context():
        job_id = operations.enqueue("test.steps", params={"steps": 3}).id
        db.session.commit()
        job = _job(job_id)
        assert job.status == JobStatus.INTERRUPTED and job.error == lease.STOPPED_MESSAGE
        assert (job.progress_done, job.progress_total) == (1, 3)  # the first step was committed


def test_jobs_still_running_when_the_worker_exits_are_marked_interrupted(app, make_job):
    job_id = make_job(None, done=1, total=3)
    with app.app_context():
        run = lease.start_run(db.engine, job_id, 1, lease=90)
        try:
            assert lease.interrupt_running(db.engine) == [job_id]
        finally:
            lease.end_run(run)
        job = _job(job_id)
        assert job.status == JobStatus.INTERRUPTED and job.error == lease.STOPPED_MESSAGE
        assert lease.interrupt_running(db.engine) == []  # nothing left running


@pytest.mark.parametrize("value", [0, 2, -5, "90"])
def test_the_lease_must_be_a_sensible_number_of_seconds(app_config, value):
    with pytest.raises(ConfigError, match="TRAINHUB_JOB_LEASE_SECONDS"):
        create_app({**app_config, "JOB_LEASE_SECONDS": value})


def test_the_lease_is_read_from_the_environment(app_config, monkeypatch):
    monkeypatch.setenv("TRAINHUB_JOB_LEASE_SECONDS", "120")
    configured = create_app(app_config)
    assert configured.config["JOB_LEASE_SECONDS"] == 120
    with configured.app_context():
        db.engine.dispose()
