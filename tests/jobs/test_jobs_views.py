"""Job pages: the list, one job with its progress bar, the status JSON, the demo button."""

from __future__ import annotations

import re

import sqlalchemy as sa

from trainhub.extensions import db
from trainhub.jobs.models import Job, JobStatus
from trainhub.jobs.queue import UNEXPECTED_ERROR
from trainhub.templating import format_localtime


def _jobs(app) -> list[Job]:
    with app.app_context():
        return list(db.session.scalars(sa.select(Job)))


def status_badges(html: str) -> list[tuple[str, str]]:
    """``(colour, label)`` of every job status badge in ``html`` (not words elsewhere, such
    as the "已完成 3 / 10 步" of a running job)."""
    return re.findall(r'<span class="badge text-bg-(\w+)" data-job-field="status">([^<]*)</span>', html)


def list_row(listing: str, job_id: str) -> str:
    """The table row of the job list that links to ``job_id``."""
    rows = [row for row in re.findall(r"<tr>.*?</tr>", listing, flags=re.S)
            if f'href="/jobs/{job_id}"' in row]
    assert len(rows) == 1, f"job {job_id} is listed {len(rows)} times"
    return rows[0]


def test_office_starts_the_demo_job_and_sees_its_result(client, login, app, small_data):
    login("office")
    page = client.get("/jobs").get_data(as_text=True)
    assert "后台任务" in page and "启动演示任务" in page and "暂无后台任务" in page

    response = client.post("/jobs/demo")
    assert response.status_code == 302
    (job,) = _jobs(app)
    assert response.headers["Location"].endswith(f"/jobs/{job.id}")
    assert job.status == JobStatus.SUCCEEDED  # immediate mode: it ran at the commit

    page = client.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert "演示任务已提交" in page
    assert 'data-job-field="status">已完成<' in page and "100%" in page
    assert "共统计学员 <strong>3</strong> 名" in page and "威宁彝族回族苗族自治县" in page
    assert "刷新进度" not in page  # finished: nothing left to refresh

    listing = client.get("/jobs").get_data(as_text=True)
    assert "演示任务：按县统计学员人数" in listing
    assert 'data-job-field="status">已完成<' in listing


def test_a_running_job_shows_its_progress_and_works_without_javascript(client, login, make_job):
    user = login("instructor")
    job_id = make_job(user, done=3, total=10)
    page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert status_badges(page) == [("primary", "进行中")]
    assert 'aria-valuenow="30"' in page and "width: 30%" in page
    assert "已完成 3 / 10 步" in page and 'data-job-finished="false"' in page
    assert status_badges(list_row(client.get("/jobs").get_data(as_text=True), job_id)) == [
        ("primary", "进行中")]
    assert f'href="/jobs/{job_id}">刷新进度</a>' in page  # without JavaScript: a refresh link
    assert f'data-job-status-url="/jobs/{job_id}/status.json"' in page
    assert "/static/jobs.js" in page
    with client.get("/static/jobs.js") as script:
        assert script.status_code == 200 and b"status.json" not in script.data  # URL from the page
        assert b"data-job-status-url" in script.data


def test_a_job_of_unknown_length_shows_a_moving_bar(client, login, make_job):
    user = login("instructor")
    job_id = make_job(user, status=JobStatus.QUEUED)
    page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert "排队中" in page and "progress-bar-animated" in page
    # the fields the polling script rewrites once the job starts
    assert '<dd class="col-sm-9" data-job-field="started_at_text">尚未开始</dd>' in page
    assert 'data-job-field="queued_hint">如长时间处于“排队中”，请联系项目办确认后台任务进程正在运行。' in page
    with client.get("/static/jobs.js") as script:
        for field in (b"started_at_text", b"finished_at_text", b"worker_text", b"queued_hint"):
            assert field in script.data


def test_the_job_page_speaks_chinese_to_its_reader(client, login, make_job):
    user = login("office")
    for status in JobStatus:
        page = client.get(f"/jobs/{make_job(user, status=status)}").get_data(as_text=True)
        text = re.sub(r"<[^>]*>", " ", page.split("<main", 1)[-1].split("</main>", 1)[0])
        assert "worker" not in text.lower(), status  # what the reader sees, not the markup
    job_id = make_job(user)
    page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert "后台任务进程" in page and "主机 app1，进程 4242" in page
    assert client.get(f"/jobs/{job_id}/status.json").get_json()["worker_text"] == "主机 app1，进程 4242"


def test_a_failed_job_shows_its_chinese_error(client, login, make_job):
    user = login("office")
    job_id = make_job(user, status=JobStatus.FAILED, done=1, total=2, error=UNEXPECTED_ERROR)
    page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert status_badges(page) == [("danger", "失败")]
    assert f"<strong>任务失败：</strong>{UNEXPECTED_ERROR}" in page


def test_status_json(client, login, make_job, app):
    user = login("trainee")
    job_id = make_job(user, done=1, total=4)
    with app.app_context():
        started = format_localtime(db.session.get(Job, job_id).started_at)
    response = client.get(f"/jobs/{job_id}/status.json")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.get_json() == {
        "id": job_id, "status": "running", "status_label": "进行中", "progress_done": 1,
        "progress_total": 4, "percent": 25, "finished": False, "error": None,
        # every field of the page that changes while the job runs
        "started_at_text": started, "finished_at_text": "—",
        "worker_text": "—",  # host names and process ids are for the office
    }
    queued = client.get(f"/jobs/{make_job(user, status=JobStatus.QUEUED)}/status.json").get_json()
    assert queued["started_at_text"] == "尚未开始"
    assert "后台任务进程" not in client.get(f"/jobs/{job_id}").get_data(as_text=True)
    failed = make_job(user, status=JobStatus.FAILED, error="文件中没有数据行。")
    body = client.get(f"/jobs/{failed}/status.json").get_json()
    assert body["finished"] is True and body["error"] == "文件中没有数据行。"


def test_users_see_only_their_own_jobs_and_the_office_sees_all(client, login, make_user, make_job):
    other = make_user("instructor")
    others_job = make_job(other, title="别人的任务")
    me = login("trainee")
    my_job = make_job(me, title="我的任务")

    listing = client.get("/jobs").get_data(as_text=True)
    assert "我的任务" in listing and "别人的任务" not in listing
    assert "启动演示任务" not in listing and "提交人" not in listing
    assert client.get(f"/jobs/{others_job}").status_code == 404
    assert client.get(f"/jobs/{others_job}/status.json").status_code == 404
    assert client.get("/jobs/no-such-job").status_code == 404

    client.post("/logout")
    office = login("office")
    listing = client.get("/jobs").get_data(as_text=True)
    assert "我的任务" in listing and "别人的任务" in listing and "提交人" in listing
    assert office.id != me.id
    assert client.get(f"/jobs/{my_job}").status_code == 200
    assert client.get(f"/jobs/{others_job}/status.json").status_code == 200


def test_only_the_office_starts_the_demo_job(client, login, app):
    login("instructor")
    assert client.post("/jobs/demo").status_code == 403
    assert _jobs(app) == []


def test_signed_out_visitors_are_sent_to_sign_in(client, make_job):
    job_id = make_job(None)
    for url in ("/jobs", f"/jobs/{job_id}", f"/jobs/{job_id}/status.json"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.post("/jobs/demo").status_code == 302


def test_the_list_pages_and_survives_bad_page_numbers(client, login, make_job):
    user = login("instructor")
    for number in range(35):
        make_job(user, title=f"任务{number:02d}", status=JobStatus.SUCCEEDED, done=1, total=1)
    page = client.get("/jobs").get_data(as_text=True)
    assert "第 1 / 2 页" in page
    assert client.get("/jobs?page=2").status_code == 200
    assert client.get("/jobs?page=abc").status_code == 200
    assert client.get("/jobs?page=-3").status_code == 200
    assert client.get("/jobs?page=999").status_code == 200
