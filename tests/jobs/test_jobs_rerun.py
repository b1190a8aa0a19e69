"""Rerunning an interrupted job: its creator or the office, once, without repeating steps."""

from __future__ import annotations

import threading

import sqlalchemy as sa
from job_kinds_for_tests import STEP_ACTION, step_key

from trainhub.accounts.operations import user_for_token
from trainhub.audit.models import AuditEntry
from trainhub.extensions import db
from trainhub.jobs import lease
from trainhub.jobs.models import Job, JobStatus
from trainhub.jobs.queue import huey


def _job(app, job_id: str) -> Job:
    with app.app_context():
        job = db.session.get(Job, job_id)
        db.session.expunge(job)
        return job


def _step_keys(app, job_id: str) -> list[str]:
    """The gated job's effects: one audit entry per step (sorted, duplicates kept)."""
    with app.app_context():
        return sorted(db.session.scalars(sa.select(AuditEntry.target_id).where(
            AuditEntry.action == STEP_ACTION, AuditEntry.target_id.startswith(job_id))))


def _rerun_entries(app, job_id: str) -> list[int | None]:
    with app.app_context():
        return list(db.session.scalars(sa.select(AuditEntry.actor_id).where(
            AuditEntry.action == "job.rerun", AuditEntry.target_id == job_id)))


def _interrupted_gated_job(app, make_job, user, *, done: int = 2) -> str:
    """A gated job of 4 steps interrupted after ``done`` committed steps (with their effects)."""
    from trainhub.audit.operations import record

    job_id = make_job(user, status=JobStatus.INTERRUPTED, done=done, total=4, kind="test.gated",
                      title="分步写入", params={"steps": 4}, error=lease.ABANDONED_MESSAGE)
    with app.app_context():
        for step in range(1, done + 1):
            record(STEP_ACTION, target_type="job_step", target_id=step_key(job_id, step))
        db.session.commit()
    return job_id


def test_the_owner_reruns_an_interrupted_job_from_its_page(client, login, app, make_job):
    user = login("instructor")
    job_id = _interrupted_gated_job(app, make_job, user)

    response = client.post(f"/jobs/{job_id}/rerun")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/jobs/{job_id}")
    job = _job(app, job_id)  # immediate mode: it ran at the commit
    assert job.status == JobStatus.SUCCEEDED and job.error is None
    assert job.attempt == 2 and (job.progress_done, job.progress_total) == (4, 4)
    assert job.result == {"written": 2, "attempt": 2}  # steps 1 and 2 were not redone
    assert _step_keys(app, job_id) == [step_key(job_id, step) for step in (1, 2, 3, 4)]
    assert _rerun_entries(app, job_id) == [user.id]
    page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert "任务已重新提交" in page and "执行次数" in page and "重新执行" not in page

    # a second rerun of the finished job is refused and changes nothing
    response = client.post(f"/jobs/{job_id}/rerun")
    assert response.status_code == 409
    assert "只有已中断的任务可以重新执行；此任务现在的状态是“已完成”。" in response.get_data(as_text=True)
    assert _job(app, job_id).attempt == 2 and len(_rerun_entries(app, job_id)) == 1


def test_a_running_job_cannot_be_rerun(client, login, app, make_job):
    user = login("office")
    job_id = make_job(user, done=1, total=4, kind="test.gated")
    response = client.post(f"/jobs/{job_id}/rerun")
    assert response.status_code == 409
    assert "此任务现在的状态是“进行中”" in response.get_data(as_text=True)
    job = _job(app, job_id)
    assert job.status == JobStatus.RUNNING and job.attempt == 1
    assert _rerun_entries(app, job_id) == []


def test_a_running_job_whose_lease_ran_out_can_be_rerun_at_once(client, login, app, make_job):
    user = login("office")
    job_id = make_job(user, done=0, total=4, kind="test.gated", params={"steps": 4},
                      heartbeat_age=600)
    assert client.post(f"/jobs/{job_id}/rerun").status_code == 302
    assert _job(app, job_id).status == JobStatus.SUCCEEDED


def test_only_the_owner_or_the_office_reruns(client, login, app, make_user, make_job):
    owner = make_user("instructor")
    job_id = _interrupted_gated_job(app, make_job, owner)
    login("instructor")
    assert client.post(f"/jobs/{job_id}/rerun").status_code == 404
    assert _job(app, job_id).status == JobStatus.INTERRUPTED
    client.post("/logout")
    office = login("office")
    assert client.post(f"/jobs/{job_id}/rerun").status_code == 302
    assert _job(app, job_id).status == JobStatus.SUCCEEDED
    assert _rerun_entries(app, job_id) == [office.id]


def test_the_rerun_form_needs_its_csrf_token(make_app, make_user, make_job):
    guarded = make_app(WTF_CSRF_ENABLED=True)
    client = guarded.test_client()
    user = make_user("office")
    with client.session_transaction() as session:
        session["_user_id"] = f"{user.id}:{user.session_version}"
        session["_fresh"] = True
    job_id = _interrupted_gated_job(guarded, make_job, user)
    response = client.post(f"/jobs/{job_id}/rerun")
    assert response.status_code == 400
    assert _job(guarded, job_id).status == JobStatus.INTERRUPTED


def test_the_api_reruns_an_interrupted_job_once(client, app, api_headers, make_user, make_job):
    headers = api_headers("trainee")
    with app.app_context():
        me = user_for_token(headers["Authorization"].split()[1])
        db.session.expunge(me)
    job_id = _interrupted_gated_job(app, make_job, me, done=3)

    response = client.post(f"/api/v1/jobs/{job_id}/rerun", headers=headers)
    assert response.status_code == 202
    body = response.get_json()
    # answered as queued; once the request committed, the (immediate) queue ran it again
    assert body["id"] == job_id and body["status"] == "queued"
    job = _job(app, job_id)
    assert job.status == JobStatus.SUCCEEDED and job.attempt == 2
    assert _step_keys(app, job_id) == [step_key(job_id, step) for step in (1, 2, 3, 4)]

    again = client.post(f"/api/v1/jobs/{job_id}/rerun", headers=headers)
    assert again.status_code == 409 and again.mimetype == "application/problem+json"
    assert "只有已中断的任务可以重新执行" in again.get_json()["detail"]
    assert _rerun_entries(app, job_id) == [me.id]

    others = _interrupted_gated_job(app, make_job, make_user("trainee"))
    missing = client.post(f"/api/v1/jobs/{others}/rerun", headers=headers)
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"
    assert _job(app, others).status == JobStatus.INTERRUPTED
    assert client.post("/api/v1/jobs/no-such-job/rerun", headers=headers).status_code == 404


def test_two_reruns_queue_the_job_once(queued_app, api_headers, make_user, make_job):
    headers = api_headers("office")
    job_id = _interrupted_gated_job(queued_app, make_job, make_user("instructor"))
    client = queued_app.test_client()
    first = client.post(f"/api/v1/jobs/{job_id}/rerun", headers=headers)
    second = client.post(f"/api/v1/jobs/{job_id}/rerun", headers=headers)
    assert (first.status_code, second.status_code) == (202, 409)
    assert first.get_json()["status"] == "queued"
    assert "此任务现在的状态是“排队中”" in second.get_json()["detail"]
    assert huey.pending_count() == 1
    huey.execute(huey.dequeue())  # what a worker thread does
    job = _job(queued_app, job_id)
    assert job.status == JobStatus.SUCCEEDED and job.attempt == 2
    assert len(_step_keys(queued_app, job_id)) == 4


def test_simultaneous_reruns_queue_the_job_once(queued_app, api_headers, make_job):
    headers = api_headers("office")
    job_id = _interrupted_gated_job(queued_app, make_job, None)
    start = threading.Barrier(3)
    answers: list[int] = []

    def rerun() -> None:
        client = queued_app.test_client()
        start.wait()
        answers.append(client.post(f"/api/v1/jobs/{job_id}/rerun", headers=headers).status_code)

    threads = [threading.Thread(target=rerun) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(answers) == [202, 409, 409]
    assert huey.pending_count() == 1 and len(_rerun_entries(queued_app, job_id)) == 1
