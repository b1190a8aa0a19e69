"""Jobs API: a client follows its own jobs (the office: all) with a bearer token."""

from __future__ import annotations

from trainhub.accounts.models import User
from trainhub.extensions import db
from trainhub.jobs.models import JobStatus


def _owner(app, headers) -> User:
    """The user the bearer token in ``headers`` belongs to."""
    from trainhub.accounts.operations import user_for_token

    with app.app_context():
        user = user_for_token(headers["Authorization"].split()[1])
        db.session.expunge(user)
        return user


def test_a_client_lists_and_reads_its_own_jobs(client, app, api_headers, make_user, make_job):
    headers = api_headers("instructor")
    me = _owner(app, headers)
    mine = make_job(me, done=2, total=8)
    finished = make_job(me, status=JobStatus.SUCCEEDED, done=1, total=1, result={"learners": 3})
    make_job(make_user("trainee"), title="别人的任务")

    response = client.get("/api/v1/jobs", headers=headers)
    assert response.status_code == 200
    body = response.get_json()
    assert body["total"] == 2 and {item["id"] for item in body["items"]} == {mine, finished}

    job = client.get(f"/api/v1/jobs/{mine}", headers=headers).get_json()
    assert job["status"] == "running" and job["status_label"] == "进行中"
    assert (job["progress_done"], job["progress_total"], job["percent"]) == (2, 8, 25)
    assert job["created_by"] == me.username and job["result"] is None
    assert job["worker"] is None and job["attempt"] == 1  # the worker's host is for the office
    done = client.get(f"/api/v1/jobs/{finished}", headers=headers).get_json()
    assert done["percent"] == 100 and done["result"] == {"learners": 3}


def test_another_users_job_is_not_found(client, app, api_headers, make_user, make_job):
    others = make_job(make_user("trainee"))
    response = client.get(f"/api/v1/jobs/{others}", headers=api_headers("instructor"))
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert "任务不存在" in response.get_json()["detail"]


def test_the_office_sees_every_job(client, api_headers, make_user, make_job):
    make_job(make_user("trainee"))
    make_job(make_user("instructor"))
    headers = api_headers("office")
    assert client.get("/api/v1/jobs", headers=headers).get_json()["total"] == 2


def test_the_api_wants_a_token_not_the_session_cookie(client, login, make_job):
    user = login("office")
    job_id = make_job(user)
    for url in ("/api/v1/jobs", f"/api/v1/jobs/{job_id}"):
        response = client.get(url)
        assert response.status_code == 401
        assert response.mimetype == "application/problem+json"


def test_bad_paging_names_the_field(client, api_headers):
    response = client.get("/api/v1/jobs?page=0&per_page=abc", headers=api_headers("office"))
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert "page" in errors and "per_page" in errors
