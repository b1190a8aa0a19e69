"""The job queue: a job runs after its transaction commits, records progress, result or error."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest
import sqlalchemy as sa
from huey.storage import RedisStorage

from trainhub import create_app
from trainhub.accounts.models import User
from trainhub.audit.models import AuditEntry
from trainhub.extensions import db
from trainhub.jobs import operations
from trainhub.jobs.models import Job, JobStatus
from trainhub.jobs.queue import QUEUE_UNAVAILABLE_ERROR, UNEXPECTED_ERROR, huey


def _job(job_id: str) -> Job:
    db.session.expire_all()
    return db.session.get(Job, job_id)


def test_demo_job_runs_eagerly_and_records_progress_and_result(app, make_user, small_data):
    office = make_user("office")
    with app.app_context():
        job = operations.enqueue("demo.count", user=db.session.get(User, office.id))
        job_id = job.id
        assert job.status == JobStatus.QUEUED  # nothing runs before the commit
        db.session.commit()

        job = _job(job_id)
        assert job.status == JobStatus.SUCCEEDED
        assert job.kind == "demo.count" and job.created_by_id == office.id
        assert (job.progress_done, job.progress_total) == (2, 2)  # one step per province
        assert job.started_at is not None and job.finished_at >= job.started_at
        assert job.error is None
        result = job.result
        assert result["learners"] == 3 and result["counties"] == 2
        assert result["priority_counties"] == 1
        assert [(p["province"], p["learners"]) for p in result["provinces"]] == [("四川省", 1), ("贵州省", 2)]
        assert result["top_counties"][0]["code"] == "520526"
        assert db.session.scalar(sa.select(AuditEntry.action).where(AuditEntry.target_id == job_id)) == "job.enqueue"


def test_demo_job_on_an_empty_database_succeeds_with_zero_counts(app):
    with app.app_context():
        job_id = operations.enqueue("demo.count").id
        db.session.commit()
        job = _job(job_id)
        assert job.status == JobStatus.SUCCEEDED
        assert job.result["learners"] == 0 and job.progress_total == 0


def test_progress_is_committed_so_that_others_see_it(app, make_user):
    user = make_user("instructor")
    with app.app_context():
        job_id = operations.enqueue("test.steps", params={"steps": 4},
                                    user=db.session.get(User, user.id)).id
        db.session.commit()
        job = _job(job_id)
        assert job.status == JobStatus.SUCCEEDED
        # read through another connection while the job ran: every step was visible
        assert job.result == {"seen": [1, 2, 3, 4], "user_id": user.id}
        assert job.title == "测试任务：分步"


def test_a_crashing_job_fails_with_a_chinese_message_and_logs_the_traceback(app, caplog):
    caplog.set_level(logging.INFO, logger="trainhub.jobs.queue")
    with app.app_context():
        job_id = operations.enqueue("test.crash").id
        db.session.commit()
        job = _job(job_id)
        assert job.status == JobStatus.FAILED
        assert job.error == UNEXPECTED_ERROR and "意外错误" in job.error
        assert "boom" not in job.error  # the details stay in the log
        assert job.finished_at is not None
        assert (job.progress_done, job.progress_total) == (1, 2)  # the committed step stays
        # work done after the last progress report was rolled back
        assert not db.session.scalar(
            sa.select(sa.exists().where(AuditEntry.action == "test.after_last_progress"))
        )
    failure = [r for r in caplog.records if r.exc_info and "failed" in r.getMessage()]
    assert failure and "boom" in str(failure[0].exc_info[1])


def test_a_refused_job_shows_its_own_message(app):
    with app.app_context():
        job_id = operations.enqueue("test.refuse", "导入学员").id
        db.session.commit()
        job = _job(job_id)
        assert job.status == JobStatus.FAILED
        assert job.error == "文件中没有数据行，未做任何更改。"
        assert job.title == "导入学员"


def test_a_rolled_back_job_is_never_queued(app, caplog):
    caplog.set_level(logging.WARNING, logger="trainhub.jobs.queue")
    with app.app_context():
        operations.enqueue("test.steps")
        db.session.rollback()
        db.session.add(AuditEntry(action="test.other"))
        db.session.commit()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == 0
    assert not caplog.records  # nothing tried to run the vanished job


def test_a_job_enqueued_in_a_savepoint_waits_for_the_outer_commit(app):
    with app.app_context():
        with db.session.begin_nested():
            job_id = operations.enqueue("test.steps").id
        assert _job(job_id).status == JobStatus.QUEUED
        db.session.commit()
        assert _job(job_id).status == JobStatus.SUCCEEDED


def test_enqueue_refuses_unknown_kinds_and_unstorable_parameters(app):
    with app.app_context():
        with pytest.raises(ValueError, match="unknown job kind"):
            operations.enqueue("no.such.kind")
        with pytest.raises(ValueError, match="JSON"):
            operations.enqueue("test.steps", params={"when": object()})
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == 0


def test_without_immediate_mode_a_worker_runs_the_job_from_the_sqlite_queue(queued_app, small_data):
    assert huey.describe().startswith("SQLite")
    with queued_app.app_context():
        job_id = operations.enqueue("demo.count").id
        db.session.commit()
        assert _job(job_id).status == JobStatus.QUEUED
        assert huey.pending_count() == 1
    assert (Path(queued_app.instance_path) / "jobs.sqlite").exists()

    # what a worker thread does: no application context of its own
    task = huey.dequeue()
    huey.execute(task)

    with queued_app.app_context():
        job = _job(job_id)
        assert job.status == JobStatus.SUCCEEDED and job.result["learners"] == 3
        assert job.params == {}  # the demo job pauses between steps by itself in a worker


def test_a_job_is_run_at_most_once(queued_app):
    with queued_app.app_context():
        job_id = operations.enqueue("test.steps").id
        db.session.commit()
    task = huey.dequeue()
    huey.execute(task)
    with queued_app.app_context():
        finished_at = _job(job_id).finished_at
    huey.execute(task)  # delivered twice: the second run finds the job taken
    with queued_app.app_context():
        assert _job(job_id).finished_at == finished_at


def test_when_the_queue_refuses_the_task_the_job_says_so(queued_app, monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("queue down")

    monkeypatch.setattr(huey.storage, "enqueue", broken)
    with queued_app.app_context():
        job_id = operations.enqueue("test.steps").id
        db.session.commit()
        job = _job(job_id)
        assert job.status == JobStatus.FAILED
        assert job.error == QUEUE_UNAVAILABLE_ERROR


@pytest.mark.skipif(not os.environ.get("TRAINHUB_TEST_REDIS_URL"),
                    reason="set TRAINHUB_TEST_REDIS_URL to run the queue on a real Redis")
def test_a_job_travels_through_a_real_redis_queue(app, make_app, small_data, redis_url):
    redis_app = make_app(JOBS_IMMEDIATE=False, REDIS_URL=redis_url)
    assert isinstance(huey.storage, RedisStorage)
    huey.flush()
    with redis_app.app_context():
        job_id = operations.enqueue("demo.count").id
        db.session.commit()
    assert huey.pending_count() == 1
    huey.execute(huey.dequeue())
    with redis_app.app_context():
        job = _job(job_id)
        assert job.status == JobStatus.SUCCEEDED and job.result["learners"] == 3
    huey.flush()


def test_redis_is_used_when_configured_without_connecting_at_start_up(app, app_config):
    redis_app = create_app({**app_config, "JOBS_IMMEDIATE": False, "REDIS_URL": "redis://127.0.0.1:1/0"})
    assert isinstance(huey.storage, RedisStorage)
    assert huey.describe() == "Redis 队列"
    assert redis_app.extensions["trainhub_jobs"] is huey
    with redis_app.app_context():
        db.engine.dispose()
