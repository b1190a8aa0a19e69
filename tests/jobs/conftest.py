"""Fixtures of the jobs tests: job kinds that exercise the queue, a little data to count."""

from __future__ import annotations

from datetime import date, timedelta

import job_kinds_for_tests  # noqa: F401  (registers test.gated, also known to worker processes)
import pytest
import sqlalchemy as sa

from trainhub.audit.operations import record
from trainhub.extensions import db
from trainhub.jobs import lease
from trainhub.jobs.models import Job
from trainhub.jobs.queue import JobError, job_kind


@job_kind("test.steps", title="测试任务：分步")
def _steps(ctx, steps: int = 3) -> dict:
    """Reports each step and records what another connection sees meanwhile."""
    seen = []
    for done in range(1, steps + 1):
        ctx.progress(done, total=steps)
        with db.engine.connect() as other:
            seen.append(other.scalar(sa.select(Job.progress_done).where(Job.id == ctx.job_id)))
    return {"seen": seen, "user_id": ctx.user_id}


@job_kind("test.crash", title="测试任务：意外错误")
def _crash(ctx) -> dict:
    ctx.progress(1, total=2)
    record("test.after_last_progress", actor_id=ctx.user_id)
    db.session.flush()
    raise RuntimeError("boom: details only for the log")


@job_kind("test.refuse", title="测试任务：预期的失败")
def _refuse(ctx) -> dict:
    raise JobError("文件中没有数据行，未做任何更改。")


@pytest.fixture
def small_data(app):
    """Three learners in two counties of two provinces (one county flagged as priority)."""
    from trainhub.geo.models import County
    from trainhub.learners.models import Gender, Learner
    from trainhub.orgs.models import Organisation, OrgKind
    from trainhub.pii import cipher

    with app.app_context():
        guizhou = County(code="520526", name="威宁彝族回族苗族自治县", prefecture="毕节市",
                         province="贵州省", province_code="52", list_version="NBS-2023",
                         is_priority=True)
        sichuan = County(code="513431", name="昭觉县", prefecture="凉山彝族自治州",
                         province="四川省", province_code="51", list_version="NBS-2023")
        db.session.add_all([guizhou, sichuan])
        orgs = [Organisation(name="威宁县阳光社会工作服务中心", kind=OrgKind.AGENCY, county=guizhou),
                Organisation(name="昭觉县新城镇社会工作服务站", kind=OrgKind.STATION, county=sichuan)]
        db.session.add_all(orgs)
        numbers = ["520526199003074472", "520526199003072311", "513431199003074479"]
        for index, (org, number) in enumerate(zip([orgs[0], orgs[0], orgs[1]], numbers, strict=True)):
            learner = Learner(name=f"学员{index}", gender=Gender.MALE, birth_date=date(1990, 3, 7),
                              organisation=org)
            learner.set_id_number(number, cipher())
            db.session.add(learner)
        db.session.commit()


@pytest.fixture
def make_job(app):
    """Insert a job row in a given state (not queued anywhere); returns its id."""
    from trainhub.db import utcnow
    from trainhub.jobs.models import JobStatus

    def make(user=None, *, status: JobStatus = JobStatus.RUNNING, done: int = 0,
             total: int | None = None, kind: str = "demo.count", title: str = "演示任务：按县统计学员人数",
             result: dict | None = None, error: str | None = None, params: dict | None = None,
             heartbeat_age: float = 0.0) -> str:
        """``heartbeat_age``: seconds since the (running) job's worker last beat."""
        with app.app_context():
            started = None if status == JobStatus.QUEUED else utcnow() - timedelta(seconds=heartbeat_age)
            job = Job(kind=kind, title=title, status=status, params=params or {}, progress_done=done,
                      progress_total=total, result=result, error=error,
                      created_by_id=user.id if user is not None else None,
                      started_at=started, attempt=0 if started is None else 1,
                      worker=None if started is None else "app1:4242",
                      heartbeat_at=started if status == JobStatus.RUNNING else None)
            db.session.add(job)
            db.session.commit()
            return job.id

    return make


@pytest.fixture
def queued_app(app, app_config):
    """An application with a real (SQLite) queue instead of immediate mode."""
    from trainhub import create_app
    from trainhub.jobs.queue import huey

    queued = create_app({**app_config, "JOBS_IMMEDIATE": False})
    yield queued
    with queued.app_context():
        db.session.remove()
        db.engine.dispose()
    huey.storage.close()


@pytest.fixture(autouse=True)
def _no_stop_request_left_behind():
    """A test that asks this process's jobs to stop must not stop the next test's."""
    yield
    lease.clear_stop()
